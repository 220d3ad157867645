/// The difference between two versions of a zone, RRset by RRset.
///
/// An RRset whose records or TTL changed appears twice: the old one in `removed`, the new one in `added`
/// (what an IXFR or a re-signing pass needs: drop the old signatures, sign the new set). RRsets equal in
/// both versions appear in neither. Both lists are in canonical order (name, then type; RRSIG sets are
/// compared per covered type).
public struct ZoneDiff: Sendable, Equatable {
    public var added: [RRset]
    public var removed: [RRset]

    public init(added: [RRset] = [], removed: [RRset] = []) {
        self.added = added
        self.removed = removed
    }

    /// Compares `old` with `new` (a pure function of the two; origins are not compared). Both name lists
    /// are walked in canonical order together: one pass.
    public init(from old: Zone, to new: Zone) {
        var added: [RRset] = []
        var removed: [RRset] = []
        let oldNames = old.sortedNames
        let newNames = new.sortedNames
        var i = 0
        var j = 0
        while i < oldNames.count || j < newNames.count {
            // Equal names are by far the common case, and cheaper to test than the canonical order.
            if i < oldNames.count && j < newNames.count && oldNames[i] == newNames[j] {
                let oldNode = old.nodes[oldNames[i]]!
                let newNode = new.nodes[newNames[j]]!
                if oldNode != newNode { ZoneDiff.compare(oldNode, newNode, added: &added, removed: &removed) }
                i += 1
                j += 1
            } else if j == newNames.count || (i < oldNames.count && oldNames[i] < newNames[j]) {
                removed.append(contentsOf: old.nodes[oldNames[i]]!)
                i += 1
            } else {
                added.append(contentsOf: new.nodes[newNames[j]]!)
                j += 1
            }
        }
        self.added = added
        self.removed = removed
    }

    /// Compares `old` with `new` at `names` only: the diff of the whole zones when every name whose
    /// records differ is among them (as `SignedZone.changedNames` promises), at the cost of those names.
    public init(from old: Zone, to new: Zone, at names: some Collection<DomainName>) {
        var added: [RRset] = []
        var removed: [RRset] = []
        for name in Zone.canonicallySorted(Array(names)) {
            let oldNode = old.nodes[name] ?? []
            let newNode = new.nodes[name] ?? []
            if oldNode != newNode { ZoneDiff.compare(oldNode, newNode, added: &added, removed: &removed) }
        }
        self.added = added
        self.removed = removed
    }

    /// Both nodes are sorted by `Zone.sortKey`: walk them together.
    static func compare(_ old: [RRset], _ new: [RRset], added: inout [RRset], removed: inout [RRset]) {
        var i = 0
        var j = 0
        while i < old.count || j < new.count {
            let oldKey = i < old.count ? Zone.sortKey(old[i]) : .max
            let newKey = j < new.count ? Zone.sortKey(new[j]) : .max
            if oldKey == newKey {
                if old[i] != new[j] {
                    removed.append(old[i])
                    added.append(new[j])
                }
                i += 1
                j += 1
            } else if oldKey < newKey {
                removed.append(old[i])
                i += 1
            } else {
                added.append(new[j])
                j += 1
            }
        }
    }

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty }

    /// Records in `added` and `removed` (an RRset counts each of its records).
    public var changedRecordCount: Int {
        added.reduce(0) { $0 + $1.count } + removed.reduce(0) { $0 + $1.count }
    }
}

extension Zone {
    /// This zone with `diff` applied: removed RRsets taken out (by name and type, whatever their current
    /// content), then added RRsets put in, replacing what is there. Applying `ZoneDiff(from: a, to: b)`
    /// to `a` gives `b`.
    public func applying(_ diff: ZoneDiff) -> Zone {
        var zone = self
        zone.apply(diff)
        return zone
    }

    public mutating func apply(_ diff: ZoneDiff) {
        var emptied = false
        for rrset in diff.removed {
            guard var node = nodes[rrset.name] else { continue }
            let key = Zone.sortKey(rrset)
            node.removeAll { Zone.sortKey($0) == key }
            if node.isEmpty {
                nodes[rrset.name] = nil
                emptied = true
            } else {
                nodes[rrset.name] = node
            }
        }
        if emptied { sortedNames.removeAll { nodes[$0] == nil } }
        var newNames: [DomainName] = []
        for rrset in diff.added where !rrset.isEmpty {
            if nodes[rrset.name] == nil { newNames.append(rrset.name) }
            Zone.put(rrset, into: &nodes[rrset.name, default: []])
        }
        if !newNames.isEmpty { insertSortedNames(newNames) }
    }
}
