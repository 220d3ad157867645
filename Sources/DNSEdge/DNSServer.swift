#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore
import NIOPosix

/// The UDP and TCP listeners of a DNS server, on SwiftNIO.
///
/// Every event loop of the group serves UDP: each address gets one UDP socket per loop, all bound
/// to the same port with SO_REUSEPORT, so the kernel spreads datagrams over the cores. TCP gets one
/// listening socket per address; accepted connections are spread over the loops. Answers come from
/// `handler`, called on the loop that read the request.
public final class DNSServer: Sendable {
    /// One listening socket.
    public struct Listener: Sendable, Hashable, CustomStringConvertible {
        public var transport: DNSRequest.Transport
        public var address: ListenAddress
        /// Sockets bound for it: one per event loop for UDP, one for TCP.
        public var sockets: Int
        public var description: String { "\(transport.rawValue) \(address) (\(sockets) sockets)" }
    }

    public let configuration: DNSServerConfiguration
    private let handler: any DNSRequestHandler
    private let group: any EventLoopGroup
    private let ownsGroup: Bool
    private let logger: Logger
    private let channels = Locked<[any Channel]>([])
    private let listenerList = Locked<[Listener]>([])
    private let connectionCount = Locked(0)

    /// - Parameters:
    ///   - group: an existing event loop group to run on; by default the server makes its own with
    ///     `threads` threads (2 uses both cores of the reference machine) and shuts it down on `stop`.
    public init(configuration: DNSServerConfiguration, handler: any DNSRequestHandler, group: (any EventLoopGroup)? = nil,
                threads: Int = 2, logger: Logger = Logger(label: "countersign.server")) {
        self.configuration = configuration
        self.handler = handler
        self.logger = logger
        if let group {
            self.group = group
            self.ownsGroup = false
        } else {
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
            self.ownsGroup = true
        }
    }

    /// The sockets listening now, with the ports actually bound.
    public var listeners: [Listener] { listenerList.current }

    /// The port bound for the first listen address (useful after asking for port 0).
    public var port: Int? { listeners.first?.address.port }

    public var openTCPConnections: Int { connectionCount.current }

    /// Binds every listener. On failure nothing stays bound.
    public func start() async throws {
        do {
            for address in configuration.listen {
                try await bind(address)
            }
        } catch {
            await closeChannels()
            throw error
        }
    }

    /// Closes every listener and connection (and the event loops, when the server made them).
    public func stop() async {
        await closeChannels()
        if ownsGroup { try? await group.shutdownGracefully() }
    }

    private func closeChannels() async {
        let open = channels.withLock { all in
            defer { all.removeAll() }
            return all
        }
        for channel in open { try? await channel.close() }
        listenerList.withLock { $0.removeAll() }
    }

    /// TCP first (port 0 gets a free port there), then one UDP socket per loop on the same port. When
    /// port 0 was asked for and UDP finds the port taken, try another.
    private func bind(_ address: ListenAddress) async throws {
        var attempts = 0
        while true {
            attempts += 1
            let tcp = try await bindTCP(host: address.host, port: address.port)
            let port = tcp.localAddress?.port ?? address.port
            do {
                let udp = try await bindUDP(host: address.host, port: port)
                channels.withLock { $0.append(tcp); $0.append(contentsOf: udp) }
                let bound = ListenAddress(host: address.host, port: port)
                listenerList.withLock {
                    $0.append(Listener(transport: .udp, address: bound, sockets: udp.count))
                    $0.append(Listener(transport: .tcp, address: bound, sockets: 1))
                }
                logger.info("listening", metadata: [
                    "address": "\(bound)", "udpSockets": "\(udp.count)",
                    "reason": "configured listen address \(address)",
                ])
                return
            } catch {
                try? await tcp.close()
                if address.port != 0 || attempts >= 20 { throw error }
            }
        }
    }

    private static func isIPv6(_ host: String) -> Bool { host.contains(":") }

    private func bindTCP(host: String, port: Int) async throws -> any Channel {
        let handler = self.handler
        let logger = self.logger
        let configuration = self.configuration
        let counter = self.connectionCount
        let idle = TimeAmount.nanoseconds(Int64(configuration.tcpIdleTimeoutSeconds * 1_000_000_000))
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                let admitted = counter.withLock { count -> Bool in
                    guard count < configuration.maxTCPConnections else { return false }
                    count += 1
                    return true
                }
                guard admitted else {
                    logger.notice("tcp refused", metadata: [
                        "peer": "\(channel.remoteAddress.map { "\($0)" } ?? "?")",
                        "reason": "\(configuration.maxTCPConnections) connections already open",
                    ])
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in counter.withLock { $0 -= 1 } }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: idle))
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(TCPFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(
                        TCPConnectionHandler(handler: handler, logger: logger, maxQueued: configuration.maxPipelinedRequests))
                }
            }
        if DNSServer.isIPv6(host) {
            bootstrap = bootstrap.serverChannelOption(DNSServer.v6Only, value: 1)
        }
        return try await bootstrap.bind(host: host, port: port).get()
    }

    private func bindUDP(host: String, port: Int) async throws -> [any Channel] {
        var bound: [any Channel] = []
        do {
            for loop in group.makeIterator() {
                let handler = self.handler
                let logger = self.logger
                var bootstrap = DatagramBootstrap(group: loop)
                    .channelOption(.socketOption(.so_reuseaddr), value: 1)
                    .channelOption(DNSServer.reusePort, value: 1)
                    .channelOption(.recvAllocator,
                                   value: FixedSizeRecvByteBufferAllocator(capacity: configuration.udpReceiveBufferSize))
                    .channelOption(.maxMessagesPerRead, value: 16)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(UDPRequestHandler(handler: handler, logger: logger))
                        }
                    }
                if DNSServer.isIPv6(host) {
                    bootstrap = bootstrap.channelOption(DNSServer.v6Only, value: 1)
                }
                bound.append(try await bootstrap.bind(host: host, port: port).get())
            }
        } catch {
            for channel in bound { try? await channel.close() }
            throw error
        }
        return bound
    }

    /// IPv6 sockets take IPv6 only, so `[::]` and `0.0.0.0` on the same port do not collide.
    static let v6Only = ChannelOptions.Types.SocketOption(level: .ipv6, name: .ipv6_v6only)

    static let reusePort = ChannelOptions.Types.SocketOption(
        level: NIOBSDSocket.OptionLevel.socket, name: NIOBSDSocket.Option(rawValue: SO_REUSEPORT))
}
