extension Zone {
    /// The zone a new transfer describes, made from this one — which was built from the previous transfer
    /// of the same primary, `old` — by rebuilding only the names whose records differ.
    ///
    /// A primary sends a zone in the same order every time, so two transfers differ in one stretch of
    /// records (besides the leading SOA, compared on its own); everything before and after it is skipped by comparing records in order, and only the
    /// owners met in that stretch are rebuilt (with every record the new transfer holds for them, exactly
    /// as `Zone(records:)` would group them). That spares building and comparing 100k names to find one
    /// change. Nil when the stretch holds more than `maxChanged` records (a reordered or rewritten
    /// transfer): build the zone from scratch then.
    public func updated(from old: [ResourceRecord], to new: [ResourceRecord], maxChanged: Int = 10_000)
        -> (zone: Zone, changedNames: Set<DomainName>)?
    {
        let common = min(old.count, new.count)
        // The SOA leads every transfer and changes with every version: compared apart, so that a change
        // in the middle of the zone is a stretch from that change, not from the top (which would pass
        // `maxChanged` and rebuild the whole zone for one added name).
        let leadingSOA = common > 0 && old[0].type == .SOA && new[0].type == .SOA
        var prefix = leadingSOA ? 1 : 0
        while prefix < common && old[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < common - prefix && old[old.count - 1 - suffix] == new[new.count - 1 - suffix] { suffix += 1 }
        let oldStretch = old[prefix..<(old.count - suffix)]
        let newStretch = new[prefix..<(new.count - suffix)]
        guard oldStretch.count + newStretch.count <= maxChanged else { return nil }
        var names: Set<DomainName> = []
        if leadingSOA && old[0] != new[0] {
            names.insert(old[0].name)
            names.insert(new[0].name)
        }
        for record in oldStretch { names.insert(record.name) }
        for record in newStretch { names.insert(record.name) }
        guard !names.isEmpty else { return (self, []) }

        let rebuilt = Zone(records: new.lazy.filter { names.contains($0.name) }, origin: origin, dnsClass: dnsClass)
        var zone = self
        zone.warnings = warnings.filter { !names.contains($0.name) } + rebuilt.warnings
        var added: [DomainName] = []
        for name in names {
            if let node = rebuilt.nodes[name] {
                if zone.nodes[name] == nil { added.append(name) }
                zone.nodes[name] = node
            } else if zone.nodes[name] != nil {
                zone.nodes[name] = nil
                zone.removeSortedName(name)
            }
        }
        zone.insertSortedNames(added)
        return (zone, names)
    }
}
