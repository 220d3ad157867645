/// An immutable copy of one zone, laid out once for answering queries fast and in little memory.
///
/// Built from a `Zone` (signed or not) and never changed afterwards, so any number of threads may read it
/// while a newer snapshot replaces it in a `Catalog`. The layout is flat, in the spirit of NSD and Knot:
/// - every name (owners, and the empty non-terminals between them and the apex) is a `Node`, kept in
///   canonical order (RFC 4034 §6.1), its lowercased wire name in one shared byte buffer;
/// - an open-addressing table maps a name's wire bytes (case-insensitively) to its node;
/// - a node's RRsets are `Entry` values in type order, each with the RRSIGs covering it pre-grouped, and
///   the RDATA of everything sits in one byte buffer as `RDLENGTH RDATA` runs, ready to be copied out;
/// - the nodes owning an NSEC (for predecessor search), the NSEC3 chain sorted by hash (for closest
///   encloser proofs), each node's matching NSEC3, the topmost cut or DNAME above each node, and the
///   address records an NS, MX or SRV target has in the zone are all computed here, not per query.
///
/// NSEC3 owner names are kept apart from the name tree: a query for one is answered as for any name that
/// does not exist (RFC 5155 §7.2.8).
public final class ZoneSnapshot: Sendable {
    public let origin: DomainName
    public let dnsClass: DNSClass
    /// The apex SOA this snapshot was built from.
    public let soa: SOA
    public var serial: SerialNumber { soa.serial }
    /// How the zone proves that names and types do not exist, found from its records.
    public let denial: Denial

    /// How a zone denies existence (RFC 4035 §3.1.3, RFC 5155 §7.2).
    public enum Denial: Sendable, Hashable {
        /// No NSEC or NSEC3 records: answers carry no proofs (an unsigned zone).
        case none
        case nsec
        /// The NSEC3 chain whose parameters the apex NSEC3PARAM (or, lacking one, the first NSEC3) names.
        case nsec3(hashAlgorithm: UInt8, iterations: UInt16, salt: [UInt8])
    }

    /// Lowercased wire names of every node and NSEC3 owner, back to back.
    let names: [UInt8]
    /// In canonical order; the apex is node 0.
    let nodes: [Node]
    let entries: [Entry]
    /// `RDLENGTH RDATA` runs, uncompressed, names as the zone spelled them.
    let data: [UInt8]
    /// Node indices of additional-section candidates, referenced by `Entry.extraStart/extraCount`.
    let extras: [Int32]
    /// Open addressing over `nodes`: high 32 bits a name hash, low 32 bits node index + 1; 0 is empty.
    let slots: [UInt64]
    /// Indices of the nodes owning an NSEC RRset, in canonical order.
    let nsecNodes: [Int32]
    /// The NSEC3 chain in hash order.
    let nsec3Digests: [NSEC3Hash.Digest]
    let nsec3Links: [NSEC3Link]
    let nsec3Hash: NSEC3Hash?
    /// NSEC3 owners outside the served chain (an old chain during a parameter change), as nodes that are
    /// not in the tree: kept only so `rrsets` gives back the whole zone.
    let otherOwners: [Node]
    /// The apex SOA entry.
    let soaEntry: Int32
    /// TTL of the SOA in negative answers: min(SOA TTL, SOA MINIMUM) (RFC 2308 §3, RFC 9077).
    let negativeTTL: UInt32
    /// Whether the apex SOA is signed: DO answers then carry RRSIGs and proofs.
    public let isSigned: Bool
    /// Bytes of `data` no entry points at any more (left behind by `patched`); past a share of the whole,
    /// the next change rebuilds the snapshot, so memory stays flat from change to change.
    let deadBytes: Int

    struct NodeFlags: OptionSet, Sendable {
        let rawValue: UInt16
        static let apex = NodeFlags(rawValue: 1 << 0)
        /// No records: a name that exists only because names below it do (RFC 4592 §2.2.2).
        static let emptyNonTerminal = NodeFlags(rawValue: 1 << 1)
        /// A non-apex name owning NS: a zone cut.
        static let cut = NodeFlags(rawValue: 1 << 2)
        static let dname = NodeFlags(rawValue: 1 << 3)
        static let cname = NodeFlags(rawValue: 1 << 4)
        /// `*.<this name>` exists.
        static let wildcardChild = NodeFlags(rawValue: 1 << 5)
        static let nsec = NodeFlags(rawValue: 1 << 6)
    }

    struct Node: Sendable {
        var nameStart: UInt32
        var nameLength: UInt8
        var labelCount: UInt8
        var flags: NodeFlags
        var firstEntry: UInt32
        var entryCount: UInt16
        /// The topmost cut or DNAME owner strictly above this node (the apex counts for DNAME only), or -1:
        /// a query reaching this node is answered there instead (referral or DNAME substitution).
        var stop: Int32
        /// Index in the NSEC3 chain of the NSEC3 whose owner is this name's hash, or -1.
        var nsec3: Int32
    }

    /// One RRset and the signatures covering it. `length` 0 means signatures without the covered data
    /// (kept so the snapshot gives back everything the zone held).
    struct Entry: Sendable {
        var type: RecordType
        var extraCount: UInt16
        var ttl: UInt32
        var start: UInt32
        var length: UInt32
        var signatureTTL: UInt32
        var signatureStart: UInt32
        var signatureLength: UInt32
        var extraStart: UInt32

        var hasData: Bool { length > 0 }
        var hasSignatures: Bool { signatureLength > 0 }
    }

    struct NSEC3Link: Sendable {
        var nameStart: UInt32
        var nameLength: UInt8
        var entry: Int32
    }

    /// Builds the snapshot. The zone should have passed `Zone.validate()`; a zone without an apex SOA
    /// cannot be served at all and is refused here. Records outside the origin are left out.
    public init(_ zone: Zone) throws(ZoneSnapshotError) {
        let origin = zone.origin.lowercased()
        guard let soaSet = zone.rrset(at: origin, type: .SOA), case .soa(let soa)? = soaSet.rdatas.first else {
            throw .missingSOA(zone: zone.origin)
        }
        self.origin = origin
        self.dnsClass = zone.dnsClass
        self.soa = soa
        self.negativeTTL = min(soaSet.ttl, soa.minimum)

        // The NSEC3 chain to serve: the one NSEC3PARAM names, else the first one found.
        var chain: (algorithm: UInt8, iterations: UInt16, salt: [UInt8])?
        if case .nsec3param(let p)? = zone.rrset(at: origin, type: .NSEC3PARAM)?.rdatas.first {
            chain = (p.hashAlgorithm, p.iterations, p.salt)
        }

        // One pass over the RRsets in canonical order, which is a preorder walk of the name tree: a stack
        // of the names on the current path gives each node its parent and shows the empty non-terminals
        // (missing ancestors), which belong right before the name that needs them.
        var builder = Builder()
        var nsec3Owners: [(name: DomainName, sets: ArraySlice<RRset>)] = []
        var treeNames: [DomainName] = []
        var path: [(name: DomainName, index: Int32)] = []
        let all = zone.rrsets
        builder.nodes.reserveCapacity(zone.nameCount + zone.nameCount / 16)
        treeNames.reserveCapacity(zone.nameCount + zone.nameCount / 16)
        builder.data.bytes.reserveCapacity(all.count * 48)
        var groupStart = 0
        while groupStart < all.count {
            let name = all[groupStart].name
            var groupEnd = groupStart + 1
            while groupEnd < all.count && all[groupEnd].name == name { groupEnd += 1 }
            let sets = all[groupStart..<groupEnd]
            groupStart = groupEnd
            guard name.isSubdomain(of: origin) else { continue }
            if name != origin, sets.contains(where: { $0.type == .NSEC3 }),
               sets.allSatisfy({ $0.type == .NSEC3 || $0.coveredType == .NSEC3 }) {
                nsec3Owners.append((name, sets))
                if chain == nil, case .nsec3(let n)? = sets.first(where: { $0.type == .NSEC3 })?.rdatas.first {
                    chain = (n.hashAlgorithm, n.iterations, n.salt)
                }
                continue
            }
            while let top = path.last, !name.isSubdomain(of: top.name) { path.removeLast() }
            let labels = name.labelCount
            if let top = path.last, top.name.labelCount + 1 < labels {
                for missing in (top.name.labelCount + 1)..<labels {
                    let ancestor = name.suffix(labels: missing)
                    path.append((ancestor, builder.addNode(ancestor, sets: [], parent: path.last?.index)))
                    treeNames.append(ancestor)
                }
            }
            path.append((name, builder.addNode(name, sets: sets, parent: path.last?.index, isApex: name == origin)))
            treeNames.append(name)
        }
        guard !builder.nodes.isEmpty, builder.nodes[0].flags.contains(.apex) else {
            throw .missingSOA(zone: zone.origin)
        }
        let slots = ZoneSnapshot.makeTable(builder.nodes, names: builder.names)
        builder.linkAdditionalTargets(slots: slots, origin: origin)

        // NSEC: every node in the tree that owns one, which is already canonical order.
        var nsecNodes: [Int32] = []
        for (index, node) in builder.nodes.enumerated() where node.flags.contains(.nsec) && node.stop < 0 {
            nsecNodes.append(Int32(index))
        }

        // NSEC3: the chain sorted by hash, then each name's matching NSEC3 found once.
        var digests: [NSEC3Hash.Digest] = []
        var links: [NSEC3Link] = []
        var hasher: NSEC3Hash? = nil
        if let chain, let nsec3Hash = NSEC3Hash(hashAlgorithm: chain.algorithm, salt: chain.salt, iterations: chain.iterations) {
            var chainEntries: [(digest: NSEC3Hash.Digest, link: NSEC3Link)] = []
            for (owner, sets) in nsec3Owners {
                guard let set = sets.first(where: { $0.type == .NSEC3 }),
                      case .nsec3(let record)? = set.rdatas.first,
                      record.hashAlgorithm == chain.algorithm, record.iterations == chain.iterations,
                      record.salt == chain.salt,
                      let digest = NSEC3Hash.Digest(owner: owner, zone: origin)
                else { continue }
                let entry = Int32(builder.entries.count)
                _ = builder.appendEntries(Array(sets))
                let (start, length) = builder.appendName(owner)
                chainEntries.append((digest, NSEC3Link(nameStart: start, nameLength: length, entry: entry)))
            }
            chainEntries.sort { $0.digest < $1.digest }
            digests = chainEntries.map(\.digest)
            links = chainEntries.map(\.link)
            if !digests.isEmpty {
                hasher = nsec3Hash
                for index in builder.nodes.indices where builder.nodes[index].stop < 0 {
                    let digest = nsec3Hash.digest(treeNames[index])
                    let position = ZoneSnapshot.lowerBound(digests, digest)
                    if position < digests.count && digests[position] == digest {
                        builder.nodes[index].nsec3 = Int32(position)
                    }
                }
            }
        }
        // Owners from other chains still belong to the zone: keep their records.
        builder.keepOtherNSEC3Owners(nsec3Owners, chained: Set(links.map { builder.nameBytes($0) }))

        // Grown by doubling, the arrays may hold up to twice what they use, for as long as the snapshot
        // is served: kept at their size instead (one copy each, now, for less memory for the zone's life).
        self.names = builder.names.fitted()
        self.nodes = builder.nodes.fitted()
        self.entries = builder.entries.fitted()
        self.data = builder.data.bytes.fitted()
        self.extras = builder.extras.fitted()
        self.otherOwners = builder.otherOwners
        self.nsecNodes = nsecNodes
        self.nsec3Digests = digests
        self.nsec3Links = links
        self.nsec3Hash = hasher
        self.slots = slots
        self.deadBytes = 0
        let apexEntries = Int(builder.nodes[0].firstEntry)..<Int(builder.nodes[0].firstEntry) + Int(builder.nodes[0].entryCount)
        let soaIndex = apexEntries.first { builder.entries[$0].type == .SOA && builder.entries[$0].hasData }!
        self.soaEntry = Int32(soaIndex)
        self.isSigned = builder.entries[soaIndex].hasSignatures
        if hasher != nil, let chain {
            denial = .nsec3(hashAlgorithm: chain.algorithm, iterations: chain.iterations, salt: chain.salt)
        } else if !nsecNodes.isEmpty {
            denial = .nsec
        } else {
            denial = .none
        }
    }

    /// `base` with the arrays `patched` rewrote (see ZoneSnapshot+Patch.swift and +Reshape.swift).
    init(patching base: ZoneSnapshot, names: [UInt8], nodes: [Node], entries: [Entry], data: [UInt8], extras: [Int32],
         slots: [UInt64], nsecNodes: [Int32], nsec3Digests: [NSEC3Hash.Digest], nsec3Links: [NSEC3Link],
         soa: SOA, soaEntry: Int32, negativeTTL: UInt32, deadBytes: Int) {
        origin = base.origin
        dnsClass = base.dnsClass
        self.soa = soa
        denial = base.denial
        self.names = names
        self.nodes = nodes
        self.entries = entries
        self.data = data
        self.extras = extras
        self.slots = slots
        self.nsecNodes = nsecNodes
        self.nsec3Digests = nsec3Digests
        self.nsec3Links = nsec3Links
        nsec3Hash = base.nsec3Hash
        otherOwners = base.otherOwners
        self.soaEntry = soaEntry
        self.negativeTTL = negativeTTL
        isSigned = base.isSigned
        self.deadBytes = deadBytes
    }

    /// Number of names in the tree, empty non-terminals included (NSEC3 owners not).
    public var nodeCount: Int { nodes.count }

    /// Bytes held by the snapshot's arrays (their element storage; the object headers are not counted).
    public var storageBytes: Int {
        names.count + data.count + nodes.count * MemoryLayout<Node>.stride
            + entries.count * MemoryLayout<Entry>.stride + extras.count * 4 + slots.count * 8
            + nsecNodes.count * 4 + nsec3Digests.count * MemoryLayout<NSEC3Hash.Digest>.stride
            + nsec3Links.count * MemoryLayout<NSEC3Link>.stride
    }
}

/// Why a zone cannot become a snapshot.
public enum ZoneSnapshotError: Error, Sendable, Hashable, CustomStringConvertible {
    case missingSOA(zone: DomainName)

    public var description: String {
        switch self {
        case .missingSOA(let zone): "zone \(zone.text) has no SOA record at its apex; it cannot be served"
        }
    }
}

extension ZoneSnapshot {
    /// Accumulates the flat arrays while a snapshot is built.
    struct Builder {
        var names: [UInt8] = []
        var nodes: [Node] = []
        var entries: [Entry] = []
        /// RDATA runs, written in place (no array per record).
        var data = WireWriter(compress: false, capacity: 0)
        var extras: [Int32] = []
        var otherOwners: [Node] = []

        mutating func appendName(_ name: DomainName) -> (UInt32, UInt8) {
            let start = UInt32(names.count)
            for byte in name.wire { names.append(byte &- 0x41 < 26 ? byte | 0x20 : byte) }
            return (start, UInt8(name.wire.count))
        }

        func nameBytes(_ link: NSEC3Link) -> [UInt8] {
            Array(names[Int(link.nameStart)..<Int(link.nameStart) + Int(link.nameLength)])
        }

        /// Adds the node for `name` (in canonical order: its parent, if any, is already there).
        mutating func addNode(_ name: DomainName, sets: ArraySlice<RRset>, parent: Int32?, isApex: Bool = false) -> Int32 {
            let index = Int32(nodes.count)
            let (start, length) = appendName(name)
            var node = Node(
                nameStart: start, nameLength: length, labelCount: UInt8(name.labelCount), flags: [],
                firstEntry: UInt32(entries.count), entryCount: 0, stop: -1, nsec3: -1)
            if sets.isEmpty { node.flags.insert(.emptyNonTerminal) }
            if isApex { node.flags.insert(.apex) }
            node.entryCount = UInt16(appendEntries(Array(sets)))
            for set in sets {
                switch set.type {
                case .NS where !isApex: node.flags.insert(.cut)
                case .DNAME: node.flags.insert(.dname)
                case .CNAME: node.flags.insert(.cname)
                case .NSEC: node.flags.insert(.nsec)
                default: break
                }
            }
            if let parent {
                let above = nodes[Int(parent)]
                if name.isWildcard { nodes[Int(parent)].flags.insert(.wildcardChild) }
                if above.stop >= 0 {
                    node.stop = above.stop
                } else if above.flags.contains(.cut) || above.flags.contains(.dname) {
                    node.stop = parent
                }
            }
            nodes.append(node)
            return index
        }

        /// Appends `RDLENGTH RDATA` for each record of `set`; returns (start, length).
        mutating func appendData(_ set: RRset) -> (UInt32, UInt32) {
            let start = data.count
            for rdata in set.rdatas {
                let lengthAt = data.count
                data.write(UInt16(0))
                rdata.encode(to: &data)
                data.patch(UInt16(data.count - lengthAt - 2), at: lengthAt)
            }
            return (UInt32(start), UInt32(data.count - start))
        }

        /// One entry per type at a node, in type order, each with its signatures; returns how many.
        /// `sets` come as a zone keeps them: by type code, RRSIG sets by covered type.
        mutating func appendEntries(_ sets: [RRset]) -> Int {
            let first = entries.count
            var types: [RecordType] = []
            for set in sets {
                let type = set.type == .RRSIG ? set.coveredType : set.type
                if let type, !types.contains(type) { types.append(type) }
            }
            types.sort()
            for type in types {
                var entry = Entry(
                    type: type, extraCount: 0, ttl: 0, start: 0, length: 0, signatureTTL: 0, signatureStart: 0,
                    signatureLength: 0, extraStart: 0)
                // Signatures whose covered RRset is missing are kept as data-less entries.
                if let set = sets.first(where: { $0.type == type }) {
                    entry.ttl = set.ttl
                    (entry.start, entry.length) = appendData(set)
                }
                if let sigs = sets.first(where: { $0.type == .RRSIG && $0.coveredType == type }) {
                    entry.signatureTTL = sigs.ttl
                    (entry.signatureStart, entry.signatureLength) = appendData(sigs)
                }
                entries.append(entry)
            }
            return entries.count - first
        }

        /// For NS, MX and SRV RRsets, the nodes holding address records for their targets: in-zone
        /// authoritative names always, names below a cut only for NS (glue).
        mutating func linkAdditionalTargets(slots: [UInt64], origin: DomainName) {
            for nodeIndex in nodes.indices {
                let node = nodes[nodeIndex]
                for e in Int(node.firstEntry)..<Int(node.firstEntry) + Int(node.entryCount) {
                    linkAdditionalTargets(entry: e, slots: slots, origin: origin)
                }
            }
        }

        /// The additional-section targets of one entry (nothing unless it is NS, MX or SRV).
        mutating func linkAdditionalTargets(entry e: Int, slots: [UInt64], origin: DomainName) {
            let type = entries[e].type
            guard entries[e].hasData, type == .NS || type == .MX || type == .SRV else { return }
            var targets: [Int32] = []
            for rdata in ZoneSnapshot.decodeRData(data.bytes, type: type, start: entries[e].start, length: entries[e].length) {
                let target: DomainName
                switch rdata {
                case .ns(let ns): target = ns.target
                case .mx(let mx): target = mx.exchange
                case .srv(let srv): target = srv.target
                default: continue
                }
                guard target.isSubdomain(of: origin) else { continue }
                let index = ZoneSnapshot.find(target.wire, from: 0, slots: slots, nodes: nodes, names: names)
                guard index >= 0, !targets.contains(index) else { continue }
                let candidate = nodes[Int(index)]
                let glue = candidate.stop >= 0 && nodes[Int(candidate.stop)].flags.contains(.cut)
                    || candidate.flags.contains(.cut)
                if glue && type != .NS { continue }
                if candidate.stop >= 0 && !glue { continue }  // below a DNAME
                let hasAddress = (Int(candidate.firstEntry)..<Int(candidate.firstEntry) + Int(candidate.entryCount))
                    .contains { (entries[$0].type == .A || entries[$0].type == .AAAA) && entries[$0].hasData }
                if hasAddress { targets.append(index) }
            }
            guard !targets.isEmpty else { return }
            entries[e].extraStart = UInt32(extras.count)
            entries[e].extraCount = UInt16(min(targets.count, Int(UInt16.max)))
            extras.append(contentsOf: targets.prefix(Int(UInt16.max)))
        }

        mutating func keepOtherNSEC3Owners(_ owners: [(name: DomainName, sets: ArraySlice<RRset>)], chained: Set<[UInt8]>) {
            for (owner, sets) in owners where !chained.contains(DomainName.lowercase(owner.wire)) {
                let first = UInt32(entries.count)
                let count = appendEntries(Array(sets))
                let (start, length) = appendName(owner)
                otherOwners.append(Node(
                    nameStart: start, nameLength: length, labelCount: UInt8(owner.labelCount), flags: [],
                    firstEntry: first, entryCount: UInt16(count), stop: -1, nsec3: -1))
            }
        }
    }

    /// Decodes `RDLENGTH RDATA` runs (our own, hence valid).
    static func decodeRData(_ data: [UInt8], type: RecordType, start: UInt32, length: UInt32) -> [RData] {
        var result: [RData] = []
        var reader = WireReader(data, offset: Int(start))
        reader.limit = Int(start + length)
        while !reader.isAtEnd {
            guard let rdlength = try? reader.readUInt16("RDLENGTH"),
                  let rdata = try? RData.decode(type: type, length: Int(rdlength), from: &reader)
            else { break }
            result.append(rdata)
        }
        return result
    }

    static func lowerBound(_ digests: [NSEC3Hash.Digest], _ digest: NSEC3Hash.Digest) -> Int {
        var low = 0
        var high = digests.count
        while low < high {
            let mid = (low + high) / 2
            if digests[mid] < digest { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
