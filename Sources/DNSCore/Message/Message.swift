/// A DNS message (RFC 1035 §4.1) with EDNS and TSIG lifted out of the additional section.
///
/// `additional` holds only ordinary records; the OPT pseudo-record is `edns` and the TSIG record is
/// `tsig`, because both have fixed places on the wire (OPT at most once, TSIG strictly last) that the
/// encoder enforces rather than trusting callers to order an array.
public struct Message: Sendable {
    public var id: UInt16
    public var flags: Flags
    /// The full 12-bit code; its high 8 bits can only be sent when `edns` is present.
    public var rcode: RCode
    public var questions: [Question]
    public var answers: [ResourceRecord]
    public var authority: [ResourceRecord]
    /// Additional records other than OPT and TSIG.
    public var additional: [ResourceRecord]
    public var edns: EDNS?
    public var tsig: ResourceRecord?
    /// Byte offset where the TSIG record began in the decoded bytes (what TSIG verification hashes up
    /// to). Set only by decoding; not part of equality, since it describes the bytes, not the message.
    public internal(set) var tsigOffset: Int?

    /// The header bits other than the RCODE (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD and CD).
    /// The reserved Z bit is not kept: it is ignored on receipt and sent as zero.
    public struct Flags: Sendable, Hashable {
        /// Set in responses.
        public var qr: Bool
        public var opcode: Opcode
        /// Authoritative answer.
        public var aa: Bool
        /// Truncated: the answer did not fit; the encoder also sets it when it drops records.
        public var tc: Bool
        /// Recursion desired.
        public var rd: Bool
        /// Recursion available.
        public var ra: Bool
        /// Authentic data (DNSSEC-validated, RFC 4035 §3.2.3 / RFC 6840 §5.7).
        public var ad: Bool
        /// Checking disabled.
        public var cd: Bool

        public init(qr: Bool = false, opcode: Opcode = .QUERY, aa: Bool = false, tc: Bool = false, rd: Bool = false,
                    ra: Bool = false, ad: Bool = false, cd: Bool = false) {
            self.qr = qr
            self.opcode = opcode
            self.aa = aa
            self.tc = tc
            self.rd = rd
            self.ra = ra
            self.ad = ad
            self.cd = cd
        }

        /// The 16-bit header word with `rcode`'s low 4 bits filled in.
        func headerWord(rcode: RCode) -> UInt16 {
            var word = UInt16(opcode.rawValue & 0x0F) << 11 | UInt16(rcode.headerBits)
            if qr { word |= 0x8000 }
            if aa { word |= 0x0400 }
            if tc { word |= 0x0200 }
            if rd { word |= 0x0100 }
            if ra { word |= 0x0080 }
            if ad { word |= 0x0020 }
            if cd { word |= 0x0010 }
            return word
        }

        init(headerWord word: UInt16) {
            self.init(
                qr: word & 0x8000 != 0, opcode: Opcode(UInt8((word >> 11) & 0x0F)), aa: word & 0x0400 != 0,
                tc: word & 0x0200 != 0, rd: word & 0x0100 != 0, ra: word & 0x0080 != 0, ad: word & 0x0020 != 0,
                cd: word & 0x0010 != 0)
        }
    }

    public init(
        id: UInt16, flags: Flags = Flags(), rcode: RCode = .NOERROR, questions: [Question] = [],
        answers: [ResourceRecord] = [], authority: [ResourceRecord] = [], additional: [ResourceRecord] = [],
        edns: EDNS? = nil, tsig: ResourceRecord? = nil
    ) {
        self.id = id
        self.flags = flags
        self.rcode = rcode
        self.questions = questions
        self.answers = answers
        self.authority = authority
        self.additional = additional
        self.edns = edns
        self.tsig = tsig
        self.tsigOffset = nil
    }

    /// The first question, which is the only one any real query has.
    public var question: Question? { questions.first }

    /// A standard query for `name`/`type`. EDNS is included when `udpPayloadSize` is given or `do` is set
    /// (the DO bit can only travel in an OPT record).
    public static func query(
        name: DomainName, type: RecordType, dnsClass: DNSClass = .IN, id: UInt16, recursionDesired: Bool = false,
        do dnssecOK: Bool = false, udpPayloadSize: UInt16? = EDNS.defaultPayloadSize
    ) -> Message {
        let edns: EDNS? = (udpPayloadSize != nil || dnssecOK)
            ? EDNS(udpPayloadSize: udpPayloadSize ?? EDNS.defaultPayloadSize, dnssecOK: dnssecOK) : nil
        return Message(
            id: id, flags: Flags(rd: recursionDesired), questions: [Question(name: name, type: type, dnsClass: dnsClass)],
            edns: edns)
    }

    /// The skeleton of a response to this message: same ID, opcode, RD and CD bits (RFC 1035 §4.1.1,
    /// RFC 6840 §5.9) and question, QR set. When the request had EDNS the response has it too, echoing
    /// the DO bit (RFC 3225 §3) and advertising `udpPayloadSize`; RFC 6891 §7 forbids OPT otherwise.
    public func makeResponse(rcode: RCode = .NOERROR, udpPayloadSize: UInt16 = EDNS.defaultPayloadSize) -> Message {
        let edns = self.edns.map { EDNS(udpPayloadSize: udpPayloadSize, dnssecOK: $0.dnssecOK) }
        return Message(
            id: id, flags: Flags(qr: true, opcode: flags.opcode, rd: flags.rd, cd: flags.cd), rcode: rcode,
            questions: questions, edns: edns)
    }
}

extension Message: Hashable {
    public static func == (lhs: Message, rhs: Message) -> Bool {
        lhs.id == rhs.id && lhs.flags == rhs.flags && lhs.rcode == rhs.rcode && lhs.questions == rhs.questions
            && lhs.answers == rhs.answers && lhs.authority == rhs.authority && lhs.additional == rhs.additional
            && lhs.edns == rhs.edns && lhs.tsig == rhs.tsig
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(flags)
        hasher.combine(rcode)
        hasher.combine(questions)
        hasher.combine(answers)
        hasher.combine(authority)
        hasher.combine(additional)
        hasher.combine(edns)
        hasher.combine(tsig)
    }
}
