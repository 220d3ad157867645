import NIOCore

/// Where a request came from, or where a NOTIFY goes: IP address and port.
public struct PeerAddress: Sendable, Hashable, CustomStringConvertible {
    public var ip: IPAddress
    public var port: Int

    public init(ip: IPAddress, port: Int) {
        self.ip = ip
        self.port = port
    }

    /// A literal address (not a host name) and port, as in `ListenAddress`.
    public init?(_ address: ListenAddress) {
        guard let ip = IPAddress(address.host) else { return nil }
        self.init(ip: ip, port: address.port)
    }

    init?(_ socketAddress: SocketAddress) {
        let bytes: [UInt8]
        switch socketAddress {
        case .v4(let v4):
            var raw = v4.address.sin_addr
            bytes = withUnsafeBytes(of: &raw) { Array($0) }
        case .v6(let v6):
            var raw = v6.address.sin6_addr
            bytes = withUnsafeBytes(of: &raw) { Array($0) }
        default:
            return nil
        }
        guard let ip = IPAddress(bytes: bytes), let port = socketAddress.port else { return nil }
        self.init(ip: ip, port: port)
    }

    func socketAddress() throws -> SocketAddress {
        try SocketAddress(ipAddress: ip.description, port: port)
    }

    public var description: String {
        if case .v6 = ip { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }
}
