/// One step of a zone's history as IXFR carries it (RFC 1995 §4): the SOA before, the records that
/// left, the SOA after, the records that arrived.
///
/// Record-level, unlike `ZoneDiff`: an RRset that gained one address lists that address alone, so a
/// signature refresh that rewrites one RRSIG costs one deletion and one addition, not the whole set.
/// A record whose TTL changed is deleted and added again (an IXFR deletion matches RDATA, not TTL,
/// and the addition carries the new TTL). The apex SOA never appears in `deleted` or `added`: it is
/// `oldSOA` and `newSOA`. Both lists are grouped into RRsets (one owner, type, covered type and TTL)
/// in canonical order.
public struct JournalDelta: Sendable, Equatable {
    public var oldSOA: RRset
    public var newSOA: RRset
    public var deleted: [RRset]
    public var added: [RRset]

    public var fromSerial: SerialNumber { JournalDelta.serial(oldSOA) }
    public var toSerial: SerialNumber { JournalDelta.serial(newSOA) }

    public init(oldSOA: RRset, newSOA: RRset, deleted: [RRset], added: [RRset]) {
        self.oldSOA = oldSOA
        self.newSOA = newSOA
        self.deleted = deleted
        self.added = added
    }

    /// The step `changes` (an RRset-level diff between two versions of the zone at `origin`) describes,
    /// or nil when it does not change the apex SOA: a step without a new serial cannot be told apart
    /// from the version before it, so IXFR has no way to carry it.
    public init?(changes: ZoneDiff, origin: DomainName) {
        func isApexSOA(_ set: RRset) -> Bool { set.type == .SOA && set.name == origin }
        guard let old = changes.removed.first(where: isApexSOA), let new = changes.added.first(where: isApexSOA),
              old.count == 1, new.count == 1
        else { return nil }
        var before = Records()
        var after = Records()
        for set in changes.removed where !isApexSOA(set) { before.insert(set) }
        for set in changes.added where !isApexSOA(set) { after.insert(set) }
        // A record in both versions (same TTL too) did not change.
        for key in before.keys where after.remove(key) { before.removeKey(key) }
        self.init(oldSOA: old, newSOA: new, deleted: before.rrsets(), added: after.rrsets())
    }

    /// `steps` (each starting where the one before ended) as one step from the first's SOA to the
    /// last's. Never larger than the steps together: a record added and later deleted, or deleted and
    /// later added back, disappears from both lists. Nil for no steps.
    public static func condensing(_ steps: [JournalDelta]) -> JournalDelta? {
        guard let first = steps.first, let last = steps.last else { return nil }
        if steps.count == 1 { return first }
        var deleted = Records()
        var added = Records()
        for step in steps {
            // Within one step a record is never both deleted and added, so the order inside it is free.
            for set in step.deleted {
                for record in Records.keys(of: set) where !added.remove(record) { deleted.insert(record) }
            }
            for set in step.added {
                for record in Records.keys(of: set) where !deleted.remove(record) { added.insert(record) }
            }
        }
        return JournalDelta(oldSOA: first.oldSOA, newSOA: last.newSOA, deleted: deleted.rrsets(), added: added.rrsets())
    }

    /// Records in both lists, SOAs left out.
    public var recordCount: Int { deleted.reduce(0) { $0 + $1.count } + added.reduce(0) { $0 + $1.count } }

    static func serial(_ soa: RRset) -> SerialNumber {
        if case .soa(let data) = soa.rdatas.first { return data.serial }
        return SerialNumber(0)
    }

    /// A set of records, each identified by owner, type, covered type, class, TTL and canonical RDATA,
    /// that regroups into RRsets in canonical order.
    struct Records {
        struct Key: Hashable {
            var name: DomainName
            var sortKey: UInt32
            var dnsClass: DNSClass
            var ttl: UInt32
            var type: RecordType
            var canonical: [UInt8]
        }

        private var members: [Key: RData] = [:]

        var keys: [Key] { Array(members.keys) }

        static func keys(of set: RRset) -> [(Key, RData)] {
            let sortKey = Zone.sortKey(set)
            return zip(set.rdatas, set.canonicalRData).map { rdata, canonical in
                (Key(name: set.name, sortKey: sortKey, dnsClass: set.dnsClass, ttl: set.ttl, type: set.type,
                     canonical: canonical), rdata)
            }
        }

        mutating func insert(_ set: RRset) {
            for (key, rdata) in Records.keys(of: set) { members[key] = rdata }
        }

        mutating func insert(_ record: (Key, RData)) { members[record.0] = record.1 }

        /// Removes the record; false when it was not there.
        mutating func remove(_ record: (Key, RData)) -> Bool { members.removeValue(forKey: record.0) != nil }
        mutating func remove(_ key: Key) -> Bool { members.removeValue(forKey: key) != nil }
        mutating func removeKey(_ key: Key) { members[key] = nil }

        func rrsets() -> [RRset] {
            var groups: [Key: [RData]] = [:]
            for (key, rdata) in members {
                var group = key
                group.canonical = []
                groups[group, default: []].append(rdata)
            }
            return groups.sorted { a, b in
                if a.key.name != b.key.name { return a.key.name < b.key.name }
                if a.key.sortKey != b.key.sortKey { return a.key.sortKey < b.key.sortKey }
                return a.key.ttl < b.key.ttl
            }.map { key, rdatas in RRset(name: key.name, type: key.type, dnsClass: key.dnsClass, ttl: key.ttl, rdatas: rdatas) }
        }
    }
}
