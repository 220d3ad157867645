import DNSCore
import Logging

/// Accepts NOTIFY messages (RFC 1996) for the zones we are a secondary of, from their configured
/// primaries only (and with their TSIG key when one is set), answers them, and asks for a refresh
/// through `refreshRequested`, at most one in flight per zone however many NOTIFYs arrive.
///
/// Everything else is answered and logged but changes nothing: an unknown zone gets NOTAUTH, a
/// sender outside the list or without the key gets REFUSED.
public final class NotifyReceiver: Sendable {
    public struct ZonePolicy: Sendable, Hashable {
        /// Addresses allowed to notify (normally the primaries).
        public var allowed: [IPAddressPrefix]
        /// When set, the NOTIFY must be TSIG-signed with this key.
        public var key: DomainName?

        public init(allowed: [IPAddressPrefix], key: DomainName? = nil) {
            self.allowed = allowed
            self.key = key
        }
    }

    /// Called when a refresh should start, with the serial the NOTIFY carried (RFC 1996 §3.7: a hint; nil
    /// when it carried none, or for the refresh a newer NOTIFY queued behind a running one); the machine
    /// counts it as in flight until it returns.
    public typealias Refresh = @Sendable (DomainName, SerialNumber?) async -> Void

    private let policies: Locked<[DomainName: ZonePolicy]>
    private let machine = Locked(NotifyReceiverMachine())
    private let refreshRequested: Refresh
    private let logger: Logger

    public init(zones: [DomainName: ZonePolicy], logger: Logger = Logger(label: "countersign.notify"),
                refreshRequested: @escaping Refresh) {
        self.policies = Locked(zones)
        self.logger = logger
        self.refreshRequested = refreshRequested
    }

    /// Adds, changes or (with nil) removes the policy of one zone.
    public func setPolicy(_ policy: ZonePolicy?, for zone: DomainName) {
        policies.withLock { $0[zone] = policy }
    }

    public func isRefreshing(_ zone: DomainName) -> Bool { machine.withLock { $0.isRefreshing(zone) } }

    /// `message` is the decoded NOTIFY; its TSIG was checked (`verdict` is not `.rejected`).
    public func handle(_ message: Message, request: DNSRequest, verdict: TSIGRequestVerdict, now: UInt64) -> DNSResponseAction {
        let plan = EdgeResponse.plan(verdict)
        func answer(_ rcode: RCode, _ event: String, zone: DomainName?, _ reason: String) -> DNSResponseAction {
            logger.notice("notify \(event)", metadata: [
                "zone": "\(zone.map(\.description) ?? "-")", "peer": "\(request.source)", "reason": "\(reason)",
            ])
            return .reply(EdgeResponse.make(rcode, to: message, authoritative: rcode == .NOERROR, plan: plan, now: now))
        }
        guard message.questions.count == 1, let question = message.question, question.type == .SOA else {
            return answer(.FORMERR, "refused", zone: message.question?.name,
                          "a NOTIFY must ask exactly one SOA question (RFC 1996 §3.7)")
        }
        let zone = question.name
        guard let policy = policies.withLock({ $0[zone] }) else {
            return answer(.NOTAUTH, "refused", zone: zone, "not a zone we are a secondary for")
        }
        guard policy.allowed.contains(where: { $0.contains(request.source.ip) }) else {
            return answer(.REFUSED, "refused", zone: zone, "\(request.source.ip) is not a configured primary")
        }
        if let key = policy.key, verdict.key?.name != key {
            return answer(.REFUSED, "refused", zone: zone,
                          verdict.key == nil ? "unsigned, but key \(key) is required" : "signed with \(verdict.key!.name), not \(key)")
        }
        let serial = message.answers.lazy.compactMap { record -> SerialNumber? in
            if case .soa(let soa) = record.rdata, record.name == zone { return soa.serial }
            return nil
        }.first
        let action = machine.withLock { $0.event(.notified(zone: zone, serial: serial)) }
        let serialText = serial.map { "serial \($0)" } ?? "no serial"
        switch action {
        case .refresh:
            startRefresh(zone, serial: serial)
            return answer(.NOERROR, "accepted", zone: zone, "\(serialText); refresh asked")
        case .deferred:
            return answer(.NOERROR, "accepted", zone: zone, "\(serialText); a refresh will follow the one running")
        case .coalesced, .none:
            return answer(.NOERROR, "accepted", zone: zone, "\(serialText); covered by the refresh already running")
        }
    }

    private func startRefresh(_ zone: DomainName, serial: SerialNumber?) {
        Task { [self] in
            var next: NotifyReceiverMachine.Action = .refresh(zone)
            // Only the first refresh knows its serial; a queued one follows NOTIFYs it did not keep.
            var hint = serial
            while case .refresh = next {
                await refreshRequested(zone, hint)
                hint = nil
                next = machine.withLock { $0.event(.refreshFinished(zone: zone)) }
                if case .refresh = next {
                    logger.info("notify refresh", metadata: [
                        "zone": "\(zone)", "reason": "a newer NOTIFY arrived during the previous refresh",
                    ])
                }
            }
        }
    }
}
