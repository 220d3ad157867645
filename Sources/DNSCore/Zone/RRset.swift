/// The records of one owner, type and class: the unit DNS transfers, caches and signs.
///
/// RDATA is kept deduplicated and in canonical order (RFC 4034 §6.3: by the canonical wire form of each
/// RDATA as an unsigned octet string), so two RRsets holding the same data compare equal however the
/// data arrived, and the signer can hash them without sorting again. One TTL for the whole set
/// (RFC 2181 §5.2).
public struct RRset: Sendable, Hashable, CustomStringConvertible {
    public let name: DomainName
    public let type: RecordType
    public var dnsClass: DNSClass
    public var ttl: UInt32
    /// Canonical order, no duplicates.
    public private(set) var rdatas: [RData]
    /// Canonical wire form of each element of `rdatas` (RFC 4034 §6.2), in the same order: the sort keys,
    /// and what RRSIG computation needs.
    public private(set) var canonicalRData: [[UInt8]]

    public init(name: DomainName, type: RecordType, dnsClass: DNSClass = .IN, ttl: UInt32, rdatas: [RData] = []) {
        self.name = name
        self.type = type
        self.dnsClass = dnsClass
        self.ttl = ttl
        self.rdatas = []
        self.canonicalRData = []
        if rdatas.count == 1 {
            precondition(rdatas[0].type == type, "RDATA of type \(rdatas[0].type) in a \(type) RRset")
            self.rdatas = rdatas
            self.canonicalRData = [rdatas[0].wireBytes(canonical: true)]
        } else if !rdatas.isEmpty {
            var pairs = rdatas.map { rdata in
                precondition(rdata.type == type, "RDATA of type \(rdata.type) in a \(type) RRset")
                return (rdata, rdata.wireBytes(canonical: true))
            }
            pairs.sort { $0.1.lexicographicallyPrecedes($1.1) }
            for (rdata, key) in pairs where key != canonicalRData.last {
                self.rdatas.append(rdata)
                self.canonicalRData.append(key)
            }
        }
    }

    /// One record's worth of RRset (owner, type, class and TTL taken from it).
    public init(_ record: ResourceRecord) {
        self.init(name: record.name, type: record.type, dnsClass: record.dnsClass, ttl: record.ttl, rdatas: [record.rdata])
    }

    public var count: Int { rdatas.count }
    public var isEmpty: Bool { rdatas.isEmpty }

    /// The records, in canonical order.
    public var records: [ResourceRecord] {
        rdatas.map { ResourceRecord(name: name, dnsClass: dnsClass, ttl: ttl, rdata: $0) }
    }

    /// For an RRSIG set, the type its signatures cover (a zone keeps one signature set per covered type).
    public var coveredType: RecordType? {
        guard type == .RRSIG, let first = canonicalRData.first, first.count >= 2 else { return nil }
        return RecordType(UInt16(first[0]) << 8 | UInt16(first[1]))
    }

    /// Where `key` is, or where it would go.
    func position(of key: [UInt8]) -> (index: Int, found: Bool) {
        var low = 0
        var high = canonicalRData.count
        while low < high {
            let mid = (low + high) / 2
            if canonicalRData[mid].lexicographicallyPrecedes(key) {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return (low, low < canonicalRData.count && canonicalRData[low] == key)
    }

    /// Adds `rdata` in canonical position; false when an equal RDATA is already there.
    @discardableResult
    public mutating func insert(_ rdata: RData) -> Bool {
        precondition(rdata.type == type, "RDATA of type \(rdata.type) in a \(type) RRset")
        let key = rdata.wireBytes(canonical: true)
        let (index, found) = position(of: key)
        guard !found else { return false }
        rdatas.insert(rdata, at: index)
        canonicalRData.insert(key, at: index)
        return true
    }

    /// Removes the RDATA canonically equal to `rdata`; false when there is none.
    @discardableResult
    public mutating func remove(_ rdata: RData) -> Bool {
        let (index, found) = position(of: rdata.wireBytes(canonical: true))
        guard found else { return false }
        rdatas.remove(at: index)
        canonicalRData.remove(at: index)
        return true
    }

    public func contains(_ rdata: RData) -> Bool {
        rdata.type == type && position(of: rdata.wireBytes(canonical: true)).found
    }

    /// Same owner, type, class, TTL and canonical RDATA.
    public static func == (lhs: RRset, rhs: RRset) -> Bool {
        lhs.type == rhs.type && lhs.ttl == rhs.ttl && lhs.dnsClass == rhs.dnsClass && lhs.name == rhs.name
            && lhs.canonicalRData == rhs.canonicalRData
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(type)
        hasher.combine(dnsClass)
        hasher.combine(ttl)
        hasher.combine(canonicalRData)
    }

    /// One line per record, as a zone file would hold them.
    public var description: String { records.map(\.description).joined(separator: "\n") }
}
