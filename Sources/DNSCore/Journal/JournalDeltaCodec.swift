/// The stored form of one journal step, for both daemons' databases.
///
/// Layout, all integers big-endian, names uncompressed:
///
///     version (1 byte, = 1) old SOA RRset, new SOA RRset,
///     deleted RRset count (4) RRsets, added RRset count (4) RRsets
///     per RRset: owner (wire name), then as `ZoneNodeCodec` writes one: type (2) class (2) TTL (4)
///                record count (4), then per record: RDATA length (4) RDATA
///
/// Stored bytes are treated as hostile (a corrupted file, another program's row): every count is
/// checked against what is left, every RDATA goes through the network decoder, and a blob that does
/// not end where the counts say is refused.
public enum JournalDeltaCodec {
    public static let formatVersion: UInt8 = 1

    public static func encode(_ delta: JournalDelta) -> [UInt8] {
        var writer = WireWriter(compress: false, capacity: 256 + delta.recordCount * 64)
        writer.write(formatVersion)
        write(delta.oldSOA, to: &writer)
        write(delta.newSOA, to: &writer)
        for list in [delta.deleted, delta.added] {
            writer.write(UInt32(list.count))
            for set in list { write(set, to: &writer) }
        }
        return writer.bytes
    }

    private static func write(_ set: RRset, to writer: inout WireWriter) {
        writer.write(set.name)
        ZoneNodeCodec.writeSet(set, to: &writer)
    }

    public static func decode(_ bytes: [UInt8]) throws(JournalError) -> JournalDelta {
        var reader = WireReader(bytes)
        do {
            let version = try reader.readUInt8("format version")
            guard version == formatVersion else {
                throw JournalError.corrupt(offset: 0, reason: "format version \(version), expected \(formatVersion)")
            }
            let oldSOA = try readRRset(&reader)
            let newSOA = try readRRset(&reader)
            for soa in [oldSOA, newSOA] where soa.type != .SOA || soa.count != 1 {
                throw JournalError.corrupt(offset: reader.offset, reason: "a step's \(soa.type) RRset stands where its SOA belongs")
            }
            var lists: [[RRset]] = []
            for list in ["deleted", "added"] {
                let count = Int(try reader.readUInt32("\(list) RRset count"))
                // Each RRset takes at least 17 bytes (root name, type, class, TTL, count, one length).
                guard count * 17 <= reader.remaining else {
                    throw JournalError.corrupt(offset: reader.offset, reason: "claims \(count) \(list) RRsets but only \(reader.remaining) bytes follow")
                }
                var sets: [RRset] = []
                sets.reserveCapacity(count)
                for _ in 0..<count { sets.append(try readRRset(&reader)) }
                lists.append(sets)
            }
            guard reader.isAtEnd else {
                throw JournalError.corrupt(offset: reader.offset, reason: "\(reader.remaining) bytes after the last RRset")
            }
            return JournalDelta(oldSOA: oldSOA, newSOA: newSOA, deleted: lists[0], added: lists[1])
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError.corrupt(offset: reader.offset, reason: "\(error)")
        }
    }

    private static func readRRset(_ reader: inout WireReader) throws -> RRset {
        let start = reader.offset
        let name = try reader.readName()
        // Stored names are written uncompressed: a pointer means the bytes were not written by us.
        guard reader.offset - start == name.wire.count else {
            throw JournalError.corrupt(offset: start, reason: "a compressed owner name")
        }
        let type = RecordType(try reader.readUInt16("RRset type"))
        let dnsClass = DNSClass(rawValue: try reader.readUInt16("RRset class"))
        let ttl = try reader.readUInt32("RRset TTL")
        let count = Int(try reader.readUInt32("record count"))
        guard count > 0, count * 4 <= reader.remaining else {
            throw JournalError.corrupt(offset: reader.offset, reason: "\(type) RRset at \(name) claims \(count) records, \(reader.remaining) bytes follow")
        }
        var rdatas: [RData] = []
        rdatas.reserveCapacity(count)
        for _ in 0..<count {
            let length = Int(try reader.readUInt32("RDATA length"))
            rdatas.append(try RData.decode(type: type, length: length, from: &reader))
        }
        let set = RRset(name: name, type: type, dnsClass: dnsClass, ttl: ttl, rdatas: rdatas)
        guard set.count == count else {
            throw JournalError.corrupt(offset: reader.offset, reason: "\(type) RRset at \(name) repeats a record")
        }
        return set
    }
}
