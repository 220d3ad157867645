/// Turns a zone into the messages of an AXFR response (RFC 5936 §2.2), one message at a time, so a
/// server can stream a large zone without holding every message in memory.
///
/// The records go out as the apex SOA, every other record in canonical order, and the SOA again.
/// Each message repeats the ID and question of the request (RFC 5936 §2.2.1 allows it, and clients
/// that compare questions across messages accept it), carries QR and AA, and is compressed on its
/// own: compression pointers never cross messages. A message is closed when the next record would
/// push it past `messageSize`; a record too large for that gets a message of its own up to the
/// 65535-byte hard limit. `trailerReserve` bytes are kept free for a TSIG record the caller appends.
public struct AXFRWriter: Sendable {
    /// Why a zone cannot be transferred.
    public enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// No SOA at the apex: there is no zone to transfer (RFC 5936 §2.2: it starts and ends with it).
        case noSOA(zone: DomainName)
        /// One record cannot fit in a 65535-byte message even alone.
        case recordTooLarge(name: DomainName, type: RecordType, bytes: Int)

        public var description: String {
            switch self {
            case let .noSOA(zone): "zone \(zone) has no SOA at its apex, so it cannot be transferred"
            case let .recordTooLarge(name, type, bytes):
                "the \(type) record at \(name) needs \(bytes) bytes and cannot fit in one DNS message"
            }
        }
    }

    /// NSD's choice: every offset in a 16 KiB message fits a compression pointer, so every repeated
    /// name compresses, and a lost message costs little.
    public static let defaultMessageSize = 16384
    /// The most a message can hold over TCP (two-byte length prefix).
    public static let hardLimit = 65535

    public let zone: DomainName
    private let id: UInt16
    private let question: Question?
    private let recursionDesired: Bool
    private let edns: EDNS?
    private let messageSize: Int
    private let trailerReserve: Int
    private let soa: ResourceRecord
    private var source: Source
    /// An AXFR body leaves the apex SOA to the two ends; an IXFR body carries an SOA before each
    /// list of deletions and additions (RFC 1995 §4).
    private let bodyHasSOAs: Bool
    /// The RRsets being written (one owner's from a snapshot, the whole zone from a `Zone`), apex SOA
    /// left out; `batchIndex` and `rdataIndex` point at the next record while `phase` is `.body`.
    private var batch: [RRset] = []
    private var batchIndex = 0
    private var rdataIndex = 0
    private var phase = Phase.openingSOA
    public private(set) var messageCount = 0
    public private(set) var recordCount = 0
    public private(set) var byteCount = 0
    public private(set) var isFinished = false

    /// - Parameters:
    ///   - request: the AXFR (or IXFR) query; its ID, question, RD bit and EDNS presence are echoed.
    ///   - messageSize: target size of each message, TSIG included (clamped to 512...65535).
    ///   - trailerReserve: bytes to leave for a TSIG record (`TSIGResponsePlan.reservedLength`).
    public init(zone: Zone, request: Message, messageSize: Int = AXFRWriter.defaultMessageSize,
                trailerReserve: Int = 0) throws(Failure) {
        try self.init(origin: zone.origin, soa: zone.rrset(at: zone.origin, type: .SOA), source: .rrsets(zone.rrsets),
                      request: request, messageSize: messageSize, trailerReserve: trailerReserve)
    }

    /// Streams a served snapshot: each message decodes only the owners it holds, so transferring a large
    /// signed zone does not rebuild it in memory.
    public init(snapshot: ZoneSnapshot, request: Message, messageSize: Int = AXFRWriter.defaultMessageSize,
                trailerReserve: Int = 0) throws(Failure) {
        try self.init(origin: snapshot.origin, soa: snapshot.rrsets(at: snapshot.origin).first { $0.type == .SOA },
                      source: .snapshot(ZoneSnapshot.RRsetCursor(snapshot)),
                      request: request, messageSize: messageSize, trailerReserve: trailerReserve)
    }

    /// An incremental response (RFC 1995 §4): the served SOA, then the step's old SOA, deletions, new
    /// SOA and additions, then the served SOA again; split into messages like an AXFR.
    public init(ixfr delta: JournalDelta, request: Message, messageSize: Int = AXFRWriter.defaultMessageSize,
                trailerReserve: Int = 0) throws(Failure) {
        try self.init(origin: delta.newSOA.name, soa: delta.newSOA,
                      source: .rrsets([delta.oldSOA] + delta.deleted + [delta.newSOA] + delta.added),
                      request: request, messageSize: messageSize, trailerReserve: trailerReserve, bodyHasSOAs: true)
    }

    private init(origin: DomainName, soa soaSet: RRset?, source: Source, request: Message, messageSize: Int,
                 trailerReserve: Int, bodyHasSOAs: Bool = false) throws(Failure) {
        self.bodyHasSOAs = bodyHasSOAs
        guard let soaSet, let soaData = soaSet.rdatas.first else { throw .noSOA(zone: origin) }
        self.zone = origin
        self.id = request.id
        self.question = request.question
        self.recursionDesired = request.flags.rd
        self.edns = request.edns.map { EDNS(udpPayloadSize: EDNS.defaultPayloadSize, dnssecOK: $0.dnssecOK) }
        self.messageSize = min(max(messageSize, Message.minimumMaxSize), AXFRWriter.hardLimit)
        self.trailerReserve = max(0, trailerReserve)
        self.soa = ResourceRecord(name: origin, dnsClass: soaSet.dnsClass, ttl: soaSet.ttl, rdata: soaData)
        self.source = source
    }

    /// Where the records between the two SOAs come from.
    enum Source: Sendable {
        /// All at once (a `Zone`'s RRsets), until taken.
        case rrsets([RRset]?)
        case snapshot(ZoneSnapshot.RRsetCursor)

        mutating func nextBatch() -> [RRset]? {
            switch self {
            case .rrsets(let all):
                self = .rrsets(nil)
                return all
            case .snapshot(var cursor):
                let owner = cursor.next()
                self = .snapshot(cursor)
                return owner
            }
        }
    }

    enum Phase: Sendable {
        case openingSOA, body, closingSOA, finished
    }

    /// The record at the current position, or nil when the closing SOA has been written.
    private var current: ResourceRecord? {
        switch phase {
        case .openingSOA, .closingSOA: return soa
        case .finished: return nil
        case .body:
            let set = batch[batchIndex]
            return ResourceRecord(name: set.name, dnsClass: set.dnsClass, ttl: set.ttl, rdata: set.rdatas[rdataIndex])
        }
    }

    private mutating func advance() {
        switch phase {
        case .openingSOA:
            phase = .body
            settle()
        case .body:
            rdataIndex += 1
            if rdataIndex < batch[batchIndex].count { return }
            rdataIndex = 0
            batchIndex += 1
            settle()
        case .closingSOA:
            phase = .finished
            isFinished = true
        case .finished:
            break
        }
    }

    /// Moves to the next non-empty RRset, taking batches from the source, or to the closing SOA when
    /// none is left. The apex SOA travels only at the two ends.
    private mutating func settle() {
        while true {
            while batchIndex < batch.count && batch[batchIndex].isEmpty { batchIndex += 1 }
            if batchIndex < batch.count { return }
            guard let next = source.nextBatch() else {
                batch = []
                phase = .closingSOA
                return
            }
            batch = bodyHasSOAs ? next : next.filter { !($0.type == .SOA && $0.name == zone) }
            batchIndex = 0
        }
    }

    /// The next message, encoded, without TSIG; nil after the one holding the closing SOA.
    public mutating func next() throws(Failure) -> [UInt8]? {
        guard !isFinished else { return nil }
        let optLength = edns == nil ? 0 : 11
        let budget = messageSize - trailerReserve - optLength
        let hardBudget = AXFRWriter.hardLimit - trailerReserve - optLength

        var writer = WireWriter(compress: true, capacity: min(messageSize, 16384))
        writer.write(id)
        var flags = Message.Flags(qr: true, aa: true, rd: recursionDesired)
        flags.opcode = .QUERY
        writer.write(flags.headerWord(rcode: .NOERROR))
        writer.write(UInt16(question == nil ? 0 : 1))
        writer.write(bytes: [0, 0, 0, 0, 0, 0])
        if let question {
            writer.write(question.name, compress: true)
            writer.write(question.type.rawValue)
            writer.write(question.dnsClass.rawValue)
        }
        var written = 0
        while let record = current {
            let mark = writer.count
            record.encode(to: &writer)
            let limit = written == 0 ? hardBudget : budget
            if writer.count > limit {
                if written == 0 {
                    throw .recordTooLarge(name: record.name, type: record.type, bytes: writer.count - mark)
                }
                // The cut record's names may be in the compression table: this message takes nothing more.
                writer.bytes.removeSubrange(mark...)
                break
            }
            written += 1
            advance()
            // A record that needed the hard limit travels alone.
            if writer.count > budget { break }
        }
        writer.patch(UInt16(written), at: 6)
        if let edns {
            writer.write(UInt8(0))
            writer.write(RecordType.OPT.rawValue)
            writer.write(edns.udpPayloadSize)
            writer.write(UInt32(edns.dnssecOK ? 0x8000 : 0))
            writer.write(UInt16(0))
            writer.patch(1, at: 10)
        }
        messageCount += 1
        recordCount += written
        byteCount += writer.count
        return writer.bytes
    }

    /// Every message at once (tests and small zones).
    public mutating func allMessages() throws(Failure) -> [[UInt8]] {
        var messages: [[UInt8]] = []
        while let message = try next() { messages.append(message) }
        return messages
    }
}
