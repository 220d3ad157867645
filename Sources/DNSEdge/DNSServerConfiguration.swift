/// Where and how the server listens.
public struct DNSServerConfiguration: Sendable, Hashable {
    /// Each address gets a UDP and a TCP listener on the same port. Port 0 picks a free port (the
    /// same one for UDP and TCP); `DNSServer.boundAddresses` tells which.
    public var listen: [ListenAddress]
    /// A TCP connection with no traffic either way for this long is closed (RFC 7766 §6.2.3
    /// suggests seconds, not minutes).
    public var tcpIdleTimeoutSeconds: Double
    /// Connections beyond this are closed as soon as they are accepted.
    public var maxTCPConnections: Int
    /// Requests read ahead on one TCP connection while earlier ones are still being answered; past
    /// this the server stops reading from that connection until it catches up.
    public var maxPipelinedRequests: Int
    /// Largest UDP datagram read; bigger ones arrive cut and get FORMERR.
    public var udpReceiveBufferSize: Int

    public init(listen: [ListenAddress], tcpIdleTimeoutSeconds: Double = 10, maxTCPConnections: Int = 512,
                maxPipelinedRequests: Int = 64, udpReceiveBufferSize: Int = 16384) {
        self.listen = listen
        self.tcpIdleTimeoutSeconds = tcpIdleTimeoutSeconds
        self.maxTCPConnections = maxTCPConnections
        self.maxPipelinedRequests = maxPipelinedRequests
        self.udpReceiveBufferSize = udpReceiveBufferSize
    }
}
