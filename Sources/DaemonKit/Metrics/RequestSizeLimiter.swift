import NIOCore

/// First in an operations connection's pipeline: counts the raw bytes of the request being read and,
/// past the limit, answers 413 and closes, before the HTTP decoder buffers any of it. The HTTP handler
/// calls `requestCompleted()` when it has answered, so a kept-alive connection starts afresh.
final class RequestSizeLimiter: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let maxBytes: Int
    private var seen = 0
    private var tripped = false

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    func requestCompleted() {
        seen = 0
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !tripped else { return }
        let buffer = unwrapInboundIn(data)
        seen += buffer.readableBytes
        guard seen <= maxBytes else {
            tripped = true
            // Written below the HTTP encoder, so the bytes go out as they are.
            let body = "request larger than \(maxBytes) bytes\n"
            let response = "HTTP/1.1 413 Content Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
            // Half-close after the answer and drop what still arrives: closing outright with unread bytes
            // would make the kernel send RST, and the client could lose the 413. The client's EOF (or
            // two seconds) then closes the connection.
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response)))
                .whenComplete { _ in bound.value.close(mode: .output, promise: nil) }
            context.eventLoop.scheduleTask(in: .seconds(2)) { bound.value.close(promise: nil) }
            return
        }
        context.fireChannelRead(data)
    }
}
