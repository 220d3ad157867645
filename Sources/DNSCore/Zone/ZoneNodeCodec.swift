/// The stored form of one node of a zone (every RRset of one owner name), for the signer's database:
/// one row per owner, so a change rewrites only the names it touches, and a zone reloads without
/// parsing presentation text.
///
/// Layout, all integers big-endian, names uncompressed:
///
///     version (1 byte, = 1) RRset count (4)
///     per RRset: type (2) class (2) TTL (4) record count (4), then per record: RDATA length (4) RDATA
///
/// The counts make every truncation detectable, even one that falls between two RRsets. Counts and
/// lengths are 32-bit so no zone held in memory (an AXFR may carry an RRset no message could) fails
/// to encode.
///
/// RRsets are written in the zone's node order (type code, RRSIG sets by covered type) and must come
/// back in that order. RDATA is kept as written (not canonical), so names inside it keep their case.
/// The owner is not in the blob: it is the row's key, its wire form lowercased (RFC 4034 §6.2), so a
/// reloaded zone has lowercased owner names (equal to the original, names compare case-insensitively).
///
/// Stored bytes are treated as hostile: every length is checked and every RDATA goes through the
/// same decoder as bytes from the network.
public enum ZoneNodeCodec {
    public static let formatVersion: UInt8 = 1

    /// The row key of `owner`: its wire form, lowercased.
    public static func ownerKey(_ owner: DomainName) -> [UInt8] { DomainName.lowercase(owner.wire) }

    /// The node's RRsets as bytes. `rrsets` are one owner's, in node order (`Zone.rrsets(at:)`).
    public static func encode(_ rrsets: [RRset]) -> [UInt8] {
        var writer = WireWriter(compress: false, capacity: 16 + rrsets.count * 64)
        writer.write(formatVersion)
        writer.write(UInt32(rrsets.count))
        for rrset in rrsets { writeSet(rrset, to: &writer) }
        return writer.bytes
    }

    /// One RRset without its owner: type, class, TTL, record count, then each RDATA with its length
    /// (the journal's codec writes its RRsets the same way, after their owner).
    static func writeSet(_ rrset: RRset, to writer: inout WireWriter) {
        writer.write(rrset.type.rawValue)
        writer.write(rrset.dnsClass.rawValue)
        writer.write(rrset.ttl)
        writer.write(UInt32(rrset.count))
        for rdata in rrset.rdatas {
            let bytes = rdata.wireBytes(canonical: false)
            writer.write(UInt32(bytes.count))
            writer.write(bytes: bytes)
        }
    }

    /// The owner name a row key holds: an uncompressed wire name using every byte of the key.
    public static func owner(fromKey key: [UInt8]) throws(ZoneNodeCodecError) -> DomainName {
        var reader = WireReader(key)
        let name: DomainName
        do {
            name = try reader.readName()
        } catch {
            throw ZoneNodeCodecError(owner: nil, offset: 0, reason: "owner key is not a domain name: \(error)")
        }
        // Equal bytes rule out compression pointers and trailing bytes.
        guard name.wire == key else {
            throw ZoneNodeCodecError(owner: nil, offset: reader.offset, reason: "owner key holds more than one uncompressed name")
        }
        return name
    }

    /// The RRsets encoded in `bytes`, all owned by `owner`, in node order.
    public static func decode(_ bytes: [UInt8], owner: DomainName) throws(ZoneNodeCodecError) -> [RRset] {
        var reader = WireReader(bytes)
        // Not a closure over `reader`: capturing it would box the cursor for the whole decode.
        func fail(_ reason: String, at offset: Int) -> ZoneNodeCodecError {
            ZoneNodeCodecError(owner: owner, offset: offset, reason: reason)
        }
        do {
            let version = try reader.readUInt8("format version")
            guard version == formatVersion else {
                throw fail("format version \(version), expected \(formatVersion)", at: reader.offset)
            }
            let rrsetCount = Int(try reader.readUInt32("RRset count"))
            guard rrsetCount > 0 else { throw fail("no RRsets: a stored node is never empty", at: reader.offset) }
            // Each RRset takes at least 16 bytes (type, class, TTL, count, one RDATA length).
            guard rrsetCount * 16 <= reader.remaining else {
                throw fail("claims \(rrsetCount) RRsets but only \(reader.remaining) bytes follow", at: reader.offset)
            }
            var rrsets: [RRset] = []
            rrsets.reserveCapacity(rrsetCount)
            var previousKey: UInt32?
            for _ in 0..<rrsetCount {
                let type = RecordType(try reader.readUInt16("RRset type"))
                let dnsClass = DNSClass(rawValue: try reader.readUInt16("RRset class"))
                let ttl = try reader.readUInt32("RRset TTL")
                let count = Int(try reader.readUInt32("record count"))
                guard count > 0 else { throw fail("\(type) RRset with no records", at: reader.offset) }
                // Each record takes at least its four length bytes: a count the rest cannot hold is a lie.
                guard count * 4 <= reader.remaining else {
                    throw fail("\(type) RRset claims \(count) records but only \(reader.remaining) bytes follow", at: reader.offset)
                }
                var rdatas: [RData] = []
                rdatas.reserveCapacity(count)
                for _ in 0..<count {
                    let length = Int(try reader.readUInt32("RDATA length"))
                    rdatas.append(try RData.decode(type: type, length: length, from: &reader))
                }
                let rrset = RRset(name: owner, type: type, dnsClass: dnsClass, ttl: ttl, rdatas: rdatas)
                if type == .RRSIG {
                    // One signature set per covered type, as the zone keeps them.
                    let covered = rrset.canonicalRData[0].prefix(2)
                    guard rrset.canonicalRData.allSatisfy({ $0.prefix(2) == covered }) else {
                        throw fail("RRSIG set mixes covered types", at: reader.offset)
                    }
                }
                let key = Zone.sortKey(rrset)
                if let previousKey, key <= previousKey {
                    throw fail("\(type) RRset out of order or repeated", at: reader.offset)
                }
                previousKey = key
                rrsets.append(rrset)
            }
            guard reader.isAtEnd else { throw fail("\(reader.remaining) bytes after the last RRset", at: reader.offset) }
            return rrsets
        } catch let error as ZoneNodeCodecError {
            throw error
        } catch let error as WireError {
            throw fail(error.description, at: reader.offset)
        } catch {
            throw fail("\(error)", at: reader.offset)
        }
    }

    // MARK: Whole zones

    /// One stored row: the owner key and the encoded node.
    public struct Row: Sendable, Equatable {
        public var owner: [UInt8]
        public var data: [UInt8]

        public init(owner: [UInt8], data: [UInt8]) {
            self.owner = owner
            self.data = data
        }
    }

    /// The row of `name` in `zone`, or nil when the zone has no data there (the row is to be deleted).
    public static func row(of name: DomainName, in zone: Zone) -> Row? {
        guard let node = zone.node(name) else { return nil }
        return Row(owner: ownerKey(name), data: encode(node))
    }

    /// Every node of `zone` as rows, encoded on every core, in canonical order.
    public static func rows(of zone: Zone) -> [Row] {
        let names = zone.sortedNames
        return ParallelWork.map(count: names.count, minimumChunk: 256, scratch: { () }) { index, _ in
            Row(owner: ownerKey(names[index]), data: encode(zone.nodes[names[index]]!))
        }
    }

    /// Rebuilds a zone from its rows (any order), decoding on every core. Fails on the first bad row.
    public static func zone(
        origin: DomainName, dnsClass: DNSClass = .IN, rows: [Row]
    ) throws(ZoneNodeCodecError) -> Zone {
        let decoded = ParallelWork.map(count: rows.count, minimumChunk: 256, scratch: { () }) {
            index, _ -> Result<(DomainName, [RRset]), ZoneNodeCodecError> in
            do throws(ZoneNodeCodecError) {
                let owner = try owner(fromKey: rows[index].owner)
                return .success((owner, try decode(rows[index].data, owner: owner)))
            } catch {
                return .failure(error)
            }
        }
        var nodes: [(DomainName, [RRset])] = []
        nodes.reserveCapacity(decoded.count)
        for result in decoded { nodes.append(try result.get()) }
        return try Zone(origin: origin, dnsClass: dnsClass, nodes: nodes)
    }
}

extension Zone {
    /// A zone made of whole nodes (one owner's RRsets each, in node order, as `ZoneNodeCodec.decode`
    /// returns them): no merging, one canonical sort of the names. Refuses an empty node, a repeated
    /// owner, an RRset owned by another name or of another class, and RRsets out of node order.
    public init(origin: DomainName, dnsClass: DNSClass = .IN, nodes: [(DomainName, [RRset])]) throws(ZoneNodeCodecError) {
        self.init(origin: origin, dnsClass: dnsClass)
        self.nodes.reserveCapacity(nodes.count)
        for (owner, rrsets) in nodes {
            guard !rrsets.isEmpty else { throw ZoneNodeCodecError(owner: owner, offset: 0, reason: "empty node") }
            var previousKey: UInt32?
            for rrset in rrsets {
                guard rrset.name == owner else {
                    throw ZoneNodeCodecError(owner: owner, offset: 0, reason: "RRset owned by \(rrset.name) in this node")
                }
                guard rrset.dnsClass == dnsClass else {
                    throw ZoneNodeCodecError(owner: owner, offset: 0, reason: "\(rrset.type) RRset of class \(rrset.dnsClass) in a \(dnsClass) zone")
                }
                let key = Zone.sortKey(rrset)
                if let previousKey, key <= previousKey {
                    throw ZoneNodeCodecError(owner: owner, offset: 0, reason: "\(rrset.type) RRset out of order or repeated")
                }
                previousKey = key
            }
            guard self.nodes.updateValue(rrsets, forKey: owner) == nil else {
                throw ZoneNodeCodecError(owner: owner, offset: 0, reason: "owner name stored twice")
            }
        }
        sortedNames = Zone.canonicallySorted(Array(self.nodes.keys))
    }
}

/// Why stored node bytes could not be read back: the owner (when known), the byte offset and what.
public struct ZoneNodeCodecError: Error, Equatable, Sendable, CustomStringConvertible {
    public var owner: DomainName?
    public var offset: Int
    public var reason: String

    public init(owner: DomainName?, offset: Int, reason: String) {
        self.owner = owner
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        "stored node \(owner.map(\.text) ?? "?") at byte \(offset): \(reason)"
    }
}
