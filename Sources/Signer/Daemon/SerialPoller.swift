import DNSCore
import DNSEdge
import NIOCore

/// Carries out `SerialWatch` on the event loop of the SOA questions' shared socket: one timer for all
/// parked zones, the questions sent and their answers read on that loop, and a zone's worker touched
/// only when its primary says something else than "same serial" (see `SerialWatch` for why).
///
/// Everything but `watch` and `release` (which hop to the loop) is confined to the loop.
final class SerialPoller: @unchecked Sendable {
    /// What a parked zone's worker gave to be told.
    struct Parked {
        /// Who parked the zone: a zone removed and added again has a new worker, and the old one's
        /// release must not unpark the new one's zone.
        var owner: ObjectIdentifier
        var servers: [SocketAddress]
        /// An unchanged poll finished at this time (unix seconds); called on the loop.
        var quiet: @Sendable (Int64) -> Void
        /// Poll in full now; called on the loop, once.
        var handBack: @Sendable () -> Void
    }

    private let exchanger: SharedUDPExchanger
    private let loop: any EventLoop
    private let timeout: Duration
    private let now: @Sendable () -> Int64

    // Loop-confined.
    private var machine = SerialWatch()
    private var parked: [DomainName: Parked] = [:]
    private var timer: (at: Int64, task: Scheduled<Void>)?

    init(exchanger: SharedUDPExchanger, timeout: Duration = .seconds(1), now: @escaping @Sendable () -> Int64) {
        self.exchanger = exchanger
        self.loop = exchanger.eventLoop
        self.timeout = timeout
        self.now = now
    }

    /// Parks `zone` (replacing an earlier parking of it): its primaries asked from `firstAt` on, every
    /// `interval` seconds, while they answer `serial`.
    func watch(_ zone: DomainName, owner: ObjectIdentifier, serial: UInt32, servers: [SocketAddress], firstAt: Int64, interval: Int64,
               seed: UInt64, quiet: @escaping @Sendable (Int64) -> Void, handBack: @escaping @Sendable () -> Void) {
        loop.execute {
            self.parked[zone] = Parked(owner: owner, servers: servers, quiet: quiet, handBack: handBack)
            self.machine.watch(zone, serial: serial, primaries: servers.count, firstAt: firstAt, interval: interval, seed: seed)
            self.schedule()
        }
    }

    /// Unparks `zone` if `owner` parked it: nothing more is asked or reported for it (an answer in flight
    /// is dropped).
    func release(_ zone: DomainName, owner: ObjectIdentifier) {
        loop.execute {
            guard self.parked[zone]?.owner == owner else { return }
            self.parked[zone] = nil
            _ = self.machine.release(zone)
        }
    }

    /// How many zones are parked (for tests).
    var parkedCount: Int {
        get async { (try? await loop.submit { self.parked.count }.get()) ?? 0 }
    }

    private func run(_ actions: [SerialWatch.Action]) {
        var asked = false
        // The questions of one second leave together, in one system call (`flush` below).
        defer { if asked { exchanger.flush() } }
        for action in actions {
            switch action {
            case let .ask(zone, primary):
                guard let servers = parked[zone]?.servers, primary < servers.count else { continue }
                let query = Message.query(name: zone, type: .SOA, id: 0)
                asked = true
                exchanger.ask(query, to: servers[primary], timeout: timeout, flush: false) { answer in
                    self.run(self.machine.answered(zone, primary: primary, serial: answer.flatMap { Self.serial(in: $0, of: zone) },
                                                   now: self.now()))
                }
            case let .quiet(zone, at):
                parked[zone]?.quiet(at)
            case let .handBack(zone):
                parked[zone]?.handBack()
            }
        }
        schedule()
    }

    /// One timer, at the next second a poll is due. `now` has whole seconds, so a timer set for the
    /// difference fires at or after that second, never early.
    private func schedule() {
        guard let next = machine.nextDue else {
            timer?.task.cancel()
            timer = nil
            return
        }
        if let timer, timer.at == next { return }
        timer?.task.cancel()
        let wait = max(0, next - now())
        let task = loop.scheduleTask(in: .seconds(wait)) { [self] in
            timer = nil
            run(machine.due(now: now()))
        }
        timer = (next, task)
    }

    /// The serial of an authoritative NOERROR answer with the zone's SOA; nil for anything else.
    static func serial(in message: Message, of zone: DomainName) -> UInt32? {
        guard message.rcode == .NOERROR, message.flags.aa else { return nil }
        for record in message.answers where record.name == zone {
            if case .soa(let soa) = record.rdata { return soa.serial.rawValue }
        }
        return nil
    }
}
