import DNSCore
import NIOCore

/// Checks that `bytes` answer `query`: decodable, QR set, same ID and question. Anything else is
/// ignored (a stray or spoofed datagram must not end the wait).
func upstreamAnswer(_ bytes: [UInt8], to query: Message) -> Message? {
    guard let message = try? Message(decoding: bytes), message.flags.qr, message.id == query.id,
          message.questions == query.questions || message.question == nil && message.flags.tc
    else { return nil }
    return message
}

/// One UDP exchange: sends the query on activation, completes with the first matching answer from the
/// server, or with a timeout. All state on the channel's event loop; the promise completes once.
final class UpstreamUDPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let query: Message
    private let server: SocketAddress
    private let timeout: Duration
    private let promise: EventLoopPromise<UpstreamResolver.Exchange>
    private var timer: Scheduled<Void>?
    private var done = false

    init(query: Message, server: SocketAddress, timeout: Duration, promise: EventLoopPromise<UpstreamResolver.Exchange>) {
        self.query = query
        self.server = server
        self.timeout = timeout
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        let bytes = query.encode()
        let envelope = AddressedEnvelope(remoteAddress: server, data: context.channel.allocator.buffer(bytes: bytes))
        context.writeAndFlush(wrapOutboundOut(envelope), promise: nil)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: .nanoseconds(AXFRClient.nanoseconds(timeout))) {
            bound.value.finish(.failure(.timeout))
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard envelope.remoteAddress == server,
              let message = upstreamAnswer(Array(envelope.data.readableBytesView), to: query)
        else { return }
        finish(.answer(message))
    }

    // ICMP errors and the like: keep waiting for the timer, as a resolver may still answer.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {}

    func handlerRemoved(context: ChannelHandlerContext) { finish(.failure(.timeout)) }

    private func finish(_ exchange: UpstreamResolver.Exchange) {
        guard !done else { return }
        done = true
        timer?.cancel()
        promise.succeed(exchange)
    }
}

/// One TCP exchange: the framed query out on connect, the first matching framed answer in, bounded by
/// `deadline`; the connection closing first is a failure.
final class UpstreamTCPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let query: Message
    private let deadline: NIODeadline
    private let promise: EventLoopPromise<UpstreamResolver.Exchange>
    private var timer: Scheduled<Void>?
    private var done = false

    init(query: Message, deadline: NIODeadline, promise: EventLoopPromise<UpstreamResolver.Exchange>) {
        self.query = query
        self.deadline = deadline
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        let bytes = query.encode()
        var frame = context.channel.allocator.buffer(capacity: bytes.count + 2)
        frame.writeInteger(UInt16(bytes.count))
        frame.writeBytes(bytes)
        context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) { bound.value.finish(.failure(.timeout)) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let message = upstreamAnswer(Array(buffer.readableBytesView), to: query) else { return }
        finish(.answer(message))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(.badAnswer("the resolver closed the TCP connection without an answer")))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(.badAnswer("TCP: \(error)")))
        context.close(promise: nil)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish(.failure(.badAnswer("the TCP connection was torn down")))
    }

    private func finish(_ exchange: UpstreamResolver.Exchange) {
        guard !done else { return }
        done = true
        timer?.cancel()
        promise.succeed(exchange)
    }
}
