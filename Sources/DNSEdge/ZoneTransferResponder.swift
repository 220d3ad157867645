import DNSCore
import Logging

/// Answers AXFR and IXFR requests (RFC 5936, RFC 1995): access control, then the zone as a stream of
/// messages, TSIG-signed per RFC 8945 §5.3.1 when the request was signed with a known key.
///
/// IXFR is answered from `journal` when it reaches the client's serial: one condensed step from the
/// client's version to ours (`IXFRPlan`); when it does not (no journal, a serial older than the
/// journal, a gap), with a full AXFR-style response (RFC 1995 §4); with the SOA alone when the client
/// already has our serial or a newer one. An IXFR without the client's SOA in its authority section
/// is malformed (RFC 1995 §3) and gets FORMERR. Over UDP (the router sends
/// only TCP here; `QueryAnswerer` answers UDP itself, the same way) an AXFR gets REFUSED: RFC 5936
/// §4.2 leaves AXFR over UDP undefined and suggests no code, and REFUSED is what every client already
/// reads as "no zone from this server here", where FORMERR would claim the message was unreadable.
/// An IXFR over UDP gets the SOA alone, RFC 1995 §2's signal to retry over TCP.
public struct ZoneTransferResponder: Sendable {
    public var zones: any ZoneSource
    /// The served zones' history; nil: every IXFR is answered AXFR-style.
    public var journal: (any ZoneJournalSource)?
    /// Applies to zones without their own entry in `zoneACLs`.
    public var acl: TransferACL
    public var zoneACLs: [DomainName: TransferACL]
    /// Target size of each transfer message (TSIG included).
    public var messageSize: Int
    /// Sign every Nth message (1: every message, as BIND and Knot do; RFC 8945 allows up to 100).
    public var signingInterval: Int
    public var logger: Logger
    public var clock: WallClock

    public init(zones: any ZoneSource, journal: (any ZoneJournalSource)? = nil, acl: TransferACL = .loopbackOnly, zoneACLs: [DomainName: TransferACL] = [:],
                messageSize: Int = AXFRWriter.defaultMessageSize, signingInterval: Int = 1,
                logger: Logger = Logger(label: "countersign.transfer"), clock: WallClock = .system) {
        self.zones = zones
        self.journal = journal
        self.acl = acl
        self.zoneACLs = zoneACLs
        self.messageSize = messageSize
        self.signingInterval = signingInterval
        self.logger = logger
        self.clock = clock
    }

    /// `message` is the decoded `request`, its TSIG already checked (`verdict` is not `.rejected`).
    public func respond(to message: Message, request: DNSRequest, verdict: TSIGRequestVerdict, now: UInt64) -> DNSResponseAction {
        let plan = EdgeResponse.plan(verdict)
        guard message.questions.count == 1, let question = message.question else {
            log("refused", zone: nil, request, "a transfer request needs exactly one question")
            return .reply(EdgeResponse.make(.FORMERR, to: message, plan: plan, now: now))
        }
        let zoneName = question.name
        let kind = question.type
        let key = verdict.key?.name
        let acl = zoneACLs[zoneName] ?? self.acl
        guard acl.allows(request.source.ip, key: key) else {
            log("refused", zone: zoneName, request,
                "\(kind) from \(request.source.ip) " + (key.map { "with key \($0)" } ?? "without TSIG")
                    + " is not allowed by the transfer ACL (\(acl))")
            return .reply(EdgeResponse.make(.REFUSED, to: message, plan: plan, now: now))
        }
        if request.transport == .udp && kind == .AXFR {
            log("refused", zone: zoneName, request, "AXFR over UDP is not defined (RFC 5936 §4.2)")
            return .reply(EdgeResponse.make(.REFUSED, to: message, plan: plan, now: now))
        }
        guard let zone = zones.snapshot(named: zoneName), let soa = zone.rrsets(at: zone.origin).first(where: { $0.type == RecordType.SOA }),
              case .soa(let soaData) = soa.rdatas.first
        else {
            log("refused", zone: zoneName, request, "\(kind) for a zone we do not serve; answered NOTAUTH")
            return .reply(EdgeResponse.make(.NOTAUTH, to: message, plan: plan, now: now))
        }
        var delta: JournalDelta?
        if kind == .IXFR {
            let clientSerial = message.authority.lazy.compactMap { record -> SerialNumber? in
                if case .soa(let theirs) = record.rdata, record.name == zoneName { return theirs.serial }
                return nil
            }.first
            guard let clientSerial else {
                log("refused", zone: zoneName, request, "an IXFR request needs the client's SOA for \(zoneName) in its authority section (RFC 1995 §3); answered FORMERR")
                return .reply(EdgeResponse.make(.FORMERR, to: message, plan: plan, now: now))
            }
            let upToDate = !(clientSerial < soaData.serial)
            if upToDate || request.transport == .udp {
                var response = message.makeResponse()
                response.flags.aa = true
                response.answers = soa.records
                log(upToDate ? "ixfr-current" : "ixfr-udp", zone: zoneName, request,
                    upToDate ? "client already has serial \(soaData.serial); sent the SOA alone"
                        : "IXFR over UDP answered with the SOA alone so the client retries over TCP")
                return .reply(EdgeResponse.sign(response, plan: plan, now: now))
            }
            switch incrementalPlan(zoneName, clientSerial: clientSerial, served: soa) {
            case .incremental(let step): delta = step
            case .full(let reason):
                log("ixfr-full", zone: zoneName, request, "answered AXFR-style: \(reason)")
            case .current:
                break  // ruled out above
            }
        }
        var writer: AXFRWriter
        do {
            if let delta {
                writer = try AXFRWriter(ixfr: delta, request: message, messageSize: messageSize,
                                        trailerReserve: plan?.reservedLength ?? 0)
            } else {
                writer = try AXFRWriter(snapshot: zone, request: message, messageSize: messageSize,
                                        trailerReserve: plan?.reservedLength ?? 0)
            }
        } catch {
            log("failed", zone: zoneName, request, "\(error)")
            return .reply(EdgeResponse.make(.SERVFAIL, to: message, plan: plan, now: now))
        }
        var signer = plan.map { TSIGTransferSigner(plan: $0, signingInterval: signingInterval) }
        var failed = false
        let clock = self.clock
        let logger = self.logger
        let source = request.source
        let serial = soaData.serial
        let style = kind == .IXFR ? (delta == nil ? "axfr-style" : "incremental") : "full"
        logger.info("transfer started", metadata: [
            "zone": "\(zoneName)", "peer": "\(source)", "kind": "\(kind)", "serial": "\(serial)", "style": "\(style)",
            "from_serial": "\(delta.map { "\($0.fromSerial)" } ?? "-")",
            "key": "\(key.map(\.description) ?? "none")",
            "reason": "allowed by the transfer ACL",
        ])
        let stream = DNSResponseStream(
            next: {
                guard !failed else { return nil }
                var bytes: [UInt8]
                do {
                    guard let next = try writer.next() else { return nil }
                    bytes = next
                } catch {
                    // Ends the transfer with an error the client cannot mistake for a complete zone.
                    failed = true
                    logger.error("transfer failed", metadata: [
                        "zone": "\(zoneName)", "peer": "\(source)", "reason": "\(error)",
                    ])
                    var response = message.makeResponse(rcode: .SERVFAIL)
                    response.flags.aa = true
                    bytes = response.encode()
                    if var running = signer {
                        bytes = running.sign(bytes, isLast: true, now: clock.seconds())
                        signer = running
                    }
                    return bytes
                }
                if var running = signer {
                    bytes = running.sign(bytes, isLast: writer.isFinished, now: clock.seconds())
                    signer = running
                }
                return bytes
            },
            onFinish: { completed in
                let outcome = failed ? "transfer failed" : completed ? "transfer finished" : "transfer aborted"
                logger.info("\(outcome)", metadata: [
                    "zone": "\(zoneName)", "peer": "\(source)", "serial": "\(serial)",
                    "messages": "\(writer.messageCount)", "records": "\(writer.recordCount)",
                    "bytes": "\(writer.byteCount)",
                    "reason": "\(completed ? "every message written" : "the connection closed first")",
                ])
            })
        return .stream(stream)
    }

    /// The journal's answer for a client at `clientSerial`; a store that cannot be read costs the
    /// client a full transfer, not an error.
    private func incrementalPlan(_ zone: DomainName, clientSerial: SerialNumber, served: RRset) -> IXFRPlan {
        guard let journal else { return .full(reason: "this server keeps no journal") }
        do {
            let steps = try journal.journalSteps(zone: zone, from: clientSerial)
            return IXFRPlan.plan(clientSerial: clientSerial, served: served, journal: steps)
        } catch {
            return .full(reason: "the journal cannot be read: \(error)")
        }
    }

    private func log(_ event: String, zone: DomainName?, _ request: DNSRequest, _ reason: String) {
        logger.notice("transfer \(event)", metadata: [
            "zone": "\(zone.map(\.description) ?? "-")", "peer": "\(request.source)",
            "transport": "\(request.transport.rawValue)", "reason": "\(reason)",
        ])
    }
}
