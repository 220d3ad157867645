import DNSEdge
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The operators' HTTP endpoint of a daemon: `GET /metrics` (Prometheus text exposition of `registry`)
/// and `GET /healthz` (200 when `health` finds no problem, 503 listing each one). Anything else is 404.
///
/// Small on purpose: HTTP/1.1 over NIOHTTP1, no TLS (bind it to loopback or a management network),
/// requests bounded to `maxRequestBytes` (413, then closed), malformed requests answered 400 and closed,
/// idle connections closed after `idleTimeout`, at most `maxConnections` open at once.
package final class OperationsServer: Sendable {
    package let listen: ListenAddress
    private let registry: MetricsRegistry
    private let health: @Sendable () async -> HealthReport
    private let limits: Limits
    private let logger: Logger
    private let group: any EventLoopGroup
    private let ownsGroup: Bool
    private let state = HTTPListenerState()

    package struct Limits: Sendable {
        /// Bytes one request (line, headers and any body) may take.
        package var maxRequestBytes: Int = 16 * 1024
        package var maxConnections: Int = 64
        package var idleTimeout: TimeAmount = .seconds(10)
        package init() {}
    }

    /// - Parameters:
    ///   - group: an event loop group to share (the DNS server's); by default one thread of its own.
    package init(listen: ListenAddress, registry: MetricsRegistry,
                 health: @escaping @Sendable () async -> HealthReport, limits: Limits = Limits(),
                 group: (any EventLoopGroup)? = nil, logger: Logger = Logger(label: "countersign.operations")) {
        self.listen = listen
        self.registry = registry
        self.health = health
        self.limits = limits
        self.logger = logger
        if let group {
            self.group = group
            ownsGroup = false
        } else {
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            ownsGroup = true
        }
    }

    /// The port actually bound (useful after asking for port 0); nil before `start` and after `stop`.
    package var boundPort: Int? { state.withLock { $0.channel?.localAddress?.port } }

    package func start() async throws {
        let registry = self.registry
        let health = self.health
        let limits = self.limits
        let logger = self.logger
        let state = self.state
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard state.admit(channel, limit: limits.maxConnections) else { return channel.close() }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    let limiter = RequestSizeLimiter(maxBytes: limits.maxRequestBytes)
                    try sync.addHandler(IdleStateHandler(allTimeout: limits.idleTimeout))
                    try sync.addHandler(limiter)
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(OperationsHTTPHandler(registry: registry, health: health, limiter: limiter, logger: logger))
                }
            }
        let channel = try await bootstrap.bind(host: listen.host, port: listen.port).get()
        state.withLock { $0.channel = channel }
        logger.info("operations endpoint listening", metadata: [
            "address": "\(ListenAddress(host: listen.host, port: channel.localAddress?.port ?? listen.port))",
            "reason": "serving /metrics and /healthz",
        ])
    }

    /// Closes the listener (open connections finish their current response) and the group when owned.
    package func stop() async {
        let channel = state.withLock { current -> (any Channel)? in
            defer { current.channel = nil }
            return current.channel
        }
        try? await channel?.close()
        if ownsGroup { try? await group.shutdownGracefully() }
    }
}
