import DNSCore
import Logging
import NIOCore
import NIOPosix

/// Tells secondaries that a zone changed (RFC 1996): runs a `NotifySenderMachine` per zone on one
/// event loop, over its own UDP socket, executing what the machine asks — send, retry later, report.
/// A new announcement for a zone replaces a round still running for it (the newer serial is what
/// matters). NOTIFYs to a target with a key are TSIG-signed, and only an answer that verifies with
/// that key counts as an answer.
public final class NotifySender: Sendable {
    public struct Target: Sendable, Hashable, CustomStringConvertible {
        public var address: PeerAddress
        public var key: TSIGKey?

        public init(address: PeerAddress, key: TSIGKey? = nil) {
            self.address = address
            self.key = key
        }

        public var description: String { address.description + (key.map { " key \($0.name)" } ?? "") }
    }

    public typealias Machine = NotifySenderMachine<PeerAddress>
    public typealias Outcome = Machine.Outcome

    private let group: any EventLoopGroup
    private let policy: Machine.Policy
    private let clock: WallClock
    private let logger: Logger
    private let rounds = Locked<[DomainName: NotifyRound]>([:])

    public init(group: any EventLoopGroup, policy: Machine.Policy = Machine.Policy(), clock: WallClock = .system,
                logger: Logger = Logger(label: "countersign.notify")) {
        self.group = group
        self.policy = policy
        self.clock = clock
        self.logger = logger
    }

    /// Announces `zone` (with its SOA, as a serial hint) to `targets`; the future completes when every
    /// target has answered or been given up on. It fails only when no socket could be opened.
    @discardableResult
    public func notify(zone: DomainName, soa: ResourceRecord?, targets: [Target]) -> EventLoopFuture<[Outcome]> {
        let loop = group.next()
        let round = NotifyRound(zone: zone, soa: soa, targets: targets, policy: policy, clock: clock, logger: logger,
                                loop: loop)
        let previous = rounds.withLock { table -> NotifyRound? in
            defer { table[zone] = round }
            return table[zone]
        }
        previous?.cancel(reason: "a newer announcement of the zone replaced it")
        round.start()
        round.result.whenComplete { [rounds] _ in
            rounds.withLock { table in
                if table[zone] === round { table[zone] = nil }
            }
        }
        return round.result
    }

    /// Async form of `notify`.
    public func notify(zone: DomainName, soa: ResourceRecord?, targets: [Target]) async throws -> [Outcome] {
        try await notify(zone: zone, soa: soa, targets: targets).get()
    }

    /// Stops every round still running.
    public func cancelAll() {
        let all = rounds.withLock { table in
            defer { table.removeAll() }
            return Array(table.values)
        }
        for round in all { round.cancel(reason: "the sender was stopped") }
    }
}

/// One announcement of one zone: the machine, the sockets and the retry timer, all on `loop`.
final class NotifyRound: @unchecked Sendable {
    let zone: DomainName
    let loop: any EventLoop
    let promise: EventLoopPromise<[NotifySender.Outcome]>
    var result: EventLoopFuture<[NotifySender.Outcome]> { promise.futureResult }
    private let clock: WallClock
    private let logger: Logger
    private let keys: [PeerAddress: TSIGKey]
    // Touched on `loop` only.
    private var machine: NotifySender.Machine
    private var channels: [Bool: any Channel] = [:]
    private var timer: Scheduled<Void>?
    private var requestMACs: [PeerAddress: [[UInt8]]] = [:]
    private var done = false

    init(zone: DomainName, soa: ResourceRecord?, targets: [NotifySender.Target], policy: NotifySender.Machine.Policy,
         clock: WallClock, logger: Logger, loop: any EventLoop) {
        self.zone = zone
        self.loop = loop
        self.clock = clock
        self.logger = logger
        self.promise = loop.makePromise()
        var keys: [PeerAddress: TSIGKey] = [:]
        for target in targets { if let key = target.key { keys[target.address] = key } }
        self.keys = keys
        self.machine = NotifySender.Machine(zone: zone, soa: soa, targets: targets.map(\.address), policy: policy,
                                            idSeed: UInt16.random(in: 0...UInt16.max))
    }

    func start() {
        loop.execute { self.open() }
    }

    func cancel(reason: String) {
        loop.execute {
            guard !self.done else { return }
            self.logger.info("notify cancelled", metadata: ["zone": "\(self.zone)", "reason": "\(reason)"])
            self.finish()
        }
    }

    private func open() {
        let families = Set(machine.targets.map { target -> Bool in
            if case .v6 = target.ip { return true }
            return false
        })
        if families.isEmpty {
            finish()
            return
        }
        var pending = families.count
        for isV6 in families {
            DatagramBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NotifyResponseHandler(round: self))
                    }
                }
                .bind(to: isV6 ? UpstreamResolver.anyIPv6 : UpstreamResolver.anyIPv4)  // no getaddrinfo per NOTIFY
                .whenComplete { result in
                    switch result {
                    case let .success(channel):
                        if self.done { channel.close(promise: nil) } else { self.channels[isV6] = channel }
                    case let .failure(error):
                        self.logger.error("notify failed", metadata: [
                            "zone": "\(self.zone)", "reason": "cannot open a UDP socket: \(error)",
                        ])
                    }
                    pending -= 1
                    if pending == 0 {
                        if self.channels.isEmpty {
                            if !self.done {
                                self.done = true
                                self.promise.fail(NotifySenderError.noSocket(zone: self.zone))
                            }
                        } else {
                            self.apply(self.machine.event(.start(now: self.clock.milliseconds())))
                        }
                    }
                }
        }
    }

    func received(_ bytes: [UInt8], from source: PeerAddress) {
        guard !done, let message = try? Message(decoding: bytes) else { return }
        if let key = keys[source] {
            let now = clock.seconds()
            let verified = (requestMACs[source] ?? []).contains { mac in
                (try? TSIGVerifier.verifyResponse(bytes, key: key, requestMAC: mac, now: now)) != nil
            }
            guard verified else {
                logger.notice("notify answer ignored", metadata: [
                    "zone": "\(zone)", "peer": "\(source)", "reason": "its TSIG does not verify with key \(key.name)",
                ])
                return
            }
        }
        apply(machine.event(.response(from: source, message: message, now: clock.milliseconds())))
    }

    private func apply(_ action: NotifySender.Machine.Action) {
        for outgoing in action.send {
            send(outgoing)
        }
        for outcome in action.finished {
            switch outcome {
            case let .answered(target, rcode, attempts):
                logger.info("notify answered", metadata: [
                    "zone": "\(zone)", "peer": "\(target)", "attempts": "\(attempts)",
                    "reason": "\(rcode == .NOERROR ? "accepted" : "answered \(rcode)")",
                ])
            case let .gaveUp(target, attempts):
                logger.warning("notify gave up", metadata: [
                    "zone": "\(zone)", "peer": "\(target)", "reason": "no answer after \(attempts) attempts",
                ])
            }
        }
        timer?.cancel()
        timer = nil
        if machine.isFinished {
            finish()
        } else if let wakeAt = action.wakeAt {
            let delay = Int64(wakeAt) - Int64(clock.milliseconds())
            timer = loop.scheduleTask(in: .milliseconds(max(0, delay))) {
                guard !self.done else { return }
                self.apply(self.machine.event(.timer(now: self.clock.milliseconds())))
            }
        }
    }

    private func send(_ outgoing: NotifySender.Machine.Outgoing) {
        let isV6: Bool
        if case .v6 = outgoing.target.ip { isV6 = true } else { isV6 = false }
        guard let channel = channels[isV6], let address = try? outgoing.target.socketAddress() else { return }
        var bytes: [UInt8]
        if let key = keys[outgoing.target] {
            let signed = TSIGSigner(key: key).signRequest(outgoing.message, now: clock.seconds())
            bytes = signed.bytes
            requestMACs[outgoing.target, default: []].append(signed.mac)
        } else {
            bytes = outgoing.message.encode()
        }
        logger.debug("notify sent", metadata: [
            "zone": "\(zone)", "peer": "\(outgoing.target)", "reason": "attempt \(outgoing.attempt)",
        ])
        let envelope = AddressedEnvelope(remoteAddress: address, data: channel.allocator.buffer(bytes: bytes))
        channel.writeAndFlush(envelope, promise: nil)
        bytes.removeAll()
    }

    private func finish() {
        guard !done else { return }
        done = true
        timer?.cancel()
        for channel in channels.values { channel.close(promise: nil) }
        channels.removeAll()
        var outcomes = machine.outcomes
        let settled = Set(outcomes.map(\.target))
        for target in machine.targets where !settled.contains(target) {
            outcomes.append(.gaveUp(target, attempts: 0))
        }
        promise.succeed(outcomes)
    }
}

/// Hands NOTIFY answers to their round.
final class NotifyResponseHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let round: NotifyRound

    init(round: NotifyRound) { self.round = round }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let source = PeerAddress(envelope.remoteAddress) else { return }
        round.received(Array(envelope.data.readableBytesView), from: source)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {}
}

/// Why a NOTIFY round could not run at all.
public enum NotifySenderError: Error, Hashable, Sendable, CustomStringConvertible {
    case noSocket(zone: DomainName)

    public var description: String {
        switch self {
        case let .noSocket(zone): "could not open a UDP socket to notify the secondaries of \(zone)"
        }
    }
}
