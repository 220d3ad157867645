extension KeyRData {
    /// The RFC 4034 Appendix B key tag: the 16-bit ones'-complement-style sum over the RDATA that RRSIG
    /// and DS records use to point at this key. Algorithm 1 (RSA/MD5) uses its own rule (App. B.1).
    public var keyTag: UInt16 {
        if algorithm == 1 {
            // The most significant 16 of the least significant 24 bits of the modulus.
            guard publicKey.count >= 3 else { return 0 }
            return UInt16(publicKey[publicKey.count - 3]) << 8 | UInt16(publicKey[publicKey.count - 2])
        }
        var sum: UInt32 = UInt32(flags)
        sum += UInt32(`protocol`) << 8 | UInt32(algorithm)
        var i = 0
        let count = publicKey.count
        while i + 1 < count {
            sum += UInt32(publicKey[i]) << 8 | UInt32(publicKey[i + 1])
            i += 2
        }
        if i < count { sum += UInt32(publicKey[i]) << 8 }
        sum += (sum >> 16) & 0xFFFF
        return UInt16(sum & 0xFFFF)
    }
}
