/// One DNS message received by the server, with what the answer depends on besides its bytes.
public struct DNSRequest: Sendable {
    public enum Transport: String, Sendable, Hashable {
        case udp
        case tcp
    }

    public var bytes: [UInt8]
    public var source: PeerAddress
    public var transport: Transport

    public init(bytes: [UInt8], source: PeerAddress, transport: Transport) {
        self.bytes = bytes
        self.source = source
        self.transport = transport
    }
}
