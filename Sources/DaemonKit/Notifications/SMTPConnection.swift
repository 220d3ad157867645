import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// The thin NIO driver for `SMTPClientMachine`: connects, feeds the machine what arrives, does what it
/// says (write, start TLS, close), and bounds the whole dialogue with one deadline.
///
/// TLS verifies the server's certificate against the system roots, or against `caFile` when given (a
/// private CA or a test certificate); the name checked is the host name, or for an IP address the address
/// itself (the certificate needs it as an IP SAN).
enum SMTPConnection {
    static func submit(
        host: String, port: Int, configuration: SMTPClientMachine.Configuration, caFile: String?, timeout: Int64
    ) async -> SMTPClientMachine.Result {
        let tls: NIOSSLContext?
        do {
            tls = configuration.security == .none ? nil : try makeTLSContext(caFile: caFile)
        } catch {
            return .failed(stage: "TLS", reply: nil, reason: "cannot set up TLS: \(error)")
        }
        let serverHostname = (try? SocketAddress(ipAddress: host, port: 0)) == nil ? host : nil
        let group = MultiThreadedEventLoopGroup.singleton
        let loop = group.next()
        let promise = loop.makePromise(of: SMTPClientMachine.Result.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.seconds(max(1, timeout)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if configuration.security == .implicitTLS, let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                    }
                    try channel.pipeline.syncOperations.addHandler(SMTPClientHandler(
                        machine: SMTPClientMachine(configuration: configuration), tls: tls,
                        serverHostname: serverHostname, promise: promise))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            let result = SMTPClientMachine.Result.failed(stage: "connect", reply: nil, reason: "cannot connect to \(host):\(port): \(error)")
            promise.succeed(result)
            return result
        }
        let deadline = channel.eventLoop.scheduleTask(in: .seconds(max(1, timeout))) {
            if let handler = try? channel.pipeline.syncOperations.handler(type: SMTPClientHandler.self) {
                handler.timedOut = timeout
            }
            channel.close(promise: nil)
        }
        let result = (try? await promise.futureResult.get())
            ?? .failed(stage: "connect", reply: nil, reason: "the connection to \(host):\(port) failed")
        deadline.cancel()
        return result
    }

    static func makeTLSContext(caFile: String?) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        }
        return try NIOSSLContext(configuration: configuration)
    }
}

/// Runs one `SMTPClientMachine` on a channel. The result is reported once, when the channel closes
/// (after QUIT, an error, or the deadline), so the caller never leaves a connection behind.
final class SMTPClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine: SMTPClientMachine
    private let tls: NIOSSLContext?
    private let serverHostname: String?
    private let promise: EventLoopPromise<SMTPClientMachine.Result>
    private var errorText: String?
    private var completed = false
    private var startedTLS = false
    /// Set by the deadline before it closes the channel: the seconds allowed.
    var timedOut: Int64?

    init(machine: SMTPClientMachine, tls: NIOSSLContext?, serverHostname: String?,
         promise: EventLoopPromise<SMTPClientMachine.Result>) {
        self.machine = machine
        self.tls = tls
        self.serverHostname = serverHostname
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        perform(machine.event(.received(bytes)), context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Only the handshake this handler started (STARTTLS); implicit TLS completes before the greeting.
        if startedTLS, let tlsEvent = event as? TLSUserEvent, case .handshakeCompleted = tlsEvent {
            startedTLS = false
            perform(machine.event(.tlsEstablished), context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if errorText == nil { errorText = "\(error)" }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let stage = machine.state.stage
        let hadResult = machine.result != nil
        _ = machine.event(.closed)
        var result = machine.result ?? .failed(stage: stage, reply: nil, reason: "the connection closed")
        if !hadResult {
            if let timedOut {
                result = .failed(stage: stage, reply: nil, reason: "no answer within \(timedOut) s")
            } else if let errorText {
                result = .failed(stage: stage, reply: nil, reason: errorText)
            }
        }
        complete(result)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        complete(.failed(stage: machine.state.stage, reply: nil, reason: "the connection handler was removed"))
    }

    private func perform(_ action: SMTPClientMachine.Action, context: ChannelHandlerContext) {
        if !action.send.isEmpty {
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: action.send)), promise: nil)
        }
        if action.startTLS {
            do {
                guard let tls else { throw NotificationError(channel: nil, stage: .smtp, reason: "no TLS context") }
                let handler = try NIOSSLClientHandler(context: tls, serverHostname: serverHostname)
                try context.pipeline.syncOperations.addHandler(handler, position: .first)
                startedTLS = true
            } catch {
                errorText = "cannot start TLS: \(error)"
                context.close(promise: nil)
                return
            }
        }
        if action.close { context.close(promise: nil) }
    }

    private func complete(_ result: SMTPClientMachine.Result) {
        guard !completed else { return }
        completed = true
        promise.succeed(result)
    }
}
