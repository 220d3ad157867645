extension UpdateMessage {
    /// Decodes an UPDATE request from hostile bytes. Every failure is a `WireError`: names go through
    /// `WireReader.readName` (backward pointers, hop cap), counts never reserve more than the remaining
    /// bytes could hold, and every RDATA must fill its RDLENGTH exactly.
    ///
    /// An RDLENGTH of 0 is read as "no data" (`rdata == nil`) whatever the type, as the delete and
    /// existence forms need; a non-empty RDATA must be a valid value of its type. OPT may appear once,
    /// owned by the root, in the additional section only; TSIG only as its very last record.
    public init(decoding bytes: [UInt8]) throws(WireError) {
        guard bytes.count >= Message.headerLength else {
            throw .truncated(field: "header", offset: 0, needed: Message.headerLength, available: bytes.count)
        }
        var reader = WireReader(bytes)
        let id = try reader.readUInt16("ID")
        let word = try reader.readUInt16("flags")
        let zoneCount = Int(try reader.readUInt16("ZOCOUNT"))
        let prerequisiteCount = Int(try reader.readUInt16("PRCOUNT"))
        let updateCount = Int(try reader.readUInt16("UPCOUNT"))
        let additionalCount = Int(try reader.readUInt16("ADCOUNT"))
        let flags = Message.Flags(headerWord: word)
        guard flags.opcode == .UPDATE else { throw .malformedMessage("opcode \(flags.opcode), not UPDATE") }

        let zones = try Message.readQuestions(&reader, count: zoneCount, section: "zone")
        let prerequisites = try Self.readSection(&reader, count: prerequisiteCount, section: "prerequisite")
        let updates = try Self.readSection(&reader, count: updateCount, section: "update")

        var additional: [ResourceRecord] = []
        additional.reserveCapacity(min(additionalCount, reader.remaining / 11))
        var edns: EDNS? = nil
        var tsig: ResourceRecord? = nil
        var tsigOffset: Int? = nil
        for index in 0..<additionalCount {
            let start = reader.offset
            let name = try reader.readName()
            let type = RecordType(try reader.readUInt16("RR type"))
            let dnsClass = DNSClass(try reader.readUInt16("RR class"))
            let ttl = try reader.readUInt32("RR TTL")
            let length = Int(try reader.readUInt16("RDLENGTH"))
            if type == .OPT {
                guard edns == nil else { throw .malformedMessage("more than one OPT record") }
                guard name.isRoot else { throw .malformedMessage("OPT record owned by \(name.text), not the root") }
                let opt = try reader.withinRegion(length: length, type: .OPT) {
                    (r: inout WireReader) throws(WireError) -> OPT in try OPT(wire: &r)
                }
                edns = EDNS(udpPayloadSize: dnsClass.rawValue, version: UInt8((ttl >> 16) & 0xFF),
                            dnssecOK: ttl & 0x8000 != 0, options: opt.options)
            } else if type == .TSIG {
                guard index == additionalCount - 1 else {
                    throw .malformedMessage("TSIG record is not the last record of the additional section")
                }
                let rdata = try RData.decode(type: .TSIG, length: length, from: &reader)
                tsig = ResourceRecord(name: name, dnsClass: dnsClass, ttl: ttl, rdata: rdata)
                tsigOffset = start
            } else {
                let rdata = try RData.decode(type: type, length: length, from: &reader)
                additional.append(ResourceRecord(name: name, dnsClass: dnsClass, ttl: ttl, rdata: rdata))
            }
        }
        guard reader.isAtEnd else { throw .trailingBytes(offset: reader.offset, count: bytes.count - reader.offset) }
        self.init(id: id, flags: flags, zones: zones, prerequisites: prerequisites, updates: updates,
                  additional: additional, edns: edns, tsig: tsig)
        self.tsigOffset = tsigOffset
    }

    private static func readSection(_ reader: inout WireReader, count: Int, section: String) throws(WireError) -> [UpdateRecord] {
        var records: [UpdateRecord] = []
        records.reserveCapacity(min(count, reader.remaining / 11))
        for _ in 0..<count {
            let name = try reader.readName()
            let type = RecordType(try reader.readUInt16("RR type"))
            let dnsClass = DNSClass(try reader.readUInt16("RR class"))
            let ttl = try reader.readUInt32("RR TTL")
            let length = Int(try reader.readUInt16("RDLENGTH"))
            if type == .OPT || type == .TSIG { throw .malformedMessage("\(type) record in the \(section) section") }
            let rdata: RData? = length == 0 ? nil : try RData.decode(type: type, length: length, from: &reader)
            records.append(UpdateRecord(name: name, type: type, dnsClass: dnsClass, ttl: ttl, rdata: rdata))
        }
        return records
    }

    /// Encodes the request (what a client such as nsupdate sends): for tests, the fuzzer's seeds and the
    /// edge's own tools. Records without data are written with RDLENGTH 0.
    public func encode() -> [UInt8] {
        var writer = WireWriter(compress: true, capacity: 512)
        writer.write(id)
        writer.write(flags.headerWord(rcode: .NOERROR))
        writer.write(UInt16(zones.count))
        writer.write(UInt16(prerequisites.count))
        writer.write(UInt16(updates.count))
        writer.write(UInt16(additional.count + (edns == nil ? 0 : 1) + (tsig == nil ? 0 : 1)))
        for zone in zones {
            writer.write(zone.name, compress: true)
            writer.write(zone.type.rawValue)
            writer.write(zone.dnsClass.rawValue)
        }
        for record in prerequisites + updates {
            writer.write(record.name, compress: true)
            writer.write(record.type.rawValue)
            writer.write(record.dnsClass.rawValue)
            writer.write(record.ttl)
            let lengthAt = writer.count
            writer.write(UInt16(0))
            if let rdata = record.rdata {
                rdata.encode(to: &writer)
                writer.patch(UInt16(writer.count - lengthAt - 2), at: lengthAt)
            }
        }
        for record in additional { record.encode(to: &writer) }
        if let edns {
            // The OPT pseudo-record (RFC 6891 §6.1.2): root owner, payload size as CLASS, version and DO.
            writer.write(UInt8(0))
            writer.write(RecordType.OPT.rawValue)
            writer.write(edns.udpPayloadSize)
            writer.write(UInt32(edns.version) << 16 | (edns.dnssecOK ? 0x8000 : 0))
            writer.write(UInt16(edns.options.reduce(0) { $0 + 4 + $1.data.count }))
            for option in edns.options {
                writer.write(option.code)
                writer.write(UInt16(option.data.count))
                writer.write(bytes: option.data)
            }
        }
        if let tsig { tsig.encode(to: &writer) }
        return writer.bytes
    }
}
