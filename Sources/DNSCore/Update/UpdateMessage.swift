/// A DNS UPDATE request (RFC 2136 §2): the zone section (the one zone the update is for), the
/// prerequisites that must hold, and the changes, with EDNS and TSIG lifted out of the additional
/// section as `Message` does.
///
/// Decoded by `init(decoding:)` from hostile bytes. Only the structure is checked there; what the
/// sections mean (one zone of type SOA, classes, TTLs, names inside the zone) is judged by
/// `UpdatePrescan` after the TSIG check, so a signed but meaningless update gets a signed FORMERR.
public struct UpdateMessage: Sendable {
    public var id: UInt16
    /// The header word as received (opcode, RD and CD are echoed in the response).
    public var flags: Message.Flags
    /// ZOCOUNT entries; a valid update has exactly one, of type SOA.
    public var zones: [Question]
    public var prerequisites: [UpdateRecord]
    public var updates: [UpdateRecord]
    /// Additional records other than OPT and TSIG (RFC 2136 §2.6: ignored, but kept for the MAC).
    public var additional: [ResourceRecord]
    public var edns: EDNS?
    public var tsig: ResourceRecord?
    /// Where the TSIG record began in the decoded bytes (what the MAC covers).
    public internal(set) var tsigOffset: Int?

    public init(id: UInt16, flags: Message.Flags = Message.Flags(opcode: .UPDATE), zones: [Question],
                prerequisites: [UpdateRecord] = [], updates: [UpdateRecord] = [], additional: [ResourceRecord] = [],
                edns: EDNS? = nil, tsig: ResourceRecord? = nil) {
        self.id = id
        self.flags = flags
        self.zones = zones
        self.prerequisites = prerequisites
        self.updates = updates
        self.additional = additional
        self.edns = edns
        self.tsig = tsig
        self.tsigOffset = nil
    }

    /// The zone the update names (the first zone entry).
    public var zone: Question? { zones.first }

    /// The message as TSIG verification and response building see it: this header, the zone section as
    /// the question, EDNS and TSIG (with its offset). The prerequisite and update sections are left out:
    /// the MAC covers the bytes, and a response to an update carries none of them (RFC 2136 §3.8).
    public var envelope: Message {
        var message = Message(id: id, flags: flags, questions: zones, edns: edns, tsig: tsig)
        message.tsigOffset = tsigOffset
        return message
    }

    /// The response skeleton: ID, opcode UPDATE, the zone section echoed (as BIND and Knot do), `rcode`.
    public func makeResponse(rcode: RCode) -> Message {
        envelope.makeResponse(rcode: rcode)
    }

    /// Whether `bytes` look like an UPDATE request (QR clear, opcode 5): the edge routes them here
    /// before anything tries to read them as a query.
    public static func isRequest(_ bytes: [UInt8]) -> Bool {
        bytes.count >= Message.headerLength && bytes[2] & 0x80 == 0 && (bytes[2] >> 3) & 0x0F == Opcode.UPDATE.rawValue
    }

    /// FORMERR for bytes that did not decode: their ID and opcode, no sections, unsigned (a MAC over
    /// bytes we cannot read cannot be checked, RFC 8945 §5.2).
    public static func formatError(for bytes: [UInt8]) -> [UInt8] {
        guard bytes.count >= 4 else { return [] }
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        var response = Message(id: id, flags: Message.Flags(qr: true, opcode: .UPDATE), rcode: .FORMERR)
        response.flags.rd = bytes[2] & 0x01 != 0
        return response.encode()
    }
}
