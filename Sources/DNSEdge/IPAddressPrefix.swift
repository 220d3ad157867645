/// An address block such as `192.0.2.0/24` or `2001:db8::/32`; a bare address is a /32 or /128.
public struct IPAddressPrefix: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let length: Int

    public init(address: IPAddress, length: Int) {
        let bits = address.bytes.count * 8
        self.length = min(max(length, 0), bits)
        // Keep only the network bits, so equal blocks compare equal however they were written.
        var bytes = address.bytes
        for index in bytes.indices {
            let keep = min(max(self.length - index * 8, 0), 8)
            bytes[index] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
        }
        self.address = IPAddress(bytes: bytes) ?? address
    }

    /// Parses `address` or `address/length`.
    public init(parsing text: String) throws(IPAddressPrefixError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else {
            throw .malformed(text, "not an IPv4 or IPv6 address")
        }
        let bits = address.bytes.count * 8
        var length = bits
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...bits).contains(value) else {
                throw .malformed(text, "prefix length must be a number in 0...\(bits)")
            }
            length = value
        }
        self.init(address: address, length: length)
    }

    public static let loopbackV4 = IPAddressPrefix(address: IPAddress("127.0.0.0")!, length: 8)
    public static let loopbackV6 = IPAddressPrefix(address: IPAddress("::1")!, length: 128)

    public func contains(_ candidate: IPAddress) -> Bool {
        let mine = address.bytes
        let theirs = candidate.bytes
        guard mine.count == theirs.count else { return false }
        var remaining = length
        for index in mine.indices where remaining > 0 {
            let keep = min(remaining, 8)
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - keep))
            if mine[index] & mask != theirs[index] & mask { return false }
            remaining -= keep
        }
        return true
    }

    public var description: String { "\(address)/\(length)" }
}

/// Why an address block in a configuration could not be read.
public enum IPAddressPrefixError: Error, Hashable, Sendable, CustomStringConvertible {
    case malformed(String, String)

    public var description: String {
        switch self {
        case let .malformed(text, reason): "\(text): \(reason)"
        }
    }
}
