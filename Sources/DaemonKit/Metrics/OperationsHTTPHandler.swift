import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Answers one operations connection's requests: `/metrics`, `/healthz`, 404 for the rest.
///
/// The health check is async (the daemon may ask its actors), so answers are written through the
/// channel from a task; `HTTPServerPipelineHandler` holds back a pipelined next request until the
/// current response has ended, so answers never interleave.
final class OperationsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: MetricsRegistry
    private let health: @Sendable () async -> HealthReport
    private let limiter: RequestSizeLimiter
    private let logger: Logger
    private var head: HTTPRequestHead?

    init(registry: MetricsRegistry, health: @escaping @Sendable () async -> HealthReport,
         limiter: RequestSizeLimiter, logger: Logger) {
        self.registry = registry
        self.health = health
        self.limiter = limiter
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case let .head(request):
            head = request
        case .body:
            break  // GET has no body worth reading; its size still counts against the limit.
        case .end:
            guard let request = head else { return }
            head = nil
            limiter.requestCompleted()
            respond(to: request, channel: context.channel)
        }
    }

    /// Nothing read or written for the idle timeout (a client that connected and went quiet, or one
    /// sending a byte a minute): the connection is closed.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A request the decoder could not parse: `HTTPServerProtocolErrorHandler` has answered 400 by now;
    /// nothing more can be read from this connection, so it is closed.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("operations request refused", metadata: [
            "peer": "\(context.remoteAddress.map { "\($0)" } ?? "?")", "reason": "\(error)",
        ])
        context.close(promise: nil)
    }

    private func respond(to request: HTTPRequestHead, channel: any Channel) {
        let path = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let keepAlive = request.isKeepAlive
        let version = request.version
        let isHead = request.method == .HEAD
        let known = path == "/metrics" || path == "/healthz"
        guard known else {
            Self.write(.notFound, "not found; try /metrics or /healthz\n", type: "text/plain; charset=utf-8",
                       version: version, keepAlive: keepAlive, omitBody: isHead, on: channel)
            return
        }
        guard request.method == .GET || isHead else {
            Self.write(.methodNotAllowed, "\(path) answers GET only\n", type: "text/plain; charset=utf-8",
                       version: version, keepAlive: keepAlive, omitBody: false, extra: [("Allow", "GET, HEAD")], on: channel)
            return
        }
        if path == "/metrics" {
            Self.write(.ok, registry.exposition(), type: "text/plain; version=0.0.4; charset=utf-8",
                       version: version, keepAlive: keepAlive, omitBody: isHead, on: channel)
            return
        }
        let wantsJSON = request.headers["Accept"].contains { $0.contains("application/json") }
            || request.uri.contains("format=json")
        let health = self.health
        let logger = self.logger
        Task { [channel] in
            await OperationsHTTPHandler.answerHealth(
                health: health, logger: logger, json: wantsJSON, version: version, keepAlive: keepAlive, omitBody: isHead,
                on: channel)
        }
    }

    private static func answerHealth(health: @Sendable () async -> HealthReport, logger: Logger, json: Bool,
                                     version: HTTPVersion, keepAlive: Bool, omitBody: Bool, on channel: any Channel) async {
        let report = await health()
        if !report.isHealthy {
            logger.warning("health check failing", metadata: [
                "reason": "\(report.problems.map(\.description).joined(separator: "; "))",
            ])
        }
        write(report.isHealthy ? .ok : .serviceUnavailable, json ? report.json : report.text,
              type: json ? "application/json" : "text/plain; charset=utf-8",
              version: version, keepAlive: keepAlive, omitBody: omitBody, on: channel)
    }

    /// One complete response, written from any thread through the channel; closes after it unless the
    /// client keeps the connection alive.
    private static func write(_ status: HTTPResponseStatus, _ body: String, type: String, version: HTTPVersion,
                              keepAlive: Bool, omitBody: Bool, extra: [(String, String)] = [], on channel: any Channel) {
        var headers = HTTPHeaders([("Content-Type", type), ("Content-Length", "\(body.utf8.count)")] + extra)
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: status, headers: headers)),
                      promise: nil)
        if !omitBody {
            channel.write(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(string: body))), promise: nil)
        }
        let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        if !keepAlive {
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
