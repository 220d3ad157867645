/// Sends one zone change announcement (RFC 1996 NOTIFY) to a set of secondaries and retransmits to
/// each until it answers or the attempts run out (RFC 1996 §3.6: "periodically resent ... until
/// either a response is received or it gives up").
///
/// Pure: time comes in with each event (milliseconds on any monotonic clock) and the caller executes
/// the returned actions — send these messages, call back at `wakeAt`. `Target` is whatever the caller
/// uses to address a secondary. A newer serial is a new machine; the old one is simply dropped.
public struct NotifySenderMachine<Target: Hashable & Sendable>: Sendable {
    public struct Policy: Sendable, Hashable {
        /// Wait before the first retransmission, in milliseconds; doubled after each attempt.
        public var initialTimeout: UInt64
        public var maxTimeout: UInt64
        /// Total sends per target, the first included.
        public var maxAttempts: Int

        public init(initialTimeout: UInt64 = 2000, maxTimeout: UInt64 = 30000, maxAttempts: Int = 5) {
            self.initialTimeout = max(1, initialTimeout)
            self.maxTimeout = max(self.initialTimeout, maxTimeout)
            self.maxAttempts = max(1, maxAttempts)
        }
    }

    public enum Event: Sendable {
        /// Send the first NOTIFY to every target.
        case start(now: UInt64)
        /// A message arrived from `from` (already checked for TSIG by the caller when a key is used).
        case response(from: Target, message: Message, now: UInt64)
        /// The time the last action asked to be woken at (or later) has come.
        case timer(now: UInt64)
    }

    public struct Outgoing: Sendable, Hashable {
        public var target: Target
        public var message: Message
        /// 1 for the first send.
        public var attempt: Int
    }

    public enum Outcome: Sendable, Hashable {
        /// The target answered; NOERROR means it accepted the NOTIFY.
        case answered(Target, rcode: RCode, attempts: Int)
        /// No answer after every attempt.
        case gaveUp(Target, attempts: Int)

        public var target: Target {
            switch self {
            case let .answered(target, _, _), let .gaveUp(target, _): target
            }
        }
    }

    public struct Action: Sendable, Hashable {
        public var send: [Outgoing] = []
        /// When to deliver the next `.timer` event; nil when nothing is waiting.
        public var wakeAt: UInt64?
        /// Targets settled by this event.
        public var finished: [Outcome] = []
    }

    struct TargetState: Sendable {
        var id: UInt16
        var attempts = 0
        var deadline: UInt64 = 0
        var done = false
    }

    public let zone: DomainName
    public let policy: Policy
    /// The SOA put in the answer section (RFC 1996 §3.7: a hint of the new serial).
    public let soa: ResourceRecord?
    public let targets: [Target]
    var states: [Target: TargetState] = [:]
    public private(set) var outcomes: [Outcome] = []
    private var started = false

    /// - Parameter idSeed: start of the message IDs (callers pass a random value; one ID per target).
    public init(zone: DomainName, soa: ResourceRecord?, targets: [Target], policy: Policy = Policy(), idSeed: UInt16) {
        self.zone = zone
        self.soa = soa
        self.policy = policy
        var unique: [Target] = []
        var ids = NotifySenderMachine.idSequence(seed: idSeed)
        for target in targets where states[target] == nil {
            unique.append(target)
            states[target] = TargetState(id: ids.next())
        }
        self.targets = unique
    }

    /// Every target has answered or been given up on.
    public var isFinished: Bool { started && states.values.allSatisfy(\.done) }

    /// The NOTIFY sent to `target` (ID included), for callers that sign it.
    public func message(for target: Target) -> Message? {
        states[target].map { notify(id: $0.id) }
    }

    func notify(id: UInt16) -> Message {
        Message(
            id: id, flags: Message.Flags(opcode: .NOTIFY, aa: true),
            questions: [Question(name: zone, type: .SOA, dnsClass: soa?.dnsClass ?? .IN)],
            answers: soa.map { [$0] } ?? [])
    }

    public mutating func event(_ event: Event) -> Action {
        var action = Action()
        switch event {
        case let .start(now):
            guard !started else { break }
            started = true
            for target in targets { transmit(to: target, now: now, into: &action) }
        case let .timer(now):
            for target in targets {
                guard let state = states[target], !state.done, state.deadline <= now else { continue }
                if state.attempts >= policy.maxAttempts {
                    states[target]!.done = true
                    settle(.gaveUp(target, attempts: state.attempts), into: &action)
                } else {
                    transmit(to: target, now: now, into: &action)
                }
            }
        case let .response(from, message, _):
            guard let state = states[from], !state.done, accepts(message, id: state.id) else { break }
            states[from]!.done = true
            settle(.answered(from, rcode: message.rcode, attempts: state.attempts), into: &action)
        }
        action.wakeAt = states.values.filter { !$0.done && $0.attempts > 0 }.map(\.deadline).min()
        return action
    }

    /// RFC 1996 §4.7: the answer has our ID, QR, opcode NOTIFY and the zone as question (when there is one).
    func accepts(_ message: Message, id: UInt16) -> Bool {
        guard message.id == id, message.flags.qr, message.flags.opcode == .NOTIFY else { return false }
        if let question = message.question { return question.name == zone }
        return true
    }

    private mutating func transmit(to target: Target, now: UInt64, into action: inout Action) {
        guard var state = states[target] else { return }
        state.attempts += 1
        let shift = UInt64(min(state.attempts - 1, 30))
        let timeout = min(policy.initialTimeout << shift, policy.maxTimeout)
        state.deadline = now + timeout
        states[target] = state
        action.send.append(Outgoing(target: target, message: notify(id: state.id), attempt: state.attempts))
    }

    private mutating func settle(_ outcome: Outcome, into action: inout Action) {
        outcomes.append(outcome)
        action.finished.append(outcome)
    }

    /// Distinct IDs from a seed (a full-period 16-bit LCG), so the IDs of one round never collide.
    struct IDSequence {
        var state: UInt16
        mutating func next() -> UInt16 {
            state = state &* 25173 &+ 13849
            return state
        }
    }

    static func idSequence(seed: UInt16) -> IDSequence { IDSequence(state: seed) }
}
