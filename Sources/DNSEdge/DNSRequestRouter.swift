import DNSCore
import Logging

/// The server's front door. `QueryAnswerer` (DNSCore) reads every request once and answers plain
/// queries itself; what it hands back goes where it belongs — NOTIFY to the notify receiver, AXFR and
/// IXFR over TCP to the transfer responder — after the TSIG check all of them share (RFC 8945 §5.2):
/// a bad signature is answered with the TSIG error, a verified one has its answer signed.
public struct DNSRequestRouter: DNSRequestHandler {
    public var answerer: QueryAnswerer
    public var served: ServedZones
    public var transfers: ZoneTransferResponder?
    public var notifies: NotifyReceiver?
    /// Dynamic updates (RFC 2136); nil: UPDATE is answered by the answerer (NOTIMP or FORMERR).
    public var updates: UpdateResponder? = nil
    public var tsig: TSIGVerifier
    public var clock: WallClock
    public var logger: Logger

    public init(served: ServedZones, answerer: QueryAnswerer = QueryAnswerer(), transfers: ZoneTransferResponder? = nil,
                notifies: NotifyReceiver? = nil, tsig: TSIGVerifier = TSIGVerifier(keys: []), clock: WallClock = .system,
                logger: Logger = Logger(label: "countersign.edge")) {
        self.served = served
        self.answerer = answerer
        self.transfers = transfers
        self.notifies = notifies
        self.tsig = tsig
        self.clock = clock
        self.logger = logger
    }

    public func handle(_ request: DNSRequest) -> DNSResponseAction {
        let transport: QueryAnswerer.Transport = request.transport == .udp ? .udp : .tcp
        let catalog = served.catalog
        // Before the answerer: an UPDATE's delete forms (empty RDATA) are no valid query records.
        if let updates, UpdateMessage.isRequest(request.bytes) {
            return updates.respond(to: request, tsig: tsig, now: clock.seconds())
        }
        switch answerer.respond(to: request.bytes, transport: transport, catalog: catalog) {
        case let .bytes(bytes):
            return .reply(bytes)
        case .drop:
            logger.debug("dropped", metadata: [
                "peer": "\(request.source)", "reason": "a response or a message shorter than a header",
            ])
            return .drop
        case let .notify(message):
            return routeNotify(message, request)
        case let .transfer(message):
            return routeTransfer(message, request)
        case let .signedQuery(message):
            let now = clock.seconds()
            let verdict = tsig.verifyRequest(message, bytes: request.bytes, now: now)
            if let rejection = reject(verdict, message, request, now) { return rejection }
            switch answerer.answer(message, transport: transport, catalog: catalog) {
            case let .response(response, maxSize):
                // RFC 8945 §5.3: the answer to a signed query is signed (secondaries check their SOA query).
                return .reply(EdgeResponse.sign(response, plan: EdgeResponse.plan(verdict), now: now, maxSize: maxSize))
            case let .notify(message): return routeNotify(message, request)
            case let .transfer(message): return routeTransfer(message, request)
            case .drop: return .drop
            }
        }
    }

    private func routeNotify(_ message: Message, _ request: DNSRequest) -> DNSResponseAction {
        let now = clock.seconds()
        let verdict = verdict(message, request, now)
        if let rejection = reject(verdict, message, request, now) { return rejection }
        guard let notifies else {
            return refuse(.NOTIMP, message, request, verdict, now, "NOTIFY is not accepted by this server")
        }
        return notifies.handle(message, request: request, verdict: verdict, now: now)
    }

    private func routeTransfer(_ message: Message, _ request: DNSRequest) -> DNSResponseAction {
        let now = clock.seconds()
        let verdict = verdict(message, request, now)
        if let rejection = reject(verdict, message, request, now) { return rejection }
        guard let transfers else {
            return refuse(.REFUSED, message, request, verdict, now, "zone transfers are not served here")
        }
        return transfers.respond(to: message, request: request, verdict: verdict, now: now)
    }

    private func verdict(_ message: Message, _ request: DNSRequest, _ now: UInt64) -> TSIGRequestVerdict {
        message.tsig == nil ? .unsigned : tsig.verifyRequest(message, bytes: request.bytes, now: now)
    }

    /// The answer to a request whose TSIG failed: the RFC 8945 error, signed when the plan allows.
    private func reject(_ verdict: TSIGRequestVerdict, _ message: Message, _ request: DNSRequest, _ now: UInt64) -> DNSResponseAction? {
        guard case let .rejected(error, plan) = verdict else { return nil }
        logger.notice("tsig rejected", metadata: [
            "zone": "\(message.question.map { $0.name.description } ?? "-")", "peer": "\(request.source)",
            "reason": "\(error)",
        ])
        let response = message.makeResponse(rcode: error.rcode)
        if let plan { return .reply(plan.sign(response, now: now).bytes) }
        return .reply(response.encode())
    }

    private func refuse(_ rcode: RCode, _ message: Message, _ request: DNSRequest, _ verdict: TSIGRequestVerdict,
                        _ now: UInt64, _ reason: String) -> DNSResponseAction {
        logger.notice("refused", metadata: [
            "zone": "\(message.question.map { $0.name.description } ?? "-")", "peer": "\(request.source)",
            "reason": "\(reason)",
        ])
        return .reply(EdgeResponse.make(rcode, to: message, plan: EdgeResponse.plan(verdict), now: now))
    }
}
