extension ZoneSnapshot {
    /// A snapshot of `zone` made from this one by rewriting only what changed, or nil when a rebuild is
    /// due: build `ZoneSnapshot(zone)` then.
    ///
    /// The common case — a load balancer's addresses moved, the SOA serial rose, signatures were
    /// refreshed — leaves the zone's shape alone (the same names, cuts, DNAMEs, CNAMEs and NSEC owners,
    /// the same NSEC3 chain, the same additional-section links) and costs a copy of the flat arrays with
    /// the changed nodes' records appended. A change that reshapes the zone (names added or removed,
    /// delegations, wildcards, NSEC3 owners joining the chain) goes through `reshaped`, which redoes the
    /// tree-shaped parts in linear passes; only what changes everything (NSEC ↔ NSEC3, new NSEC3
    /// parameters) or enough replaced bytes piling up falls back to a rebuild, so memory stays flat.
    ///
    /// `changedNames` must hold every name whose records differ between the zone this snapshot was made
    /// from and `zone` (a superset is fine), as `SignedZone.changedNames` does.
    public func patched(_ zone: Zone, changedNames: some Collection<DomainName>) -> ZoneSnapshot? {
        guard zone.origin == origin, zone.dnsClass == dnsClass,
              let soaSet = zone.rrset(at: origin, type: .SOA), case .soa(let newSOA)? = soaSet.rdatas.first
        else { return nil }
        // A name that appears or goes reshapes the zone for certain: no point trying the same-shape patch.
        let sameNames = changedNames.allSatisfy { name in
            guard let sets = zone.nodes[name], !sets.isEmpty else { return false }
            return find(DomainName.lowercase(name.wire), from: 0) >= 0 || chainPosition(of: name) != nil
        }
        return (sameNames ? sameShapePatched(zone, changedNames: changedNames, soaSet: soaSet, newSOA: newSOA) : nil)
            ?? reshaped(zone, changedNames: changedNames, soaSet: soaSet, newSOA: newSOA)
    }

    /// The same-shape patch: nil when any changed name would reshape the zone.
    func sameShapePatched(_ zone: Zone, changedNames: some Collection<DomainName>, soaSet: RRset, newSOA: SOA) -> ZoneSnapshot? {
        var builder = Builder()
        builder.entries = entries
        builder.data.bytes = data
        builder.names = names
        builder.nodes = nodes
        builder.extras = extras
        var links = nsec3Links
        var dead = deadBytes
        for name in changedNames {
            guard let sets = zone.nodes[name], !sets.isEmpty else { return nil }
            let wire = DomainName.lowercase(name.wire)
            let index = ZoneSnapshot.find(wire, from: 0, slots: slots, nodes: builder.nodes, names: names)
            if index >= 0 {
                let old = builder.nodes[Int(index)]
                // Address records appearing or vanishing would change other names' additional sections.
                guard !old.flags.contains(.emptyNonTerminal),
                      Self.shapeFlags(sets, isApex: index == 0) == old.flags.subtracting([.wildcardChild, .apex]),
                      Self.hasAddress(sets) == hasAddress(old)
                else { return nil }
                if index == 0, !sameChain(sets) { return nil }
                dead += entryBytes(old)
                let first = builder.entries.count
                builder.nodes[Int(index)].firstEntry = UInt32(first)
                builder.nodes[Int(index)].entryCount = UInt16(builder.appendEntries(sets))
                for entry in first..<builder.entries.count {
                    builder.linkAdditionalTargets(entry: entry, slots: slots, origin: origin)
                }
            } else if let position = chainPosition(of: name) {
                // An NSEC3 owner of the served chain: same parameters, same hash, new records.
                guard sets.allSatisfy({ $0.type == .NSEC3 || $0.coveredType == .NSEC3 }), inServedChain(sets) else { return nil }
                links[position].entry = Int32(builder.entries.count)
                _ = builder.appendEntries(sets)
            } else {
                return nil  // a new name, or an owner outside the served chain
            }
        }
        return finished(builder, slots: slots, nsecNodes: nsecNodes, nsec3Digests: nsec3Digests, nsec3Links: links,
                        soaSet: soaSet, newSOA: newSOA, deadBytes: dead)
    }

    /// The patched snapshot from `builder`'s arrays, or nil when a rebuild is due: replaced bytes past a
    /// quarter of the whole (so memory stays flat), or an apex SOA that is missing or whose signing
    /// changed (a signed zone gone unsigned, or the reverse, is rebuilt).
    func finished(_ builder: Builder, slots: [UInt64], nsecNodes: [Int32], nsec3Digests: [NSEC3Hash.Digest],
                  nsec3Links: [NSEC3Link], soaSet: RRset, newSOA: SOA, deadBytes dead: Int) -> ZoneSnapshot? {
        guard dead * 4 < builder.data.bytes.count else { return nil }
        let apex = builder.nodes[0]
        guard let soaIndex = (Int(apex.firstEntry)..<Int(apex.firstEntry) + Int(apex.entryCount))
            .first(where: { builder.entries[$0].type == .SOA && builder.entries[$0].hasData }),
              builder.entries[soaIndex].hasSignatures == isSigned
        else { return nil }
        return ZoneSnapshot(
            patching: self, names: builder.names, nodes: builder.nodes, entries: builder.entries, data: builder.data.bytes,
            extras: builder.extras, slots: slots, nsecNodes: nsecNodes, nsec3Digests: nsec3Digests, nsec3Links: nsec3Links,
            soa: newSOA, soaEntry: Int32(soaIndex), negativeTTL: min(soaSet.ttl, newSOA.minimum), deadBytes: dead)
    }

    /// The flags a node's records give it (the tree-position flags `apex` and `wildcardChild` aside).
    static func shapeFlags(_ sets: [RRset], isApex: Bool) -> NodeFlags {
        var flags: NodeFlags = []
        for set in sets {
            switch set.type {
            case .NS where !isApex: flags.insert(.cut)
            case .DNAME: flags.insert(.dname)
            case .CNAME: flags.insert(.cname)
            case .NSEC: flags.insert(.nsec)
            default: break
            }
        }
        return flags
    }

    static func hasAddress(_ sets: [RRset]) -> Bool { sets.contains { ($0.type == .A || $0.type == .AAAA) && !$0.isEmpty } }

    func hasAddress(_ node: Node) -> Bool {
        (Int(node.firstEntry)..<Int(node.firstEntry) + Int(node.entryCount))
            .contains { (entries[$0].type == .A || entries[$0].type == .AAAA) && entries[$0].hasData }
    }

    /// Whether the apex's NSEC3PARAM (if any) still names the chain being served.
    func sameChain(_ apexSets: [RRset]) -> Bool {
        let param = apexSets.first(where: { $0.type == .NSEC3PARAM })?.rdatas.first
        switch (denial, param) {
        case (.nsec3(let algorithm, let iterations, let salt), .nsec3param(let p)?):
            return p.hashAlgorithm == algorithm && p.iterations == iterations && p.salt == salt
        case (.nsec3, nil), (_, .nsec3param?):
            return false
        default:
            return true
        }
    }

    func entryBytes(_ node: Node) -> Int {
        (Int(node.firstEntry)..<Int(node.firstEntry) + Int(node.entryCount))
            .reduce(0) { $0 + Int(entries[$1].length) + Int(entries[$1].signatureLength) }
    }
}
