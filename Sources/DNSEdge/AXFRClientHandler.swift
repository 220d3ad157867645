import DNSCore
import NIOCore

/// What the TCP driver needs of a transfer machine (`AXFRClientMachine`, `IXFRClientMachine`): events
/// in, actions out, and which actions mean "write", "keep reading" and "done".
protocol TransferClientMachine: Sendable {
    associatedtype Action: Sendable
    mutating func event(_ event: AXFRClientMachine.Event, now: Duration) -> Action
    var nextDeadline: Duration? { get }
    static func step(_ action: Action) -> TransferClientStep
    static func failed(_ error: TransferError) -> Action
}

enum TransferClientStep {
    case send([UInt8])
    case needMore
    /// A transfer that ended well: nothing may follow it on the connection.
    case complete
    /// Any other end (a failure, an SOA answer).
    case finished
}

extension AXFRClientMachine: TransferClientMachine {
    static func step(_ action: Action) -> TransferClientStep {
        switch action {
        case .send(let bytes): .send(bytes)
        case .needMore: .needMore
        case .complete: .complete
        case .soa, .failed: .finished
        }
    }

    static func failed(_ error: TransferError) -> Action { .failed(error) }
}

extension IXFRClientMachine: TransferClientMachine {
    static func step(_ action: Action) -> TransferClientStep {
        switch action {
        case .send(let bytes): .send(bytes)
        case .needMore: .needMore
        case .incremental, .full, .upToDate, .needsFull: .complete
        case .failed: .finished
        }
    }

    static func failed(_ error: TransferError) -> Action { .failed(error) }
}

/// Runs one transfer machine on a TCP channel: frames messages (two-byte length, RFC 1035 §4.2.2),
/// writes the queries the machine asks for, feeds it every complete message, the connection's end and
/// timer ticks at the deadlines it names, and completes `promise` with its final action.
///
/// All state lives on the channel's event loop. The promise is completed exactly once, with the
/// machine's `.soa`, `.complete` or `.failed` action, and the channel is closed right after.
final class AXFRClientHandler<Machine: TransferClientMachine>: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Sent down the pipeline when the caller's task is cancelled.
    struct Cancel: Sendable {}

    private var machine: Machine
    private let promise: EventLoopPromise<Machine.Action>
    /// Monotonic and wall-clock time when the connection attempt began: the machine's deadlines count
    /// from there, so connecting uses up part of the overall timeout rather than adding to it.
    private let origin: Duration
    private let unixTimeAtOrigin: UInt64
    /// Bytes received and not yet framed: at most one partial message plus one read.
    private var pending: [UInt8] = []
    private var timer: Scheduled<Void>?
    private var finished = false

    init(machine: Machine, promise: EventLoopPromise<Machine.Action>, origin: Duration,
         unixTimeAtOrigin: UInt64) {
        self.machine = machine
        self.promise = promise
        self.origin = origin
        self.unixTimeAtOrigin = unixTimeAtOrigin
    }

    /// Monotonic time in the machine's terms.
    static func now() -> Duration {
        .nanoseconds(Int64(clamping: NIODeadline.now().uptimeNanoseconds))
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(machine.event(.start(unixTime: unixTimeAtOrigin), now: origin), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        var buffer = unwrapInboundIn(data)
        pending.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        var start = 0
        while !finished, pending.count - start >= 2 {
            let length = Int(pending[start]) << 8 | Int(pending[start + 1])
            guard pending.count - start - 2 >= length else { break }
            let frame = Array(pending[(start + 2)..<(start + 2 + length)])
            start += 2 + length
            let action = machine.event(.message(frame), now: Self.now())
            if case .complete = Machine.step(action), pending.count > start {
                // The closing SOA must end the stream: more data means it was not the end after all.
                finish(Machine.failed(.dataAfterEnd(bytes: pending.count - start)), context: context)
                return
            }
            perform(action, context: context)
        }
        if !finished { pending.removeFirst(start) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished { perform(machine.event(.closed, now: Self.now()), context: context) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !finished { finish(Machine.failed(.network("\(error)")), context: context) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is Cancel, !finished {
            finish(Machine.failed(.cancelled), context: context)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Never leave the caller waiting, whatever tore the pipeline down.
        if !finished { finish(Machine.failed(.network("the connection was torn down")), context: context) }
    }

    private func perform(_ action: Machine.Action, context: ChannelHandlerContext) {
        switch Machine.step(action) {
        case .send(let query):
            var frame = context.channel.allocator.buffer(capacity: query.count + 2)
            frame.writeInteger(UInt16(query.count))
            frame.writeBytes(query)
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
            armTimer(context: context)
        case .needMore:
            armTimer(context: context)
        case .complete, .finished:
            finish(action, context: context)
        }
    }

    /// One timer at a time, at the machine's next deadline; a tick that comes early just re-arms it.
    private func armTimer(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        guard let deadline = machine.nextDeadline else { return }
        let nanoseconds = deadline.components.seconds * 1_000_000_000 + deadline.components.attoseconds / 1_000_000_000
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(UInt64(max(0, nanoseconds)))) {
            let (handler, context) = bound.value
            guard !handler.finished else { return }
            handler.perform(handler.machine.event(.tick, now: Self.now()), context: context)
        }
    }

    private func finish(_ action: Machine.Action, context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        timer = nil
        pending = []
        promise.succeed(action)
        context.close(promise: nil)
    }
}
