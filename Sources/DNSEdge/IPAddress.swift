import DNSCore

/// A peer's IP address, the way access lists compare it. An IPv4-mapped IPv6 address
/// (`::ffff:192.0.2.1`, what a dual-stack socket reports for IPv4 peers) is kept as IPv4, so one
/// rule for 192.0.2.0/24 covers both kinds of socket.
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    public init?(_ text: String) {
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self.init(bytes: v6.bytes)
        } else {
            return nil
        }
    }

    /// 4 or 16 bytes.
    public init?(bytes: [UInt8]) {
        if let v4 = IPv4Address(bytes: bytes) {
            self = .v4(v4)
        } else if bytes.count == 16 {
            if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                self = .v4(IPv4Address(bytes: Array(bytes[12...]))!)
            } else {
                self = .v6(IPv6Address(bytes: bytes)!)
            }
        } else {
            return nil
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case let .v4(address): address.bytes
        case let .v6(address): address.bytes
        }
    }

    public var isLoopback: Bool {
        switch self {
        case let .v4(address): address.bytes[0] == 127
        case let .v6(address): address.bytes == [UInt8](repeating: 0, count: 15) + [1]
        }
    }

    public var description: String {
        switch self {
        case let .v4(address): address.description
        case let .v6(address): address.description
        }
    }
}
