import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import Logging

/// The primary's front door: DNSEdge's router (queries, NOTIFY refused, AXFR/IXFR with each zone's
/// transfer ACL and the store's TSIG keys), replaced whole when the store's ACLs or keys change, with
/// one gate in front of it for zones whose ALIAS expansion is failing under the `fail` policy (or under
/// `keep-last` without a recent enough answer).
///
/// Such a zone's transfers are answered SERVFAIL — after the TSIG check and the zone's ACL, so who may
/// not transfer the zone is refused as always and learns nothing. SERVFAIL, not REFUSED or NOTAUTH: it
/// says "try again later" to a secondary (a signer keeps the copy it has and retries), where REFUSED
/// reads as a configuration error. Plain queries are not gated: they keep being answered from the last
/// expansion that succeeded, which stays published (see `ExpandingPublisher`).
final class PrimaryRequestHandler: DNSRequestHandler, @unchecked Sendable {
    struct State: Sendable {
        var router: DNSRequestRouter
        /// Zones whose transfers are refused, with the reason (for the log).
        var blocked: [DomainName: String]
    }

    private let lock = NSLock()
    private var state: State
    private let logger: Logger

    init(router: DNSRequestRouter, logger: Logger) {
        self.state = State(router: router, blocked: [:])
        self.logger = logger
    }

    var current: State { lock.withLock { state } }

    func setRouter(_ router: DNSRequestRouter) { lock.withLock { state.router = router } }

    func setBlocked(_ blocked: [DomainName: String]) { lock.withLock { state.blocked = blocked } }

    func handle(_ request: DNSRequest) -> DNSResponseAction {
        let state = current
        // Transfers run over TCP (an AXFR over UDP is refused by the router anyway, and an IXFR over UDP
        // gets the SOA alone, which sends the client to TCP, where the gate is).
        if !state.blocked.isEmpty, request.transport == .tcp, let refusal = refusal(request, state) {
            return refusal
        }
        let action = state.router.handle(request)
        if case .stream(let stream) = action { return .stream(Self.counted(stream, request: request)) }
        return action
    }

    /// An outgoing transfer that sets `countersign_zone_last_successful_transfer_timestamp_seconds` for
    /// its zone once every message was written (a secondary that hangs up midway got nothing usable).
    /// Only zone transfers stream, so the request is decoded again only for them.
    static func counted(_ stream: DNSResponseStream, request: DNSRequest) -> DNSResponseStream {
        guard let zone = (try? Message(decoding: request.bytes))?.question?.name.lowercased().text else { return stream }
        return DNSResponseStream(next: { stream.next() }, onFinish: { completed in
            stream.finish(completed: completed)
            if completed { CountersignMetrics.transferSucceeded(zone: zone, at: Int64(Date().timeIntervalSince1970)) }
        })
    }

    /// SERVFAIL for an allowed transfer of a blocked zone; nil for everything else (the router answers).
    private func refusal(_ request: DNSRequest, _ state: State) -> DNSResponseAction? {
        guard let message = try? Message(decoding: request.bytes), !message.flags.qr, message.flags.opcode == .QUERY,
              message.questions.count == 1, let question = message.question,
              question.type == .AXFR || question.type == .IXFR,
              let reason = state.blocked[question.name],
              let transfers = state.router.transfers
        else { return nil }
        let now = state.router.clock.seconds()
        let verdict = message.tsig == nil
            ? TSIGRequestVerdict.unsigned : state.router.tsig.verifyRequest(message, bytes: request.bytes, now: now)
        let plan: TSIGResponsePlan?
        switch verdict {
        case .rejected: return nil  // the router answers with the TSIG error
        case .unsigned: plan = nil
        case .verified(let verified): plan = verified
        }
        let acl = transfers.zoneACLs[question.name] ?? transfers.acl
        guard acl.allows(request.source.ip, key: verdict.key?.name) else { return nil }
        logger.warning("transfer refused", metadata: [
            "zone": "\(question.name)", "peer": "\(request.source)", "kind": "\(question.type)",
            "reason": "answered SERVFAIL: the ALIAS expansion fails (\(reason)); the secondary keeps its copy",
        ])
        let response = message.makeResponse(rcode: .SERVFAIL)
        return .reply(plan.map { $0.sign(response, now: now).bytes } ?? response.encode())
    }
}
