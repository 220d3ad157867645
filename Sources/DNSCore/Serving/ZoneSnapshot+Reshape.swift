extension ZoneSnapshot {
    /// What `patched` does when a change reshapes the zone: names added or removed (with the empty
    /// non-terminals they bring or leave behind), cuts, DNAMEs, CNAMEs and wildcards appearing or going,
    /// address records appearing at a name others point to, NSEC3 owners joining or leaving the chain.
    ///
    /// A rebuild re-encodes every record, hashes every name for NSEC3 and decodes every NS/MX/SRV target:
    /// most of a second for 100k names, for a change of one name. Here the records of the unchanged names
    /// stay where they are; only the changed names are encoded, only the new names are hashed, and what
    /// depends on the tree's shape (the order, each node's parent and the cut or DNAME above it, the
    /// wildcard flags, the NSEC owners, the hash table, the node numbers in additional-section links) is
    /// redone in linear passes over integers. Nil for what truly changes everything (NSEC ↔ NSEC3, new
    /// NSEC3 parameters, signed ↔ unsigned), while an old NSEC3 chain is still held, or when enough
    /// replaced bytes have piled up that a rebuild should reclaim them.
    func reshaped(_ zone: Zone, changedNames: some Collection<DomainName>, soaSet: RRset, newSOA: SOA) -> ZoneSnapshot? {
        guard otherOwners.isEmpty, deadBytes * 4 < data.count,
              let apexSets = zone.nodes[origin], !apexSets.isEmpty, sameChain(apexSets)
        else { return nil }

        // 1. What each changed name is: a node of the tree (changed, emptied or new) or an NSEC3 owner of
        //    the served chain (changed, removed or new).
        var nodeChange = [Int32](repeating: -1, count: nodes.count)  // index into `changedSets`, or -1
        var changedSets: [[RRset]] = []
        var added: [(wire: [UInt8], name: DomainName, sets: [RRset])] = []
        var linkChanges: [Int: [RRset]] = [:]  // chain position → new sets (empty: removed)
        var addedLinks: [(digest: NSEC3Hash.Digest, name: DomainName, sets: [RRset])] = []
        for name in changedNames where name.isSubdomain(of: origin) {
            let sets = zone.nodes[name] ?? []
            let wire = DomainName.lowercase(name.wire)
            let isChainOwner = name != origin && sets.contains { $0.type == .NSEC3 }
                && sets.allSatisfy { $0.type == .NSEC3 || $0.coveredType == .NSEC3 }
            let index = find(wire, from: 0)
            if index >= 0 {
                guard !isChainOwner else { return nil }
                nodeChange[Int(index)] = Int32(changedSets.count)
                changedSets.append(sets)
            } else if let position = chainPosition(of: name) {
                guard sets.isEmpty || (isChainOwner && inServedChain(sets)) else { return nil }
                linkChanges[position] = sets
            } else if isChainOwner {
                guard inServedChain(sets), let digest = NSEC3Hash.Digest(owner: name, zone: origin) else { return nil }
                addedLinks.append((digest, name.lowercased(), sets))
            } else if !sets.isEmpty {
                added.append((wire, name.lowercased(), sets))
            }
        }

        // 2. The ancestors a new name needs that the tree lacks become empty non-terminals, then every new
        //    node finds its place in canonical order by binary search.
        var addedWires = Set(added.map(\.wire))
        for item in added {
            var ancestor = item.name.parent
            while let name = ancestor, name.labelCount > origin.labelCount {
                let wire = DomainName.lowercase(name.wire)
                if addedWires.contains(wire) || find(wire, from: 0) >= 0 { break }
                addedWires.insert(wire)
                added.append((wire, name, []))
                ancestor = name.parent
            }
        }
        added.sort { ZoneSnapshot.canonicalCompare($0.wire, 0, $1.wire, 0) < 0 }
        let insertAt = added.map { insertionPoint($0.wire) }

        // 3. The merged order, then the empty nodes left with nothing below them dropped (from the end, so
        //    an empty non-terminal whose only child goes is dropped too). In a preorder with every empty
        //    non-terminal present, a node has a child exactly when the next node is deeper.
        var order: [ReshapeSource] = []
        order.reserveCapacity(nodes.count + added.count)
        var k = 0
        for i in nodes.indices {
            while k < added.count && insertAt[k] == i { order.append(.new(k)); k += 1 }
            order.append(.old(i))
        }
        while k < added.count { order.append(.new(k)); k += 1 }
        var keep = [Bool](repeating: true, count: order.count)
        var nextLabels = -1
        for j in order.indices.reversed() {
            let labels: Int
            let isEmpty: Bool
            switch order[j] {
            case .old(let i):
                labels = Int(nodes[i].labelCount)
                isEmpty = nodeChange[i] >= 0 ? changedSets[Int(nodeChange[i])].isEmpty : nodes[i].flags.contains(.emptyNonTerminal)
            case .new(let a):
                labels = Int(added[a].name.labelCount)
                isEmpty = added[a].sets.isEmpty
            }
            if j > 0 && isEmpty && nextLabels <= labels {
                keep[j] = false
            } else {
                nextLabels = labels
            }
        }

        // 4. The new nodes: unchanged ones keep their entries, changed and new ones get theirs appended.
        var builder = Builder()
        builder.entries = entries
        builder.data.bytes = data
        builder.names = names
        builder.extras = extras
        var dead = deadBytes
        var newNodes: [Node] = []
        newNodes.reserveCapacity(order.count)
        var oldToNew = [Int32](repeating: -1, count: nodes.count)
        var newToOld: [Int32] = []
        newToOld.reserveCapacity(order.count)
        var rewritten: [Int] = []  // new nodes whose entries were appended
        for j in order.indices {
            switch order[j] {
            case .old(let i):
                var node = nodes[i]
                guard keep[j] else { dead += entryBytes(node); continue }
                if nodeChange[i] >= 0 {
                    let sets = changedSets[Int(nodeChange[i])]
                    dead += entryBytes(node)
                    node.firstEntry = UInt32(builder.entries.count)
                    node.entryCount = UInt16(builder.appendEntries(sets))
                    node.flags = Self.shapeFlags(sets, isApex: i == 0)
                    if sets.isEmpty { node.flags.insert(.emptyNonTerminal) }
                    if i == 0 { node.flags.insert(.apex) }
                    rewritten.append(newNodes.count)
                }
                node.flags.remove(.wildcardChild)
                oldToNew[i] = Int32(newNodes.count)
                newToOld.append(Int32(i))
                newNodes.append(node)
            case .new(let a):
                guard keep[j] else { continue }
                let (start, length) = builder.appendName(added[a].name)
                let sets = added[a].sets
                var node = Node(
                    nameStart: start, nameLength: length, labelCount: UInt8(added[a].name.labelCount),
                    flags: Self.shapeFlags(sets, isApex: false), firstEntry: UInt32(builder.entries.count), entryCount: 0,
                    stop: -1, nsec3: -1)
                if sets.isEmpty { node.flags.insert(.emptyNonTerminal) }
                node.entryCount = UInt16(builder.appendEntries(sets))
                rewritten.append(newNodes.count)
                newToOld.append(-1)
                newNodes.append(node)
            }
        }

        // 5. Parents from the preorder: each node's stop (the topmost cut or DNAME above it) and the
        //    wildcard flags, as `Builder.addNode` sets them.
        var path: [Int32] = []
        for j in newNodes.indices {
            let labels = newNodes[j].labelCount
            while let top = path.last, newNodes[Int(top)].labelCount >= labels { path.removeLast() }
            newNodes[j].stop = -1
            if let parent = path.last {
                let above = newNodes[Int(parent)]
                let start = Int(newNodes[j].nameStart)
                if builder.names[start] == 1 && builder.names[start + 1] == UInt8(ascii: "*") {
                    newNodes[Int(parent)].flags.insert(.wildcardChild)
                }
                if above.stop >= 0 {
                    newNodes[j].stop = above.stop
                } else if above.flags.contains(.cut) || above.flags.contains(.dname) {
                    newNodes[j].stop = parent
                }
            }
            path.append(Int32(j))
        }

        // 6. The NSEC3 chain: removed owners dropped, changed ones re-pointed, new ones merged in by hash.
        var digests = nsec3Digests
        var links = nsec3Links
        var oldPosition: [Int32]? = nil  // old chain position → new, when the chain changed
        var joined: Set<Int32> = []  // new positions of the owners that joined
        if !linkChanges.isEmpty || !addedLinks.isEmpty {
            addedLinks.sort { $0.digest < $1.digest }
            var map = [Int32](repeating: -1, count: links.count)
            var mergedDigests: [NSEC3Hash.Digest] = []
            var mergedLinks: [NSEC3Link] = []
            mergedDigests.reserveCapacity(digests.count + addedLinks.count)
            mergedLinks.reserveCapacity(digests.count + addedLinks.count)
            var a = 0
            func appendAdded() {
                let entry = Int32(builder.entries.count)
                _ = builder.appendEntries(addedLinks[a].sets)
                let (start, length) = builder.appendName(addedLinks[a].name)
                joined.insert(Int32(mergedLinks.count))
                mergedDigests.append(addedLinks[a].digest)
                mergedLinks.append(NSEC3Link(nameStart: start, nameLength: length, entry: entry))
                a += 1
            }
            for p in links.indices {
                while a < addedLinks.count && addedLinks[a].digest < digests[p] { appendAdded() }
                var link = links[p]
                if let sets = linkChanges[p] {
                    dead += entryBytes(chainNode(link))
                    if sets.isEmpty { continue }
                    link.entry = Int32(builder.entries.count)
                    _ = builder.appendEntries(sets)
                }
                map[p] = Int32(mergedLinks.count)
                mergedDigests.append(digests[p])
                mergedLinks.append(link)
            }
            while a < addedLinks.count { appendAdded() }
            digests = mergedDigests
            links = mergedLinks
            oldPosition = map
        }

        // 7. Each node's matching NSEC3: carried over through the position map where the node kept its
        //    place in the tree, hashed where it is new or came out from under a cut. Owners that joined
        //    the chain for a name hashed neither way (an opt-out chain gaining an empty non-terminal) are
        //    found by hashing the remaining unmatched names.
        var hashed = [Bool](repeating: false, count: newNodes.count)
        if case .nsec3 = denial, let hasher = nsec3Hash {
            func match(_ j: Int) {
                hashed[j] = true
                let digest = hasher.digest(storedName(newNodes[j].nameStart, newNodes[j].nameLength, in: builder.names))
                let position = ZoneSnapshot.lowerBound(digests, digest)
                if position < digests.count && digests[position] == digest {
                    newNodes[j].nsec3 = Int32(position)
                    joined.remove(Int32(position))
                } else {
                    newNodes[j].nsec3 = -1
                }
            }
            for j in newNodes.indices {
                let i = Int(newToOld[j])
                guard newNodes[j].stop < 0 else { newNodes[j].nsec3 = -1; continue }
                if i >= 0 && nodes[i].stop < 0 && nodeChange[i] < 0 {
                    let old = nodes[i].nsec3
                    newNodes[j].nsec3 = old < 0 ? -1 : (oldPosition.map { $0[Int(old)] } ?? old)
                    if old >= 0 { joined.remove(newNodes[j].nsec3) }
                } else {
                    match(j)
                }
            }
            if !joined.isEmpty {
                for j in newNodes.indices where !hashed[j] && newNodes[j].stop < 0 && newNodes[j].nsec3 < 0 { match(j) }
            }
        } else {
            guard links.isEmpty else { return nil }
        }

        // 8. The NSEC owners and the hash table, from the new nodes.
        var nsecNodes: [Int32] = []
        for j in newNodes.indices where newNodes[j].flags.contains(.nsec) && newNodes[j].stop < 0 {
            nsecNodes.append(Int32(j))
        }
        switch denial {
        case .none: guard nsecNodes.isEmpty else { return nil }
        case .nsec: guard !nsecNodes.isEmpty else { return nil }
        case .nsec3: guard !digests.isEmpty else { return nil }
        }
        let slots = renumberedTable(oldToNew, newNodes: newNodes, newNames: builder.names, added: rewritten.filter { newToOld[$0] < 0 })
        builder.nodes = newNodes

        // 9. Additional-section links: node numbers renumbered; relinked for the changed entries and for
        //    any NS/MX/SRV whose target name appeared, went, or gained or lost addresses or glue standing.
        for x in builder.extras.indices {
            let old = Int(builder.extras[x])
            builder.extras[x] = old >= 0 && old < oldToNew.count ? oldToNew[old] : -1
        }
        var affected: Set<UInt32> = []
        for i in nodes.indices where nodeChange[i] >= 0 || oldToNew[i] < 0 || stopMoved(i, oldToNew, newNodes) {
            let before = targetStanding(nodes[i], in: nodes, entries: entries)
            let after = oldToNew[i] < 0 ? nil : targetStanding(newNodes[Int(oldToNew[i])], in: newNodes, entries: builder.entries)
            if before != after { affected.insert(nameHash(nodes[i], names)) }
        }
        for j in rewritten where newToOld[j] < 0 && targetStanding(newNodes[j], in: newNodes, entries: builder.entries) != nil {
            affected.insert(nameHash(newNodes[j], builder.names))
        }
        var relink = Set<Int>()
        for j in rewritten {
            let node = newNodes[j]
            for e in Int(node.firstEntry)..<Int(node.firstEntry) + Int(node.entryCount) { relink.insert(e) }
        }
        if !affected.isEmpty {
            for j in newNodes.indices {
                let node = newNodes[j]
                for e in Int(node.firstEntry)..<Int(node.firstEntry) + Int(node.entryCount) {
                    let entry = builder.entries[e]
                    let links = Int(entry.extraStart)..<Int(entry.extraStart) + Int(entry.extraCount)
                    if builder.extras[links].contains(-1) || pointsAtAffected(entry, builder.data.bytes, affected) { relink.insert(e) }
                }
            }
        }
        for e in relink {
            builder.entries[e].extraCount = 0
            builder.linkAdditionalTargets(entry: e, slots: slots, origin: origin)
        }

        return finished(builder, slots: slots, nsecNodes: nsecNodes, nsec3Digests: digests, nsec3Links: links,
                        soaSet: soaSet, newSOA: newSOA, deadBytes: dead)
    }

    /// A node of the reshaped tree: an old node (by index) or a new name (by index into the additions).
    enum ReshapeSource { case old(Int), new(Int) }

    /// What an NS, MX or SRV pointing at a node with address records finds there for the additional
    /// section (see `Builder.linkAdditionalTargets`).
    enum TargetStanding: Equatable { case authoritative, glue, belowDNAME }

    /// The hash table for the reshaped nodes. The old table keeps each name's hash beside its node, so
    /// the names that stay are re-entered under their new numbers without hashing them again (hashing
    /// every name was most of this step at 100k names); only the `added` nodes are hashed.
    func renumberedTable(_ oldToNew: [Int32], newNodes: [Node], newNames: [UInt8], added: [Int]) -> [UInt64] {
        var capacity = 16
        while capacity < newNodes.count * 2 { capacity <<= 1 }
        var table = [UInt64](repeating: 0, count: capacity)
        let mask = capacity - 1
        func insert(_ hash: UInt32, _ index: Int32) {
            var slot = Int(hash) & mask
            while table[slot] != 0 { slot = (slot + 1) & mask }
            table[slot] = UInt64(hash) << 32 | UInt64(UInt32(index) + 1)
        }
        for value in slots where value != 0 {
            let new = oldToNew[Int(truncatingIfNeeded: value & 0xFFFF_FFFF) - 1]
            if new >= 0 { insert(UInt32(truncatingIfNeeded: value >> 32), new) }
        }
        for j in added { insert(nameHash(newNodes[j], newNames), Int32(j)) }
        return table
    }

    /// The position in the served NSEC3 chain of the owner `name`, or nil.
    func chainPosition(of name: DomainName) -> Int? {
        guard !nsec3Digests.isEmpty, let digest = NSEC3Hash.Digest(owner: name, zone: origin) else { return nil }
        let position = ZoneSnapshot.lowerBound(nsec3Digests, digest)
        guard position < nsec3Digests.count, nsec3Digests[position] == digest else { return nil }
        let link = nsec3Links[position]
        let wire = name.wire
        guard Int(link.nameLength) == wire.count, ZoneSnapshot.storedNameEquals(names, link.nameStart, wire, from: 0) else { return nil }
        return position
    }

    /// Whether an NSEC3 owner's records belong to the chain being served (same parameters).
    func inServedChain(_ sets: [RRset]) -> Bool {
        guard case .nsec3(let algorithm, let iterations, let salt) = denial,
              case .nsec3(let record)? = sets.first(where: { $0.type == .NSEC3 })?.rdatas.first
        else { return false }
        return record.hashAlgorithm == algorithm && record.iterations == iterations && record.salt == salt
    }

    /// Where the tree name `wire` (lowercase) goes among the nodes: the index of the first node after it.
    func insertionPoint(_ wire: [UInt8]) -> Int {
        var low = 0
        var high = nodes.count
        while low < high {
            let mid = (low + high) / 2
            if ZoneSnapshot.canonicalCompare(names, Int(nodes[mid].nameStart), wire, 0) < 0 { low = mid + 1 } else { high = mid }
        }
        return low
    }

    func storedName(_ start: UInt32, _ length: UInt8, in names: [UInt8]) -> DomainName {
        DomainName(trustedWire: Array(names[Int(start)..<Int(start) + Int(length)]))
    }

    /// The standing of a node as an additional-section target; nil when it has no address records.
    func targetStanding(_ node: Node, in nodes: [Node], entries: [Entry]) -> TargetStanding? {
        let hasAddress = (Int(node.firstEntry)..<Int(node.firstEntry) + Int(node.entryCount))
            .contains { (entries[$0].type == .A || entries[$0].type == .AAAA) && entries[$0].hasData }
        guard hasAddress else { return nil }
        let glue = node.stop >= 0 && nodes[Int(node.stop)].flags.contains(.cut) || node.flags.contains(.cut)
        return glue ? .glue : (node.stop >= 0 ? .belowDNAME : .authoritative)
    }

    /// Whether old node `i` has a different cut or DNAME above it now.
    func stopMoved(_ i: Int, _ oldToNew: [Int32], _ newNodes: [Node]) -> Bool {
        let new = oldToNew[i]
        guard new >= 0 else { return true }
        let before = nodes[i].stop
        let after = newNodes[Int(new)].stop
        return before < 0 ? after >= 0 : (after < 0 || oldToNew[Int(before)] != after)
    }

    func nameHash(_ node: Node, _ names: [UInt8]) -> UInt32 {
        ZoneSnapshot.hash(names, from: Int(node.nameStart), to: Int(node.nameStart) + Int(node.nameLength))
    }

    /// Whether an NS, MX or SRV entry names a target whose hash is in `affected` (a false hit only costs
    /// a relink). Reads the targets in place from the `RDLENGTH RDATA` runs.
    func pointsAtAffected(_ entry: Entry, _ data: [UInt8], _ affected: Set<UInt32>) -> Bool {
        let skip: Int
        switch entry.type {
        case .NS: skip = 0
        case .MX: skip = 2
        case .SRV: skip = 6
        default: return false
        }
        guard entry.hasData else { return false }
        var p = Int(entry.start)
        let end = Int(entry.start + entry.length)
        while p + 2 <= end {
            let length = Int(data[p]) << 8 | Int(data[p + 1])
            let target = p + 2 + skip
            if target < p + 2 + length {
                let nameEnd = ZoneSnapshot.nameEnd(data, from: target)
                if affected.contains(ZoneSnapshot.hash(data, from: target, to: nameEnd)) { return true }
            }
            p += 2 + length
        }
        return false
    }
}
