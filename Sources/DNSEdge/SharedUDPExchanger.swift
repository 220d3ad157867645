import DNSCore
import NIOCore
import NIOPosix

/// Small UDP questions to many servers over one socket per address family, for callers that ask often
/// and expect short answers: the signer's SOA polls (ten thousand zones polled every minute are 167
/// questions a second; a socket opened, bound, registered and closed for each cost more CPU than
/// everything else a poll does).
///
/// Answers are matched by server address and message ID, then checked like `UpstreamUDPHandler`'s
/// (QR set, same question); anything else is dropped. A fixed source port makes a forged answer easier
/// to aim than with a fresh port per question, which is why this is for questions whose answers are only
/// hints: an SOA serial tells the signer whether to transfer, and the transfer is checked on its own
/// (TSIG, guards, periodic content checks). Resolution that decides what is served keeps a socket per
/// question (`UpstreamResolver`).
///
/// All state lives on one event loop; `exchange` may be called from anywhere.
public final class SharedUDPExchanger: @unchecked Sendable {
    private let loop: any EventLoop

    // Event-loop confined.
    private var channels: [Bool: EventLoopFuture<any Channel>] = [:]
    /// The sockets whose binding finished.
    private var bound: [Bool: any Channel] = [:]
    private var pending: [Key: Pending] = [:]
    /// One timer for every question's timeout, at the earliest deadline: a timer per question (scheduled,
    /// then cancelled by its answer) cost as much as the rest of a question at 167 a second.
    private var sweep: (at: NIODeadline, task: Scheduled<Void>)?

    private struct Key: Hashable {
        var server: SocketAddress
        var id: UInt16
    }

    private struct Pending {
        var query: Message
        var deadline: NIODeadline
        var done: (UpstreamResolver.Exchange) -> Void
    }

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        loop = group.next()
    }

    /// Sends `query` (its ID is replaced by one not in flight to that server) and waits for the answer
    /// until `timeout`.
    func exchange(_ query: Message, to server: SocketAddress, timeout: Duration) async -> UpstreamResolver.Exchange {
        await withCheckedContinuation { continuation in
            loop.execute { self.send(query, to: server, timeout: timeout) { continuation.resume(returning: $0) } }
        }
    }

    /// The loop its state lives on: a caller that runs there asks with `ask` and no thread hop.
    public var eventLoop: any EventLoop { loop }

    /// `exchange` for a caller on `eventLoop`: `done` is called there with the answer, or nil when
    /// none came in time (or the socket failed). With `flush: false` the question waits for `flush()`,
    /// so that a burst of questions leaves in one system call (sendmmsg) rather than one each.
    public func ask(_ query: Message, to server: SocketAddress, timeout: Duration, flush: Bool = true,
                    done: @escaping (Message?) -> Void) {
        loop.preconditionInEventLoop()
        send(query, to: server, timeout: timeout, flush: flush) { exchange in
            if case .answer(let message) = exchange { done(message) } else { done(nil) }
        }
    }

    /// Sends the questions `ask(…, flush: false)` left waiting; on `eventLoop`.
    public func flush() {
        loop.preconditionInEventLoop()
        for channel in bound.values { channel.flush() }
    }

    /// How many questions wait for an answer (for tests).
    var inFlight: Int {
        get async { (try? await loop.submit { self.pending.count }.get()) ?? 0 }
    }

    private func send(_ query: Message, to server: SocketAddress, timeout: Duration, flush: Bool = true,
                      done: @escaping (UpstreamResolver.Exchange) -> Void) {
        var query = query
        query.id = UInt16.random(in: .min ... .max)
        while pending[Key(server: server, id: query.id)] != nil { query.id &+= 1 }
        let key = Key(server: server, id: query.id)
        let deadline = NIODeadline.now() + .nanoseconds(AXFRClient.nanoseconds(timeout))
        pending[key] = Pending(query: query, deadline: deadline, done: done)
        armSweep(at: deadline)
        let isV6 = server.protocol == .inet6
        // The socket once bound, written to at once: a future callback per question cost more than the
        // question (ten thousand zones ask 167 a second).
        if let channel = bound[isV6] {
            return write(query, to: server, on: channel, key: key, flush: flush)
        }
        channel(isV6: isV6).whenComplete { result in
            switch result {
            case .success(let channel):
                self.write(query, to: server, on: channel, key: key)
            case .failure(let error):
                self.channels[isV6] = nil  // try binding again next time
                self.finish(key, .failure(.badAnswer("cannot open a UDP socket: \(error)")))
            }
        }
    }

    private func write(_ query: Message, to server: SocketAddress, on channel: any Channel, key: Key, flush: Bool = true) {
        let bytes = channel.allocator.buffer(bytes: query.encode())
        let envelope = AddressedEnvelope(remoteAddress: server, data: bytes)
        guard flush else {
            // A burst's question: a failed send is left to its timeout (no callback per question).
            return channel.write(envelope, promise: nil)
        }
        channel.writeAndFlush(envelope).whenFailure { error in
            self.finish(key, .failure(.badAnswer("cannot send to \(server): \(error)")))
        }
    }

    /// The sweep runs at `deadline` unless it already runs earlier.
    private func armSweep(at deadline: NIODeadline) {
        if let sweep, sweep.at <= deadline { return }
        sweep?.task.cancel()
        let task = loop.scheduleTask(deadline: deadline) { [self] in
            sweep = nil
            expire()
        }
        sweep = (deadline, task)
    }

    /// Times out the questions past their deadline and sets the sweep for the next one.
    private func expire() {
        let now = NIODeadline.now()
        var expired: [Key] = []
        var next: NIODeadline?
        for (key, waiting) in pending {
            if waiting.deadline <= now { expired.append(key) } else { next = min(next ?? waiting.deadline, waiting.deadline) }
        }
        for key in expired { finish(key, .failure(.timeout)) }
        if let next { armSweep(at: next) }
    }

    /// The bound socket for the family, bound on first use (and again after it closed).
    private func channel(isV6: Bool) -> EventLoopFuture<any Channel> {
        if let channel = channels[isV6] { return channel }
        let bound = NIOLoopBound(self, eventLoop: loop)
        let future = DatagramBootstrap(group: loop)
            // Answers to a burst of questions arrive together; the default buffer holds a few hundred.
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            // … and are read up to 32 at a time (recvmmsg): one system call and one wake-up for many. The
            // read buffer is split among the 32, so it holds 32 answers of up to 4 KiB each.
            .channelOption(.datagramVectorReadMessageCount, value: 32)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 32 * 4096))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Reader { envelope in bound.value.received(envelope) })
                }
            }
            .bind(to: isV6 ? UpstreamResolver.anyIPv6 : UpstreamResolver.anyIPv4)
        channels[isV6] = future
        future.whenSuccess { channel in
            bound.value.bound[isV6] = channel
            channel.closeFuture.whenComplete { _ in
                bound.value.channels[isV6] = nil
                bound.value.bound[isV6] = nil
            }
        }
        return future
    }

    private func received(_ envelope: AddressedEnvelope<ByteBuffer>) {
        let bytes = Array(envelope.data.readableBytesView)
        guard bytes.count >= 2 else { return }
        let key = Key(server: envelope.remoteAddress, id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
        guard let waiting = pending[key], let message = upstreamAnswer(bytes, to: waiting.query) else { return }
        finish(key, .answer(message))
    }

    private func finish(_ key: Key, _ exchange: UpstreamResolver.Exchange) {
        guard let waiting = pending.removeValue(forKey: key) else { return }
        waiting.done(exchange)
    }

    /// Hands every datagram to the exchanger; socket errors (ICMP port unreachable) leave the questions
    /// to their timers, as a server may still answer.
    private final class Reader: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let onRead: (AddressedEnvelope<ByteBuffer>) -> Void
        init(_ onRead: @escaping (AddressedEnvelope<ByteBuffer>) -> Void) { self.onRead = onRead }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { onRead(unwrapInboundIn(data)) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) {}
    }
}
