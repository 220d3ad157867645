/// The spread added to each poll time, so that the zones of one signer, added together, do not all
/// poll in the same second: 0 ..< interval/10 seconds from a SplitMix64 sequence (repeatable per seed,
/// so tests know the range and a zone's pace does not depend on the host's randomness).
enum PollJitter {
    static func next(_ state: inout UInt64, interval: Int64) -> Int64 {
        let spread = interval / 10
        guard spread > 0 else { return 0 }
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int64(z % UInt64(spread))
    }
}
