import DNSEdge
import Logging
import NIOCore
import NIOHTTP1

/// Reads one API connection's requests whole and answers each through the API's handler (async, from a
/// task); `HTTPServerPipelineHandler` holds a pipelined next request back until the answer has ended.
final class APIHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let maxBodyBytes: Int
    private let peer: PeerAddress?
    private let handler: APIServer.Handler
    private let logger: Logger
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    /// Set once a request was refused mid-way (413): the rest of the connection is ignored.
    private var refused = false

    init(maxBodyBytes: Int, peer: PeerAddress?, handler: @escaping APIServer.Handler, logger: Logger) {
        self.maxBodyBytes = maxBodyBytes
        self.peer = peer
        self.handler = handler
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        switch unwrapInboundIn(data) {
        case let .head(request):
            head = request
            body = []
            if let length = request.headers.first(name: "Content-Length").flatMap(Int.init), length > maxBodyBytes {
                tooLarge(context: context, request)
            }
        case var .body(buffer):
            guard let request = head else { return }
            if body.count + buffer.readableBytes > maxBodyBytes {
                tooLarge(context: context, request)
                return
            }
            body += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard let request = head else { return }
            head = nil
            let (path, query) = APIRequest.split(uri: request.uri)
            var headers: [String: String] = [:]
            for (name, value) in request.headers { headers[name.lowercased()] = value }
            let apiRequest = APIRequest(method: request.method.rawValue, path: path, query: query, headers: headers,
                                        body: body, peer: peer)
            body = []
            let handler = self.handler
            let channel = context.channel
            let version = request.version
            let keepAlive = request.isKeepAlive
            Task {
                let response = await handler(apiRequest)
                APIHTTPHandler.write(response, version: version, keepAlive: keepAlive, omitBody: apiRequest.method == "HEAD", on: channel)
            }
        }
    }

    private func tooLarge(context: ChannelHandlerContext, _ request: HTTPRequestHead) {
        refused = true
        logger.notice("api request refused", metadata: [
            "peer": "\(peer.map(\.description) ?? "?")", "reason": "body larger than \(maxBodyBytes) bytes",
        ])
        APIHTTPHandler.write(.error(413, "request body larger than \(maxBodyBytes) bytes"), version: request.version,
                             keepAlive: false, omitBody: false, on: context.channel)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A request the decoder could not parse (400 already sent by NIO's error handler), or a TLS failure.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("api connection error", metadata: ["peer": "\(peer.map(\.description) ?? "?")", "reason": "\(error)"])
        context.close(promise: nil)
    }

    static func write(_ response: APIResponse, version: HTTPVersion, keepAlive: Bool, omitBody: Bool, on channel: any Channel) {
        CountersignMetrics.apiAnswered(status: response.status)
        var headers = HTTPHeaders(response.headers)
        if !response.body.isEmpty && !headers.contains(name: "Content-Type") {
            headers.add(name: "Content-Type", value: "application/json")
        }
        headers.add(name: "Content-Length", value: "\(response.body.count)")
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let status = HTTPResponseStatus(statusCode: response.status)
        channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: version, status: status, headers: headers)), promise: nil)
        if !omitBody && !response.body.isEmpty {
            channel.write(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: response.body))), promise: nil)
        }
        let done = channel.writeAndFlush(HTTPServerResponsePart.end(nil))
        if !keepAlive { done.whenComplete { _ in channel.close(promise: nil) } }
    }
}
