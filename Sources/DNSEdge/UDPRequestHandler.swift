import NIOCore
import Logging

/// Reads DNS requests from a UDP socket and writes the answers back to their senders. Writes are
/// flushed once per read burst, so a busy socket costs one syscall batch, not one per answer.
final class UDPRequestHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let handler: any DNSRequestHandler
    private let logger: Logger
    private var pendingFlush = false

    init(handler: any DNSRequestHandler, logger: Logger) {
        self.handler = handler
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let peer = PeerAddress(envelope.remoteAddress) else { return }
        let bytes = Array(envelope.data.readableBytesView)
        let response: [UInt8]
        switch handler.handle(DNSRequest(bytes: bytes, source: peer, transport: .udp)) {
        case let .reply(reply):
            response = reply
        case let .stream(stream):
            // Multi-message answers are TCP only; the router never streams over UDP.
            stream.finish(completed: false)
            logger.warning("dropped", metadata: ["peer": "\(peer)", "reason": "a streamed answer over UDP"])
            return
        case .drop:
            return
        }
        let buffer = context.channel.allocator.buffer(bytes: response)
        context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: buffer)),
                      promise: nil)
        pendingFlush = true
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
    }

    /// ICMP errors and the like surface here; one bad peer must not close the socket everyone uses.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("udp error", metadata: ["reason": "\(error)"])
    }
}
