extension Message {
    /// ID, flags and the four section counts.
    public static let headerLength = 12
    /// The smallest size every DNS client accepts over UDP (RFC 1035 §4.2.1); `encode` never aims lower.
    public static let minimumMaxSize = 512

    /// Decodes a message from hostile bytes. Every failure is a `WireError`; nothing here can trap or
    /// loop (names go through `WireReader.readName`, whose pointers must point backwards with a hop cap).
    ///
    /// Structural rules enforced beyond the field lengths: OPT only in the additional section, at most
    /// once, owned by the root; TSIG only as the very last record of the additional section; no bytes
    /// after the last record the header announced.
    public init(decoding bytes: [UInt8]) throws(WireError) {
        guard bytes.count >= Message.headerLength else {
            throw .truncated(field: "header", offset: 0, needed: Message.headerLength, available: bytes.count)
        }
        var reader = WireReader(bytes)
        let id = try reader.readUInt16("ID")
        let word = try reader.readUInt16("flags")
        let questionCount = Int(try reader.readUInt16("QDCOUNT"))
        let answerCount = Int(try reader.readUInt16("ANCOUNT"))
        let authorityCount = Int(try reader.readUInt16("NSCOUNT"))
        let additionalCount = Int(try reader.readUInt16("ARCOUNT"))

        // Counts are attacker-chosen: reserve no more than the remaining bytes could hold
        // (a question takes at least 5 bytes, a record at least 11).
        let questions = try Message.readQuestions(&reader, count: questionCount, section: "question")
        let answers = try Message.readSection(&reader, count: answerCount, section: "answer")
        let authority = try Message.readSection(&reader, count: authorityCount, section: "authority")

        var additional: [ResourceRecord] = []
        additional.reserveCapacity(min(additionalCount, reader.remaining / 11))
        var edns: EDNS? = nil
        var extendedBits: UInt8 = 0
        var tsig: ResourceRecord? = nil
        var tsigOffset: Int? = nil
        for index in 0..<additionalCount {
            let start = reader.offset
            let header = try Message.readRecordHeader(&reader)
            if header.type == .OPT {
                guard edns == nil else { throw .malformedMessage("more than one OPT record") }
                guard header.name.isRoot else {
                    throw .malformedMessage("OPT record owned by \(header.name.text), not the root")
                }
                let opt = try reader.withinRegion(length: header.length, type: .OPT) {
                    (r: inout WireReader) throws(WireError) -> OPT in try OPT(wire: &r)
                }
                // CLASS is the payload size; TTL is extended RCODE (8), version (8), DO (1), Z (15).
                extendedBits = UInt8(header.ttl >> 24)
                edns = EDNS(
                    udpPayloadSize: header.dnsClass.rawValue, version: UInt8((header.ttl >> 16) & 0xFF),
                    dnssecOK: header.ttl & 0x8000 != 0, options: opt.options)
            } else if header.type == .TSIG {
                guard index == additionalCount - 1 else {
                    throw .malformedMessage("TSIG record is not the last record of the additional section")
                }
                tsig = try header.record(rdata: RData.decode(type: .TSIG, length: header.length, from: &reader))
                tsigOffset = start
            } else {
                additional.append(try header.record(rdata: RData.decode(type: header.type, length: header.length, from: &reader)))
            }
        }
        guard reader.isAtEnd else {
            throw .trailingBytes(offset: reader.offset, count: bytes.count - reader.offset)
        }
        self.init(
            id: id, flags: Flags(headerWord: word),
            rcode: RCode(headerBits: UInt8(word & 0x0F), extendedBits: extendedBits),
            questions: questions, answers: answers, authority: authority, additional: additional, edns: edns,
            tsig: tsig)
        self.tsigOffset = tsigOffset
    }

    /// The fixed part of a record, read before its RDATA so OPT and TSIG can be recognised first.
    private struct RecordHeader {
        var name: DomainName
        var type: RecordType
        var dnsClass: DNSClass
        var ttl: UInt32
        var length: Int

        func record(rdata: RData) -> ResourceRecord {
            ResourceRecord(name: name, dnsClass: dnsClass, ttl: ttl, rdata: rdata)
        }
    }

    @inline(__always)
    private static func readRecordHeader(_ reader: inout WireReader) throws(WireError) -> RecordHeader {
        let name = try reader.readName()
        let type = RecordType(try reader.readUInt16("RR type"))
        let dnsClass = DNSClass(try reader.readUInt16("RR class"))
        let ttl = try reader.readUInt32("RR TTL")
        let length = Int(try reader.readUInt16("RDLENGTH"))
        return RecordHeader(name: name, type: type, dnsClass: dnsClass, ttl: ttl, length: length)
    }

    /// Answer or authority records: OPT and TSIG have no business there.
    /// `count` questions (an UPDATE's zone section has the same layout), no more reserved than the
    /// remaining bytes could hold (a question takes at least 5).
    static func readQuestions(_ reader: inout WireReader, count: Int, section: String) throws(WireError) -> [Question] {
        var questions: [Question] = []
        questions.reserveCapacity(min(count, reader.remaining / 5))
        for _ in 0..<count {
            let name = try reader.readName()
            let type = RecordType(try reader.readUInt16("\(section) type"))
            let dnsClass = DNSClass(try reader.readUInt16("\(section) class"))
            questions.append(Question(name: name, type: type, dnsClass: dnsClass))
        }
        return questions
    }

    private static func readSection(_ reader: inout WireReader, count: Int, section: String) throws(WireError) -> [ResourceRecord] {
        var records: [ResourceRecord] = []
        records.reserveCapacity(min(count, reader.remaining / 11))
        for _ in 0..<count {
            let header = try readRecordHeader(&reader)
            if header.type == .OPT { throw .malformedMessage("OPT record in the \(section) section") }
            if header.type == .TSIG { throw .malformedMessage("TSIG record in the \(section) section") }
            records.append(header.record(rdata: try RData.decode(type: header.type, length: header.length, from: &reader)))
        }
        return records
    }

    /// Encodes the message with name compression, fitting it into `maxSize` bytes (at least 512, at most
    /// 65535).
    ///
    /// Records are written in order until one does not fit; it and everything after it are dropped, and
    /// TC is set when that reaches a question, answer or authority record (RFC 2181 §9: a missing
    /// additional record is not truncation). The OPT and TSIG records are always written, uncompressed,
    /// after whatever fit, so the client still sees EDNS; they alone may push the size over `maxSize`.
    /// Without `edns`, only the low 4 bits of `rcode` can be sent.
    public func encode(maxSize: Int = 65535) -> [UInt8] {
        let limit = min(max(maxSize, Message.minimumMaxSize), 65535)

        var trailer = WireWriter(compress: false, capacity: 64)
        var trailerCount = 0
        if let edns {
            Message.writeOPT(edns, extendedBits: rcode.extendedBits, to: &trailer)
            trailerCount += 1
        }
        if let tsig {
            tsig.encode(to: &trailer)
            trailerCount += 1
        }
        let budget = limit - trailer.count

        var writer = WireWriter(compress: true, capacity: min(limit, 512))
        writer.write(id)
        writer.write(UInt16(0))  // flags, patched below
        writer.write(bytes: [0, 0, 0, 0, 0, 0, 0, 0])

        var truncated = false
        var questionCount = 0
        for question in questions {
            let mark = writer.count
            writer.write(question.name, compress: true)
            writer.write(question.type.rawValue)
            writer.write(question.dnsClass.rawValue)
            if writer.count > budget {
                writer.bytes.removeSubrange(mark...)
                truncated = true
                break
            }
            questionCount += 1
        }
        var answerCount = 0
        var authorityCount = 0
        var additionalCount = 0
        var complete = !truncated
        if complete {
            (answerCount, complete) = Message.append(answers, to: &writer, budget: budget)
        }
        if complete {
            (authorityCount, complete) = Message.append(authority, to: &writer, budget: budget)
        }
        truncated = !complete
        if complete {
            (additionalCount, _) = Message.append(additional, to: &writer, budget: budget)
        }

        var headerFlags = flags
        headerFlags.tc = flags.tc || truncated
        writer.patch(headerFlags.headerWord(rcode: rcode), at: 2)
        writer.patch(UInt16(questionCount), at: 4)
        writer.patch(UInt16(answerCount), at: 6)
        writer.patch(UInt16(authorityCount), at: 8)
        writer.patch(UInt16(additionalCount + trailerCount), at: 10)
        writer.write(bytes: trailer.bytes)
        return writer.bytes
    }

    /// Writes records until one would end past `budget`; that one is cut off again. Nothing may be
    /// written to a compressing writer after a cut (its table could point into the removed bytes), so
    /// callers stop at the first incomplete section.
    private static func append(
        _ records: [ResourceRecord], to writer: inout WireWriter, budget: Int
    ) -> (written: Int, complete: Bool) {
        for (index, record) in records.enumerated() {
            let mark = writer.count
            record.encode(to: &writer)
            if writer.count > budget {
                writer.bytes.removeSubrange(mark...)
                return (index, false)
            }
        }
        return (records.count, true)
    }

    /// The OPT pseudo-record (RFC 6891 §6.1.2): root owner, payload size as CLASS, extended RCODE,
    /// version and DO in the TTL. Options that would overflow RDLENGTH are left out.
    private static func writeOPT(_ edns: EDNS, extendedBits: UInt8, to writer: inout WireWriter) {
        writer.write(UInt8(0))
        writer.write(RecordType.OPT.rawValue)
        writer.write(edns.udpPayloadSize)
        writer.write(UInt32(extendedBits) << 24 | UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0))
        let lengthAt = writer.count
        writer.write(UInt16(0))
        var length = 0
        for option in edns.options where length + 4 + option.data.count <= 0xFFFF {
            writer.write(option.code)
            writer.write(UInt16(option.data.count))
            writer.write(bytes: option.data)
            length += 4 + option.data.count
        }
        writer.patch(UInt16(length), at: lengthAt)
    }
}
