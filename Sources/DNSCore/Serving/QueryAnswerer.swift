/// Answers DNS queries from a `Catalog` of zone snapshots: RFC 1034 §4.3.2 with the DNSSEC additions of
/// RFC 4035 §3.1, EDNS(0) per RFC 6891. Pure: no sockets, no clock, no shared mutable state, so the edge
/// can call it from every thread at once.
///
/// The edge hands over what arrived (`respond(to:transport:catalog:)`) and gets back bytes to send, or a
/// message to route elsewhere (NOTIFY, zone transfers, TSIG-signed queries), or nothing. Choices made
/// where the RFCs leave room:
/// - Messages with QR set are dropped, never answered: answering a response with FORMERR can start a
///   loop between two servers doing the same (BIND, NSD and Knot drop them too).
/// - ANY is answered minimally (RFC 8482 §4.1): the name's RRset with the lowest type code (NSEC not
///   counted), with its signatures under DO.
/// - Responses are minimal: no apex NS in the authority section of positive answers; the additional
///   section holds address records of in-zone NS, MX and SRV targets.
/// - AXFR over UDP is REFUSED; IXFR over UDP gets the zone's SOA alone, telling the client to use TCP
///   (RFC 1995 §2). Over TCP both go to the edge.
/// - CNAME and DNAME chains are followed within the zone, up to `maxChainLength` steps and never into a
///   name seen before; the RCODE is the last name's (RFC 6604).
public struct QueryAnswerer: Sendable {
    /// The UDP payload size advertised in our OPT record and the most we send over UDP (RFC 6891 §6.2.5).
    public var maxUDPPayload: UInt16

    public init(maxUDPPayload: UInt16 = EDNS.defaultPayloadSize) {
        self.maxUDPPayload = max(maxUDPPayload, UInt16(Message.minimumMaxSize))
    }

    public enum Transport: Sendable, Hashable {
        case udp
        case tcp
    }

    /// What to do with bytes received on the DNS port.
    public enum Reply: Sendable {
        /// Send these bytes back.
        case bytes([UInt8])
        /// A well-formed NOTIFY (RFC 1996): check its source (and TSIG), acknowledge it, schedule a refresh.
        case notify(Message)
        /// An AXFR or IXFR request over TCP: check access (and TSIG), then stream the zone.
        case transfer(Message)
        /// A standard query carrying TSIG: verify it, then call `answer(_:transport:catalog:)` and sign
        /// the response (RFC 8945 §5.3).
        case signedQuery(Message)
        /// Send nothing: the message was a response, or too short to hold a header.
        case drop
    }

    /// What to do with a decoded query (see `Reply`).
    public enum Outcome: Sendable {
        /// The response; encode it with `message.encode(maxSize: maxSize)`, which truncates with TC.
        case response(Message, maxSize: Int)
        case notify(Message)
        case transfer(Message)
        case drop
    }

    /// CNAME/DNAME steps followed within a zone before the answer is returned as it stands.
    public static let maxChainLength = 12

    /// Decode, answer, encode. Undecodable messages get FORMERR with their ID (and question, when it can
    /// be read); over UDP the answer is cut to the client's payload size with TC set.
    public func respond(to bytes: [UInt8], transport: Transport, catalog: Catalog) -> Reply {
        guard bytes.count >= Message.headerLength else { return .drop }
        guard bytes[2] & 0x80 == 0 else { return .drop }
        let query: Message
        do {
            query = try Message(decoding: bytes)
        } catch {
            return .bytes(QueryAnswerer.formatError(for: bytes))
        }
        switch decide(query, transport: transport, catalog: catalog) {
        case .plan(let plan, let zone):
            if query.tsig != nil { return .signedQuery(query) }
            return .bytes(ResponseWriter.encode(plan, zone: zone))
        case .notify(let message): return .notify(message)
        case .transfer(let message): return .transfer(message)
        case .drop: return .drop
        }
    }

    /// Answers a decoded query. A TSIG record on it is ignored (the caller verified it); the response is
    /// complete (`maxSize` tells how much of it the transport takes).
    public func answer(_ query: Message, transport: Transport, catalog: Catalog) -> Outcome {
        switch decide(query, transport: transport, catalog: catalog) {
        case .plan(var plan, let zone):
            let maxSize = plan.maxSize
            plan.maxSize = 65535
            let bytes = ResponseWriter.encode(plan, zone: zone)
            guard let message = try? Message(decoding: bytes) else {
                return .response(query.makeResponse(rcode: .SERVFAIL, udpPayloadSize: maxUDPPayload), maxSize: maxSize)
            }
            return .response(message, maxSize: maxSize)
        case .notify(let message): return .notify(message)
        case .transfer(let message): return .transfer(message)
        case .drop: return .drop
        }
    }

    // MARK: Routing

    enum Decision {
        case plan(ResponsePlan, ZoneSnapshot?)
        case notify(Message)
        case transfer(Message)
        case drop
    }

    func decide(_ query: Message, transport: Transport, catalog: Catalog) -> Decision {
        guard !query.flags.qr else { return .drop }
        let opcode = query.flags.opcode
        var plan = ResponsePlan(
            id: query.id, opcode: opcode, rd: query.flags.rd, cd: query.flags.cd, rcode: .NOERROR,
            question: query.questions.count == 1 ? query.questions[0] : nil,
            edns: query.edns.map { EDNS(udpPayloadSize: maxUDPPayload, dnssecOK: $0.dnssecOK) },
            maxSize: maxSize(for: query, transport: transport))
        func fail(_ rcode: RCode) -> Decision {
            plan.rcode = rcode
            return .plan(plan, nil)
        }

        // RFC 6891 §6.1.3: we speak version 0 only; the OPT we send says so.
        if let edns = query.edns, edns.version > 0 { return fail(.BADVERS) }
        guard opcode == .QUERY || opcode == .NOTIFY else { return fail(.NOTIMP) }
        guard query.questions.count == 1 else { return fail(.FORMERR) }
        if opcode == .NOTIFY { return .notify(query) }

        let question = query.questions[0]
        if question.type == .AXFR || question.type == .IXFR {
            if transport == .tcp { return .transfer(query) }
            guard question.type == .IXFR, let zone = catalog.zone(for: question.name), zone.origin == question.name,
                  question.dnsClass == zone.dnsClass
            else { return fail(.REFUSED) }
            plan.aa = true
            plan.add(.answer, owner: .question, entry: zone.soaEntry, signatures: false)
            return .plan(plan, zone)
        }
        // A query asks; records in its answer or authority section (IXFR aside) make no sense.
        guard query.answers.isEmpty && query.authority.isEmpty else { return fail(.FORMERR) }
        if question.type == .OPT { return fail(.FORMERR) }
        if question.type.isMeta && question.type != .ANY { return fail(.NOTIMP) }

        guard var zone = catalog.zone(for: question.name), question.dnsClass == zone.dnsClass else {
            return fail(.REFUSED)
        }
        if catalog.isUnavailable(zone.origin) { return fail(.SERVFAIL) }
        // The parent side of a cut answers DS (RFC 4035 §3.1.4.1) when we serve both sides.
        if question.type == .DS && zone.origin == question.name, let parent = catalog.parentZone(of: zone),
           parent.dnsClass == zone.dnsClass {
            zone = parent
        }
        var resolver = QueryResolver(zone: zone, dnssec: plan.edns?.dnssecOK == true && zone.isSigned, plan: plan)
        resolver.resolve(question.name, question.type)
        return .plan(resolver.plan, zone)
    }

    /// UDP: the client's advertised size (at least 512, RFC 6891 §6.2.5) capped by ours; 512 without
    /// EDNS (RFC 1035 §4.2.1). TCP: the 64 KiB a message can hold.
    func maxSize(for query: Message, transport: Transport) -> Int {
        guard transport == .udp else { return 65535 }
        guard let edns = query.edns else { return Message.minimumMaxSize }
        return min(max(Int(edns.udpPayloadSize), Message.minimumMaxSize), Int(maxUDPPayload))
    }

    /// FORMERR for bytes that did not decode: their ID, opcode and RD, and the question when the header
    /// announces one and it can be read (RFC 1035 §4.1.1). Without a readable OPT, no OPT is sent.
    static func formatError(for bytes: [UInt8]) -> [UInt8] {
        var reader = WireReader(bytes, offset: Message.headerLength)
        var question: Question? = nil
        let questionCount = Int(bytes[4]) << 8 | Int(bytes[5])
        if questionCount == 1, let name = try? reader.readName(), let type = try? reader.readUInt16(),
           let dnsClass = try? reader.readUInt16() {
            question = Question(name: name, type: RecordType(type), dnsClass: DNSClass(dnsClass))
        }
        let plan = ResponsePlan(
            id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]), opcode: Opcode((bytes[2] >> 3) & 0x0F),
            rd: bytes[2] & 0x01 != 0, cd: bytes[3] & 0x10 != 0, rcode: .FORMERR, question: question, edns: nil,
            maxSize: Message.minimumMaxSize)
        return ResponseWriter.encode(plan, zone: nil)
    }
}
