/// The snapshot read back as RRsets: for transfers out, inspection and tests (not the query path).
extension ZoneSnapshot {
    /// The RRsets at `name` as the zone held them (RRSIG sets after the data, one per covered type);
    /// owner names come back lowercased.
    public func rrsets(at name: DomainName) -> [RRset] {
        let index = find(name.wire, from: 0)
        if index >= 0 { return rrsets(of: nodes[Int(index)]) }
        if let link = nsec3Links.first(where: { storedName($0.nameStart, $0.nameLength) == name }) {
            return rrsets(of: chainNode(link))
        }
        if let other = otherOwners.first(where: { storedName($0.nameStart, $0.nameLength) == name }) {
            return rrsets(of: other)
        }
        return []
    }

    /// Every RRset of the zone: the name tree in canonical order, then the NSEC3 chain in hash order, then
    /// NSEC3 records of other chains. This is the whole zone (e.g. for a transfer out); owner names are
    /// lowercased.
    public var rrsets: [RRset] {
        var result: [RRset] = []
        result.reserveCapacity(entries.count * 2)
        var cursor = RRsetCursor(self)
        while let owner = cursor.next() { result.append(contentsOf: owner) }
        return result
    }

    /// Walks the RRsets in the order of `rrsets`, one owner name at a time, so that a transfer out
    /// decodes a message's worth at a time instead of the whole zone.
    public struct RRsetCursor: Sendable {
        let snapshot: ZoneSnapshot
        var position = 0

        public init(_ snapshot: ZoneSnapshot) { self.snapshot = snapshot }

        /// The RRsets of the next owner name, or nil after the last.
        public mutating func next() -> [RRset]? {
            let (nodes, links, others) = (snapshot.nodes.count, snapshot.nsec3Links.count, snapshot.otherOwners.count)
            guard position < nodes + links + others else { return nil }
            defer { position += 1 }
            if position < nodes { return snapshot.rrsets(of: snapshot.nodes[position]) }
            if position < nodes + links { return snapshot.rrsets(of: snapshot.chainNode(snapshot.nsec3Links[position - nodes])) }
            return snapshot.rrsets(of: snapshot.otherOwners[position - nodes - links])
        }
    }

    /// The zone again, rebuilt from the snapshot.
    public func makeZone() -> Zone { Zone(rrsets: rrsets, origin: origin, dnsClass: dnsClass) }

    /// An NSEC3 owner seen as a node outside the tree (its one entry is the NSEC3 RRset).
    func chainNode(_ link: NSEC3Link) -> Node {
        Node(
            nameStart: link.nameStart, nameLength: link.nameLength, labelCount: 0, flags: [],
            firstEntry: UInt32(link.entry), entryCount: 1, stop: -1, nsec3: -1)
    }

    func rrsets(of node: Node) -> [RRset] {
        let owner = storedName(node.nameStart, node.nameLength)
        var data: [RRset] = []
        var signatures: [RRset] = []
        for e in Int(node.firstEntry)..<Int(node.firstEntry) + Int(node.entryCount) {
            let entry = entries[e]
            if entry.hasData {
                data.append(RRset(
                    name: owner, type: entry.type, dnsClass: dnsClass, ttl: entry.ttl,
                    rdatas: ZoneSnapshot.decodeRData(self.data, type: entry.type, start: entry.start, length: entry.length)))
            }
            if entry.hasSignatures {
                signatures.append(RRset(
                    name: owner, type: .RRSIG, dnsClass: dnsClass, ttl: entry.signatureTTL,
                    rdatas: ZoneSnapshot.decodeRData(
                        self.data, type: .RRSIG, start: entry.signatureStart, length: entry.signatureLength)))
            }
        }
        return data + signatures
    }
}
