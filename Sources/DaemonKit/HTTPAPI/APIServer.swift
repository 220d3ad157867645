import DNSEdge
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A small HTTP/1.1 server for a daemon's JSON API (the primary's PowerDNS-compatible API): every
/// request is read whole, within `maxBodyBytes`, and handed to `handler`; TLS when given a certificate
/// and key (PEM files).
///
/// Bounded like the operations endpoint: a body over the limit gets 413 (before it is buffered, when
/// Content-Length says so) and the connection closes; a request the HTTP decoder cannot read gets 400;
/// idle connections close after `idleTimeout`; at most `maxConnections` at once. Errors are JSON
/// (`{"error": "..."}`), as the API's own.
package final class APIServer: Sendable {
    package struct Limits: Sendable {
        package var maxBodyBytes = 1 << 20
        package var maxConnections = 64
        package var idleTimeout: TimeAmount = .seconds(30)
        package init() {}
    }

    /// PEM files for HTTPS.
    package struct TLSFiles: Sendable {
        package var certificateChain: String
        package var privateKey: String
        package init(certificateChain: String, privateKey: String) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
        }
    }

    package typealias Handler = @Sendable (APIRequest) async -> APIResponse

    package let listen: ListenAddress
    private let tls: TLSFiles?
    private let limits: Limits
    private let handler: Handler
    private let logger: Logger
    private let group: any EventLoopGroup
    private let state = HTTPListenerState()

    package init(listen: ListenAddress, tls: TLSFiles? = nil, limits: Limits = Limits(),
                 logger: Logger = Logger(label: "countersign.api"), handler: @escaping Handler) {
        self.listen = listen
        self.tls = tls
        self.limits = limits
        self.handler = handler
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    package var boundPort: Int? { state.withLock { $0.channel?.localAddress?.port } }

    /// Loads the TLS files (a bad file fails here, before anything listens) and binds.
    package func start() async throws {
        let sslContext: NIOSSLContext?
        if let tls {
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(tls.certificateChain).map { NIOSSLCertificateSource.certificate($0) }
                let key = try NIOSSLPrivateKey(file: tls.privateKey, format: .pem)
                sslContext = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key)))
            } catch {
                throw APIServerError(reason: "cannot load the TLS certificate \(tls.certificateChain) and key \(tls.privateKey): \(error)")
            }
        } else {
            sslContext = nil
        }
        let handler = self.handler
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
                    if let sslContext { try sync.addHandler(NIOSSLServerHandler(context: sslContext)) }
                    try sync.addHandler(IdleStateHandler(allTimeout: limits.idleTimeout))
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    let peer = channel.remoteAddress.flatMap { address -> PeerAddress? in
                        guard let ip = address.ipAddress.flatMap(IPAddress.init), let port = address.port else { return nil }
                        return PeerAddress(ip: ip, port: port)
                    }
                    try sync.addHandler(APIHTTPHandler(maxBodyBytes: limits.maxBodyBytes, peer: peer, handler: handler, logger: logger))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: listen.host, port: listen.port).get()
            state.withLock { $0.channel = channel }
        } catch {
            throw APIServerError(reason: "cannot listen on \(listen): \(error)")
        }
    }

    package func stop() async {
        let channel = state.withLock { current -> (any Channel)? in
            defer { current.channel = nil }
            return current.channel
        }
        try? await channel?.close()
        try? await group.shutdownGracefully()
    }
}

/// Why the API could not start (a bad certificate, an address in use).
package struct APIServerError: Error, CustomStringConvertible, Sendable {
    package var reason: String
    package var description: String { reason }
}
