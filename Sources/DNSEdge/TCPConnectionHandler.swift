import NIOCore
import Logging

/// One DNS-over-TCP connection (RFC 7766): requests are answered in the order they arrive, several
/// per connection; a zone transfer streams its messages as fast as the peer reads them, and requests
/// behind it wait their turn. When answers pile up unread, or too many requests are queued, the
/// handler stops reading from the socket until the backlog drains, so one client cannot make the
/// server buffer without bound.
final class TCPConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let handler: any DNSRequestHandler
    private let logger: Logger
    private let maxQueued: Int
    private var peer: PeerAddress?
    private var queue = CircularBuffer<[UInt8]>()
    private var stream: DNSResponseStream?
    private var readHeld = false
    private var readPending = false
    private var processing = false
    private var rerun = false

    init(handler: any DNSRequestHandler, logger: Logger, maxQueued: Int) {
        self.handler = handler
        self.logger = logger
        self.maxQueued = max(1, maxQueued)
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = context.channel.remoteAddress.flatMap(PeerAddress.init)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        queue.append(Array(unwrapInboundIn(data).readableBytesView))
        process(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { process(context: context) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stream?.finish(completed: false)
        stream = nil
        queue.removeAll()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            logger.debug("tcp idle", metadata: ["peer": "\(peer.map(\.description) ?? "?")", "reason": "idle timeout"])
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("tcp error", metadata: ["peer": "\(peer.map(\.description) ?? "?")", "reason": "\(error)"])
        context.close(promise: nil)
    }

    /// Outbound `read` is held while the backlog is full: that is what stops the socket being read.
    func read(context: ChannelHandlerContext) {
        if readHeld {
            readPending = true
        } else {
            context.read()
        }
    }

    /// Answers queued requests and pumps a running stream while the channel takes writes. Writability
    /// can flip back inside our own flush; such a re-entrant call only asks for another pass.
    private func process(context: ChannelHandlerContext) {
        guard let peer else { return }
        if processing {
            rerun = true
            return
        }
        processing = true
        defer { processing = false }
        repeat {
            rerun = false
            var wrote = false
            while context.channel.isActive {
                if let current = stream {
                    while context.channel.isWritable, let message = current.next() {
                        write(message, context: context)
                        wrote = true
                    }
                    if context.channel.isWritable {
                        current.finish(completed: true)
                        stream = nil
                    } else {
                        break
                    }
                }
                guard context.channel.isWritable, let bytes = queue.popFirst() else { break }
                switch handler.handle(DNSRequest(bytes: bytes, source: peer, transport: .tcp)) {
                case let .reply(reply):
                    write(reply, context: context)
                    wrote = true
                case let .stream(next):
                    stream = next
                case .drop:
                    continue
                }
            }
            if wrote { context.flush() }
        } while rerun && context.channel.isActive
        let full = queue.count >= maxQueued || !context.channel.isWritable
        if full != readHeld {
            readHeld = full
            if !full && readPending {
                readPending = false
                context.read()
            }
        }
    }

    private func write(_ message: [UInt8], context: ChannelHandlerContext) {
        guard message.count <= 0xFFFF else {
            logger.error("oversized answer", metadata: ["peer": "\(peer.map(\.description) ?? "?")",
                                                        "reason": "\(message.count) bytes cannot be framed"])
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: message.count + 2)
        buffer.writeInteger(UInt16(message.count))
        buffer.writeBytes(message)
        context.write(wrapOutboundOut(buffer), promise: nil)
    }
}
