/// Writes a `ResponsePlan` as wire bytes straight from a snapshot's RDATA runs: no `ResourceRecord` or
/// `RData` values are made, RDATA is copied as stored, and names are compressed (owner names always,
/// RDATA names of the RFC 1035 types NS, CNAME, SOA, PTR and MX, as RFC 3597 §4 allows) against a
/// small table of names already in the packet, compared in place.
///
/// Truncation works on whole RRsets (data with its signatures): a required one that does not fit sets
/// TC and ends the response there (RFC 2181 §9); an optional additional one is left out quietly. The
/// OPT record always fits: room for it is kept from the start.
struct ResponseWriter {
    private(set) var bytes: [UInt8]
    /// Names in the packet that later names may point at: offset (low 16 bits) and the length of the
    /// uncompressed name from there (bits 16–23), so most candidates are rejected without reading.
    private var targets: [UInt32] = []
    private let limit: Int

    private static let maxTargets = 96
    private static let optLength = 11

    private init(limit: Int) {
        self.limit = limit
        bytes = []
        bytes.reserveCapacity(min(limit + ResponseWriter.optLength, 4096))
        targets.reserveCapacity(32)
    }

    /// The response bytes for `plan`. `zone` is the snapshot the plan's entries point into.
    static func encode(_ plan: ResponsePlan, zone: ZoneSnapshot?) -> [UInt8] {
        let maxSize = min(max(plan.maxSize, Message.minimumMaxSize), 65535)
        var writer = ResponseWriter(limit: maxSize - (plan.edns == nil ? 0 : optLength))
        writer.write16(plan.id)
        writer.bytes.append(contentsOf: repeatElement(0, count: 10))
        var questionCount: UInt16 = 0
        if let question = plan.question {
            writer.writeUncompressed(question.name.wire)
            writer.write16(question.type.rawValue)
            writer.write16(question.dnsClass.rawValue)
            questionCount = 1
        }
        var counts: [UInt16] = [0, 0, 0]
        var truncated = false
        if let zone {
            sections: for section in [ResponsePlan.Section.answer, .authority, .additional] {
                for item in plan.items where item.section == section {
                    let mark = writer.bytes.count
                    let targetMark = writer.targets.count
                    let written = writer.write(item, zone: zone)
                    if writer.bytes.count > writer.limit {
                        writer.bytes.removeSubrange(mark...)
                        writer.targets.removeSubrange(targetMark...)
                        if item.required {
                            truncated = true
                            break sections
                        }
                        continue
                    }
                    counts[Int(section.rawValue)] &+= written
                }
            }
        }

        var flags: UInt16 = 0x8000 | UInt16(plan.opcode.rawValue & 0x0F) << 11 | UInt16(plan.rcode.headerBits)
        if plan.aa { flags |= 0x0400 }
        if truncated { flags |= 0x0200 }
        if plan.rd { flags |= 0x0100 }
        if plan.cd { flags |= 0x0010 }
        writer.patch16(flags, at: 2)
        writer.patch16(questionCount, at: 4)
        writer.patch16(counts[0], at: 6)
        writer.patch16(counts[1], at: 8)
        writer.patch16(counts[2] &+ (plan.edns == nil ? 0 : 1), at: 10)
        if let edns = plan.edns {
            // OPT (RFC 6891 §6.1.2): root owner, payload size as CLASS, extended RCODE, version, DO.
            writer.bytes.append(0)
            writer.write16(RecordType.OPT.rawValue)
            writer.write16(edns.udpPayloadSize)
            writer.bytes.append(plan.rcode.extendedBits)
            writer.bytes.append(edns.version)
            writer.write16(edns.dnssecOK ? 0x8000 : 0)
            writer.write16(0)
        }
        return writer.bytes
    }

    // MARK: Records

    /// Writes one planned RRset (data and/or signatures); returns the number of records.
    private mutating func write(_ item: ResponsePlan.Item, zone: ZoneSnapshot) -> UInt16 {
        if item.entry < 0 {
            guard let target = item.synthesizedTarget else { return 0 }
            writeOwner(item.owner, zone: zone, reuse: nil)
            write16(RecordType.CNAME.rawValue)
            write16(zone.dnsClass.rawValue)
            write32(item.ttl ?? 0)
            let lengthAt = bytes.count
            write16(0)
            writeName(target.wire, from: 0)
            patch16(UInt16(bytes.count - lengthAt - 2), at: lengthAt)
            return 1
        }
        let entry = zone.entries[Int(item.entry)]
        var count: UInt16 = 0
        var ownerAt: Int? = nil
        if item.data {
            count &+= writeRuns(
                owner: item.owner, ownerAt: &ownerAt, type: entry.type, ttl: item.ttl ?? entry.ttl,
                start: Int(entry.start), length: Int(entry.length), zone: zone)
        }
        if item.signatures && entry.hasSignatures {
            count &+= writeRuns(
                owner: item.owner, ownerAt: &ownerAt, type: .RRSIG, ttl: item.ttl ?? entry.signatureTTL,
                start: Int(entry.signatureStart), length: Int(entry.signatureLength), zone: zone)
        }
        return count
    }

    /// Writes one record per `RDLENGTH RDATA` run; the owner is written once and pointed to after.
    private mutating func writeRuns(
        owner: ResponsePlan.Owner, ownerAt: inout Int?, type: RecordType, ttl: UInt32, start: Int, length: Int,
        zone: ZoneSnapshot
    ) -> UInt16 {
        let data = zone.data
        var position = start
        let end = start + length
        var count: UInt16 = 0
        while position < end {
            let rdlength = Int(data[position]) << 8 | Int(data[position + 1])
            ownerAt = writeOwner(owner, zone: zone, reuse: ownerAt)
            write16(type.rawValue)
            write16(zone.dnsClass.rawValue)
            write32(ttl)
            switch type {
            case .NS, .CNAME, .PTR:
                let lengthAt = bytes.count
                write16(0)
                writeName(data, from: position + 2)
                patch16(UInt16(bytes.count - lengthAt - 2), at: lengthAt)
            case .MX:
                let lengthAt = bytes.count
                write16(0)
                bytes.append(data[position + 2])
                bytes.append(data[position + 3])
                writeName(data, from: position + 4)
                patch16(UInt16(bytes.count - lengthAt - 2), at: lengthAt)
            case .SOA:
                let lengthAt = bytes.count
                write16(0)
                var p = position + 2
                writeName(data, from: p)
                p = ZoneSnapshot.nameEnd(data, from: p)
                writeName(data, from: p)
                p = ZoneSnapshot.nameEnd(data, from: p)
                bytes.append(contentsOf: data[p..<(p + 20)])
                patch16(UInt16(bytes.count - lengthAt - 2), at: lengthAt)
            default:
                bytes.append(contentsOf: data[position..<(position + 2 + rdlength)])
            }
            position += 2 + rdlength
            count &+= 1
            if bytes.count > limit { break }
        }
        return count
    }

    /// Writes the owner name; returns where it starts (for the next record of the RRset to point at).
    @discardableResult
    private mutating func writeOwner(_ owner: ResponsePlan.Owner, zone: ZoneSnapshot, reuse: Int?) -> Int? {
        if let reuse {
            write16(0xC000 | UInt16(reuse))
            return reuse
        }
        let at = bytes.count
        switch owner {
        case .question:
            write16(0xC000 | 12)
            return 12
        case .node(let index):
            writeName(zone.names, from: Int(zone.nodes[Int(index)].nameStart))
        case .nsec3(let position):
            writeName(zone.names, from: Int(zone.nsec3Links[Int(position)].nameStart))
        case .name(let name):
            writeName(name.wire, from: 0)
        }
        return at < 0x4000 ? at : nil
    }

    // MARK: Names

    /// Writes the question name as given and remembers its suffixes.
    private mutating func writeUncompressed(_ wire: [UInt8]) {
        let at = bytes.count
        bytes.append(contentsOf: wire)
        remember(wire, from: 0, upTo: wire.count - 1, nameEnd: wire.count, writtenAt: at)
    }

    /// Writes the name at `source[start...]`, its longest suffix already in the packet as a pointer.
    private mutating func writeName(_ source: [UInt8], from start: Int) {
        let end = ZoneSnapshot.nameEnd(source, from: start)
        var p = start
        while source[p] != 0 {
            if let target = find(source, from: p, length: end - p) {
                let at = bytes.count
                bytes.append(contentsOf: source[start..<p])
                write16(0xC000 | UInt16(target))
                remember(source, from: start, upTo: p, nameEnd: end, writtenAt: at)
                return
            }
            p += Int(source[p]) + 1
        }
        let at = bytes.count
        bytes.append(contentsOf: source[start..<end])
        remember(source, from: start, upTo: end - 1, nameEnd: end, writtenAt: at)
    }

    /// Records the label suffixes of `source[start..<upTo]`, written at `writtenAt`, as targets.
    private mutating func remember(_ source: [UInt8], from start: Int, upTo: Int, nameEnd: Int, writtenAt: Int) {
        var p = start
        while p < upTo && targets.count < ResponseWriter.maxTargets {
            let offset = writtenAt + (p - start)
            guard offset < 0x4000 else { return }
            targets.append(UInt32(offset) | UInt32(nameEnd - p) << 16)
            p += Int(source[p]) + 1
        }
    }

    /// A packet offset holding the name `source[start...]` (of `length` bytes uncompressed), if any.
    private func find(_ source: [UInt8], from start: Int, length: Int) -> Int? {
        for target in targets where Int(target >> 16) == length {
            let offset = Int(target & 0xFFFF)
            if packetName(at: offset, equals: source, from: start) { return offset }
        }
        return nil
    }

    /// Compares the (possibly compressed, our own) name at `offset` with `source[start...]`, ignoring case.
    private func packetName(at offset: Int, equals source: [UInt8], from start: Int) -> Bool {
        var o = offset
        var p = start
        while true {
            var length = bytes[o]
            while length & 0xC0 == 0xC0 {
                o = Int(length & 0x3F) << 8 | Int(bytes[o + 1])
                length = bytes[o]
            }
            guard length == source[p] else { return false }
            if length == 0 { return true }
            for k in 1...Int(length) {
                var x = bytes[o + k]
                var y = source[p + k]
                if x &- 0x41 < 26 { x |= 0x20 }
                if y &- 0x41 < 26 { y |= 0x20 }
                if x != y { return false }
            }
            o += Int(length) + 1
            p += Int(length) + 1
        }
    }

    // MARK: Integers

    @inline(__always)
    private mutating func write16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    @inline(__always)
    private mutating func write32(_ value: UInt32) {
        bytes.append(UInt8(value >> 24))
        bytes.append(UInt8((value >> 16) & 0xFF))
        bytes.append(UInt8((value >> 8) & 0xFF))
        bytes.append(UInt8(value & 0xFF))
    }

    @inline(__always)
    private mutating func patch16(_ value: UInt16, at position: Int) {
        bytes[position] = UInt8(value >> 8)
        bytes[position + 1] = UInt8(value & 0xFF)
    }
}
