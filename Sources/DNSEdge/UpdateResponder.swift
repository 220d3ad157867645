import DNSCore
import Logging

/// What applying an update did, as the store reports it.
public enum UpdateOutcome: Sendable, Hashable {
    /// Committed with this new serial.
    case applied(serial: SerialNumber?)
    /// Every prerequisite held and nothing changed (RFC 2136 §3.6: no serial increase).
    case unchanged
    case refused(UpdateRefusal)
}

/// Answers DNS UPDATE requests (RFC 2136) for the zones in `zones`: decodes them (hostile bytes; what
/// does not decode gets FORMERR), checks their TSIG like every other request (RFC 8945 §5.2), checks the
/// zone's update ACL and the scope of the matching entry, then hands the update to `apply`, which checks
/// prerequisites and commits in one transaction. The answer carries the outcome's RCODE and is signed
/// when the request was.
///
/// `apply` runs on the event loop that read the request and blocks it for one SQLite transaction:
/// updates are rare next to queries on a hidden primary, and `DNSRequestHandler` answers synchronously.
public struct UpdateResponder: Sendable {
    public typealias Apply = @Sendable (_ update: UpdateMessage, _ zone: DomainName, _ key: DomainName?) -> UpdateOutcome

    /// Every zone served, with its ACL (empty: updates refused). A zone not here is not ours: NOTAUTH.
    public var zones: [DomainName: UpdateACL]
    public var apply: Apply
    public var logger: Logger
    /// Told of every answered update for one of `zones` (the zone as keyed there, and the RCODE), for
    /// metrics; updates for other names are not (those names are the sender's choice).
    public var onAnswer: @Sendable (_ zone: DomainName, _ rcode: RCode) -> Void

    public init(zones: [DomainName: UpdateACL], logger: Logger = Logger(label: "countersign.update"),
                onAnswer: @escaping @Sendable (DomainName, RCode) -> Void = { _, _ in }, apply: @escaping Apply) {
        self.zones = zones
        self.apply = apply
        self.logger = logger
        self.onAnswer = onAnswer
    }

    public func respond(to request: DNSRequest, tsig: TSIGVerifier, now: UInt64) -> DNSResponseAction {
        let message: UpdateMessage
        do {
            message = try UpdateMessage(decoding: request.bytes)
        } catch {
            log(.FORMERR, zone: nil, request, key: nil, "undecodable update: \(error)")
            let bytes = UpdateMessage.formatError(for: request.bytes)
            return bytes.isEmpty ? .drop : .reply(bytes)
        }
        let envelope = message.envelope
        let verdict = message.tsig == nil ? TSIGRequestVerdict.unsigned : tsig.verifyRequest(envelope, bytes: request.bytes, now: now)
        if case let .rejected(error, plan) = verdict {
            log(error.rcode, zone: message.zone?.name, request, key: nil, "TSIG rejected: \(error)")
            let response = message.makeResponse(rcode: error.rcode)
            return .reply(plan.map { $0.sign(response, now: now).bytes } ?? response.encode())
        }
        let key = verdict.key?.name
        let plan = EdgeResponse.plan(verdict)
        func answer(_ rcode: RCode, zone: DomainName?, _ reason: String) -> DNSResponseAction {
            log(rcode, zone: zone, request, key: key, reason)
            return .reply(EdgeResponse.sign(message.makeResponse(rcode: rcode), plan: plan, now: now))
        }
        let zoneName: DomainName
        do {
            zoneName = try UpdateEvaluator.zoneName(of: message)
        } catch {
            return answer(error.rcode, zone: message.zone?.name, error.reason)
        }
        guard let acl = zones[zoneName] else {
            return answer(.NOTAUTH, zone: zoneName, "not a zone this server is primary for")
        }
        if case let .refused(reason) = acl.decide(source: request.source.ip, key: key, updates: message.updates) {
            return answer(.REFUSED, zone: zoneName, reason)
        }
        switch apply(message, zoneName, key) {
        case let .applied(serial):
            return answer(.NOERROR, zone: zoneName, "applied \(message.updates.count) changes; serial \(serial.map { "\($0)" } ?? "-")")
        case .unchanged:
            return answer(.NOERROR, zone: zoneName, "prerequisites hold; the changes change nothing, serial kept")
        case let .refused(refusal):
            return answer(refusal.rcode, zone: zoneName, refusal.description)
        }
    }

    private func log(_ rcode: RCode, zone: DomainName?, _ request: DNSRequest, key: DomainName?, _ reason: String) {
        if let zone, zones[zone] != nil { onAnswer(zone, rcode) }
        let metadata: Logger.Metadata = [
            "zone": "\(zone?.text ?? "-")", "peer": "\(request.source)", "key": "\(key?.text ?? "none")",
            "rcode": "\(rcode)", "reason": "\(reason)",
        ]
        if rcode == .NOERROR {
            logger.info("update applied", metadata: metadata)
        } else {
            logger.notice("update refused", metadata: metadata)
        }
    }
}
