/// A zone: its origin and class, and the RRsets at each name.
///
/// Nodes live in a dictionary (constant-time lookup by name) and their names are also kept in a list in
/// canonical order (RFC 4034 §6.1): sorted once when a zone is built in bulk (with precomputed byte
/// keys, see `canonicalOrder`), kept sorted by single inserts, so canonical iteration (writer, diff,
/// checks, NSEC chains) costs no sort. Within a node RRsets are ordered by type code; RRSIGs form one set
/// per covered type (their TTLs follow the covered RRsets, RFC 4034 §3), ordered by that type.
///
/// Other DNSCore code (the signer) reads and rebuilds `nodes` and `sortedNames` directly; whoever
/// writes them keeps the invariant: `sortedNames` is exactly the keys of `nodes` in canonical order, and
/// no node is empty.
///
/// Equality compares origin, class and data; `warnings` is not part of it.
public struct Zone: Sendable, Equatable {
    public let origin: DomainName
    public let dnsClass: DNSClass
    /// Problems met while building the zone (for instance RRset TTLs normalised); `check()` includes them.
    public internal(set) var warnings: [ZoneProblem] = []

    var nodes: [DomainName: [RRset]] = [:]
    /// The keys of `nodes`, in canonical order.
    var sortedNames: [DomainName] = []

    public init(origin: DomainName, dnsClass: DNSClass = .IN) {
        self.origin = origin
        self.dnsClass = dnsClass
    }

    /// Groups records into RRsets. Records of one RRset with different TTLs are an error in the data
    /// (RFC 2181 §5.2: they MUST be equal); the set gets the lowest of them, as §5.2 tells a receiver to
    /// treat such a set, and a warning is recorded.
    public init(records: some Sequence<ResourceRecord>, origin: DomainName, dnsClass: DNSClass = .IN) {
        self.init(origin: origin, dnsClass: dnsClass)
        nodes.reserveCapacity(records.underestimatedCount)
        for record in records {
            merge(record, keepOrder: false)
        }
        sortedNames = Zone.canonicallySorted(Array(nodes.keys))
    }

    /// A zone made of whole RRsets; a later RRset with the same name and type replaces an earlier one.
    public init(rrsets: some Sequence<RRset>, origin: DomainName, dnsClass: DNSClass = .IN) {
        self.init(origin: origin, dnsClass: dnsClass)
        for rrset in rrsets where !rrset.isEmpty {
            Zone.put(rrset, into: &nodes[rrset.name, default: []])
        }
        sortedNames = Zone.canonicallySorted(Array(nodes.keys))
    }

    public static func == (lhs: Zone, rhs: Zone) -> Bool {
        lhs.origin == rhs.origin && lhs.dnsClass == rhs.dnsClass && lhs.nodes == rhs.nodes
    }

    // MARK: Reading

    /// The owner names holding data, in canonical order.
    public var names: [DomainName] { sortedNames }
    public var nameCount: Int { nodes.count }
    public var rrsetCount: Int { nodes.values.reduce(0) { $0 + $1.count } }
    public var recordCount: Int { nodes.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } } }

    public func contains(_ name: DomainName) -> Bool { nodes[name] != nil }

    /// The RRsets at `name`, by type code (RRSIG sets by covered type).
    public func rrsets(at name: DomainName) -> [RRset] { nodes[name] ?? [] }

    /// The RRset of `type` at `name`. For RRSIG use `signatures(at:covering:)`: there is one set per covered type.
    public func rrset(at name: DomainName, type: RecordType) -> RRset? {
        nodes[name]?.first { $0.type == type }
    }

    /// The RRSIGs at `name` covering `type`.
    public func signatures(at name: DomainName, covering type: RecordType) -> RRset? {
        nodes[name]?.first { $0.type == .RRSIG && $0.coveredType == type }
    }

    /// Every RRset in canonical order: names canonically, then type code (RRSIGs by covered type).
    public var rrsets: [RRset] {
        var result: [RRset] = []
        result.reserveCapacity(nodes.count + nodes.count / 2)
        for name in sortedNames { result.append(contentsOf: nodes[name]!) }
        return result
    }

    /// Every record, in the order of `rrsets`.
    public var records: [ResourceRecord] {
        var result: [ResourceRecord] = []
        result.reserveCapacity(nodes.count + nodes.count / 2)
        for name in sortedNames {
            for rrset in nodes[name]! { result.append(contentsOf: rrset.records) }
        }
        return result
    }

    /// The apex SOA (the first, should the RRset wrongly hold more).
    public var soa: SOA? {
        guard let set = rrset(at: origin, type: .SOA), case .soa(let soa) = set.rdatas.first else { return nil }
        return soa
    }

    public var serial: SerialNumber? { soa?.serial }

    // MARK: Changing

    /// Puts `rrset` in the zone, replacing the RRset of the same name and type (and covered type for
    /// RRSIG); an empty RRset (other than RRSIG) removes it.
    public mutating func insert(_ rrset: RRset) {
        if rrset.isEmpty {
            // An empty RRSIG set names no covered type, so it matches nothing.
            if rrset.type != .RRSIG { removeRRset(at: rrset.name, type: rrset.type) }
            return
        }
        let isNew = nodes[rrset.name] == nil
        Zone.put(rrset, into: &nodes[rrset.name, default: []])
        if isNew { insertSortedName(rrset.name) }
    }

    /// Removes and returns the RRset of `type` at `name` (for RRSIG, every signature set there).
    @discardableResult
    public mutating func removeRRset(at name: DomainName, type: RecordType) -> RRset? {
        guard var node = nodes[name], let index = node.firstIndex(where: { $0.type == type }) else { return nil }
        let removed = node.remove(at: index)
        if type == .RRSIG { node.removeAll { $0.type == .RRSIG } }
        store(node, at: name)
        return removed
    }

    @discardableResult
    public mutating func removeSignatures(at name: DomainName, covering type: RecordType) -> RRset? {
        guard var node = nodes[name],
              let index = node.firstIndex(where: { $0.type == .RRSIG && $0.coveredType == type })
        else { return nil }
        let removed = node.remove(at: index)
        store(node, at: name)
        return removed
    }

    /// Adds one record to its RRset (creating it). A TTL different from the set's is normalised to the
    /// lower one with a warning (RFC 2181 §5.2).
    public mutating func add(_ record: ResourceRecord) {
        merge(record, keepOrder: true)
    }

    /// Removes one record; its RRset goes when it becomes empty. False when the record was not there.
    @discardableResult
    public mutating func remove(_ record: ResourceRecord) -> Bool {
        guard var node = nodes[record.name] else { return false }
        let key = Zone.sortKey(type: record.type, rdata: record.rdata)
        guard let index = node.firstIndex(where: { Zone.sortKey($0) == key }), node[index].remove(record.rdata) else {
            return false
        }
        if node[index].isEmpty { node.remove(at: index) }
        store(node, at: record.name)
        return true
    }

    // MARK: Internals

    /// Orders RRsets in a node: type code, then covered type for RRSIG.
    static func sortKey(_ rrset: RRset) -> UInt32 {
        UInt32(rrset.type.rawValue) << 16 | UInt32(rrset.coveredType?.rawValue ?? 0)
    }

    static func sortKey(type: RecordType, rdata: RData) -> UInt32 {
        guard type == .RRSIG else { return UInt32(type.rawValue) << 16 }
        let bytes = rdata.wireBytes()
        let covered = bytes.count >= 2 ? UInt32(bytes[0]) << 8 | UInt32(bytes[1]) : 0
        return UInt32(type.rawValue) << 16 | covered
    }

    /// Places `rrset` in `node`, replacing the one with the same key.
    static func put(_ rrset: RRset, into node: inout [RRset]) {
        let key = sortKey(rrset)
        var index = 0
        while index < node.count {
            let existing = sortKey(node[index])
            if existing == key {
                node[index] = rrset
                return
            }
            if existing > key { break }
            index += 1
        }
        node.insert(rrset, at: index)
    }

    /// The RRsets at `name`, if any.
    @inline(__always)
    func node(_ name: DomainName) -> [RRset]? { nodes[name] }

    mutating func store(_ node: [RRset], at name: DomainName) {
        if node.isEmpty {
            nodes[name] = nil
            removeSortedName(name)
        } else {
            nodes[name] = node
        }
    }

    mutating func merge(_ record: ResourceRecord, keepOrder: Bool) {
        let key = Zone.sortKey(type: record.type, rdata: record.rdata)
        let isNew = keepOrder && nodes[record.name] == nil
        if let warning = Zone.merge(record, key: key, into: &nodes[record.name, default: []]) {
            warnings.append(warning)
        }
        if isNew { insertSortedName(record.name) }
    }

    /// Adds `record` to its RRset in `node`; returns the warning when its TTL differed.
    static func merge(_ record: ResourceRecord, key: UInt32, into node: inout [RRset]) -> ZoneProblem? {
        var index = 0
        while index < node.count {
            let existing = sortKey(node[index])
            if existing == key {
                var warning: ZoneProblem?
                if node[index].ttl != record.ttl {
                    let low = min(node[index].ttl, record.ttl)
                    warning = ZoneProblem(
                        severity: .warning, name: record.name, type: record.type,
                        reason: "records of one RRset have TTLs \(node[index].ttl) and \(record.ttl); "
                            + "using \(low) for all (RFC 2181 §5.2)")
                    node[index].ttl = low
                }
                node[index].insert(record.rdata)
                return warning
            }
            if existing > key { break }
            index += 1
        }
        node.insert(RRset(record), at: index)
        return nil
    }

    /// Index in `sortedNames` of the first name not canonically before `name`.
    func sortedIndex(of name: DomainName) -> Int {
        var low = 0
        var high = sortedNames.count
        while low < high {
            let mid = (low + high) / 2
            if sortedNames[mid] < name {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low
    }

    mutating func insertSortedName(_ name: DomainName) {
        sortedNames.insert(name, at: sortedIndex(of: name))
    }

    mutating func removeSortedName(_ name: DomainName) {
        let index = sortedIndex(of: name)
        if index < sortedNames.count && sortedNames[index] == name { sortedNames.remove(at: index) }
    }

    /// Adds names new to `nodes` to `sortedNames`: one by one when few, else by sorting everything again.
    mutating func insertSortedNames(_ names: [DomainName]) {
        if names.count < 64 {
            for name in names { insertSortedName(name) }
        } else {
            sortedNames = Zone.canonicallySorted(sortedNames + names)
        }
    }

    /// Sorts names canonically, returning the permutation (indices into `names`). Each name becomes a
    /// key (labels right to left, lowercased, bytes 0 and 1 escaped as 1 1 and 1 2, a 0 after each
    /// label) whose plain byte order is RFC 4034 §6.1's. The keys share one buffer; the sort compares an
    /// 8-byte window taken just after the prefix all keys share (the origin, in a zone) and reads the
    /// buffer only on ties, so it neither allocates nor misses the cache per comparison.
    static func canonicalOrder(_ names: [DomainName]) -> [Int] {
        guard names.count > 1 else { return Array(names.indices) }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(names.reduce(0) { $0 + $1.wire.count + 4 })
        var bounds: [Int] = [0]
        bounds.reserveCapacity(names.count + 1)
        var offsets: [Int] = []
        for name in names {
            appendCanonicalKey(name.wire, to: &buffer, offsets: &offsets)
            bounds.append(buffer.count)
        }
        return buffer.withUnsafeBytes { keys in
            bounds.withUnsafeBufferPointer { bounds in
                // Length of the prefix shared by every key.
                var common = bounds[1]
                for k in 1..<names.count where common > 0 {
                    let start = bounds[k]
                    let limit = min(common, bounds[k + 1] - start)
                    var n = 0
                    while n < limit && keys[n] == keys[start + n] { n += 1 }
                    common = n
                }
                var entries: [(window: UInt64, index: Int)] = []
                entries.reserveCapacity(names.count)
                for k in 0..<names.count {
                    var window: UInt64 = 0
                    let start = bounds[k] + common
                    let end = bounds[k + 1]
                    for n in 0..<8 { window = window << 8 | UInt64(start + n < end ? keys[start + n] : 0) }
                    entries.append((window, k))
                }
                entries.sort { a, b in
                    if a.window != b.window { return a.window < b.window }
                    return compareKeys(keys, bounds[a.index], bounds[a.index + 1], bounds[b.index], bounds[b.index + 1]) < 0
                }
                return entries.map(\.index)
            }
        }
    }

    static func canonicallySorted(_ names: [DomainName]) -> [DomainName] {
        canonicalOrder(names).map { names[$0] }
    }

    static func appendCanonicalKey(_ wire: [UInt8], to key: inout [UInt8], offsets: inout [Int]) {
        offsets.removeAll(keepingCapacity: true)
        var i = 0
        while wire[i] != 0 {
            offsets.append(i)
            i += Int(wire[i]) + 1
        }
        for offset in offsets.reversed() {
            let length = Int(wire[offset])
            for k in (offset + 1)..<(offset + 1 + length) {
                let byte = wire[k]
                switch byte {
                case 0, 1:
                    key.append(1)
                    key.append(byte + 1)
                case 0x41...0x5A:
                    key.append(byte | 0x20)
                default:
                    key.append(byte)
                }
            }
            key.append(0)
        }
    }

    /// Three-way comparison of two keys in `keys` as unsigned byte strings (a prefix sorts first).
    @inline(__always)
    static func compareKeys(_ keys: UnsafeRawBufferPointer, _ a: Int, _ aEnd: Int, _ b: Int, _ bEnd: Int) -> Int {
        let length = min(aEnd - a, bEnd - b)
        let base = keys.baseAddress!
        var i = 0
        while i + 8 <= length {
            let x = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: a + i, as: UInt64.self))
            let y = UInt64(bigEndian: base.loadUnaligned(fromByteOffset: b + i, as: UInt64.self))
            if x != y { return x < y ? -1 : 1 }
            i += 8
        }
        while i < length {
            let x = keys[a + i]
            let y = keys[b + i]
            if x != y { return x < y ? -1 : 1 }
            i += 1
        }
        return (aEnd - a) - (bEnd - b)
    }
}
