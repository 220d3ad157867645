extension Zone {
    /// This zone with the sequences of an incremental transfer applied in order (RFC 1995 §4), and the
    /// owner names they touched — so comparing, guarding and signing can look at those names only.
    ///
    /// Strict, as a transfer must be: each sequence must start from the serial the zone holds at that
    /// point, delete only records it holds (RDATA compared; a TTL that differs is still the record) and
    /// add only records it does not hold. The first violation throws and nothing is returned.
    ///
    /// Costs what the change costs, plus one copy of the node table when this zone's storage is shared
    /// (copy-on-write).
    public func applying(_ sequences: [IXFRClientMachine.Sequence]) throws(TransferError)
        -> (zone: Zone, changedNames: Set<DomainName>)
    {
        var zone = self
        var names: Set<DomainName> = []
        for (offset, sequence) in sequences.enumerated() {
            let number = offset + 1
            let from = AXFRClientMachine.serial(of: sequence.from)
            guard let held = zone.serial else { throw .ixfrWrongStart(ours: SerialNumber(0), found: from) }
            guard held == from else {
                if number == 1 { throw .ixfrWrongStart(ours: held, found: from) }
                throw .ixfrChainGap(sequence: number, expected: held, found: from)
            }
            for record in sequence.deleted {
                guard zone.remove(record) else { throw .ixfrDeletesMissing(sequence: number, record: "\(record)") }
                names.insert(record.name)
            }
            zone.insert(RRset(sequence.to))
            names.insert(sequence.to.name)
            for record in sequence.added {
                let key = Zone.sortKey(type: record.type, rdata: record.rdata)
                if zone.rrsets(at: record.name).contains(where: { Zone.sortKey($0) == key && $0.contains(record.rdata) }) {
                    throw .ixfrAddsDuplicate(sequence: number, record: "\(record)")
                }
                zone.add(record)
                names.insert(record.name)
            }
        }
        return (zone, names)
    }
}

