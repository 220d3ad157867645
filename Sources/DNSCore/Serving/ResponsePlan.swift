/// What a response will hold, decided before a byte is written: header fields and, per section, which
/// snapshot RRsets go in with which owner name. `ResponseWriter` turns it into wire bytes.
struct ResponsePlan {
    enum Section: UInt8 { case answer, authority, additional }

    enum Owner {
        /// The question name as the client wrote it (a compression pointer to the question).
        case question
        case node(Int32)
        /// The owner of the NSEC3 at this chain position.
        case nsec3(Int32)
        case name(DomainName)
    }

    struct Item {
        var section: Section
        var owner: Owner
        /// Index in `ZoneSnapshot.entries`; -1 for the synthesized CNAME of a DNAME.
        var entry: Int32
        var data: Bool
        var signatures: Bool
        /// Replaces the TTL of the data and signatures (the SOA of a negative answer).
        var ttl: UInt32?
        /// When this does not fit the response is truncated (TC); otherwise it is left out quietly.
        var required: Bool
        /// For `entry == -1`: the CNAME target synthesized from a DNAME, with `ttl` as its TTL.
        var synthesizedTarget: DomainName?
    }

    var id: UInt16
    var opcode: Opcode
    var rd: Bool
    var cd: Bool
    var aa = false
    var rcode: RCode
    /// The question to echo, name spelled as received; nil when it could not be read.
    var question: Question?
    /// The OPT to send: our payload size and the DO bit; nil when the query had no EDNS.
    var edns: EDNS?
    /// The largest response the client takes over this transport.
    var maxSize: Int
    var items: [Item] = []

    init(id: UInt16, opcode: Opcode, rd: Bool, cd: Bool, rcode: RCode, question: Question?, edns: EDNS?, maxSize: Int) {
        self.id = id
        self.opcode = opcode
        self.rd = rd
        self.cd = cd
        self.rcode = rcode
        self.question = question
        self.edns = edns
        self.maxSize = maxSize
    }

    /// Adds an RRset unless the same one is already in that section.
    mutating func add(
        _ section: Section, owner: Owner, entry: Int32, data: Bool = true, signatures: Bool, ttl: UInt32? = nil,
        required: Bool = true
    ) {
        guard entry >= 0 else { return }
        for item in items where item.entry == entry && item.section == section && item.data == data { return }
        items.append(Item(
            section: section, owner: owner, entry: entry, data: data, signatures: signatures, ttl: ttl,
            required: required, synthesizedTarget: nil))
    }

    mutating func addSynthesizedCNAME(owner: Owner, target: DomainName, ttl: UInt32) {
        items.append(Item(
            section: .answer, owner: owner, entry: -1, data: true, signatures: false, ttl: ttl, required: true,
            synthesizedTarget: target))
    }

    func contains(entry: Int32, in section: Section) -> Bool {
        items.contains { $0.entry == entry && $0.section == section }
    }
}
