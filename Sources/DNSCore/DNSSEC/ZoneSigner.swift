/// Signs zones (RFC 4033–4035, RFC 5155): RRSIGs over every authoritative RRset, the NSEC or NSEC3
/// chain, the DNSKEY RRset and its CDS/CDNSKEY, all as pure functions of the zone, the keys, the
/// policy and `now`.
///
/// A full signing classifies the names in one canonical-order pass, builds the denial chain, then
/// signs every RRset on all cores, each core reusing one buffer for the signed data. Signer-generated
/// records in the input (RRSIG, NSEC, NSEC3, NSEC3PARAM, DNSKEY, CDS, CDNSKEY) are dropped and made
/// anew. What is signed: everything at the apex and at authoritative names, DS (and the NSEC) at a
/// delegation; never NS at a cut, glue or occluded data (RFC 4035 §2.2).
public enum ZoneSigner {
    /// Signs `zone` from scratch; each signature made is recorded in `receipts` (for the self-check).
    public static func sign(
        zone: Zone, keys: ZoneKeySet, policy: SigningPolicy = SigningPolicy(), now: UInt32,
        receipts: SignatureReceipts? = nil
    ) throws(ZoneSigningError) -> SignedZone {
        var context = try Context(zone: zone, keys: keys, policy: policy, now: now)
        context.receipts = receipts
        let apexSets = try context.apexRRsets()

        // The input without signer-owned records (looked up on all cores: hashing 100k names is not
        // free), then each name classified in canonical order and the apex key sets added.
        let sortedNames = zone.sortedNames
        let stripped = ParallelWork.map(count: sortedNames.count, minimumChunk: 1024, scratch: { () }) { index, _ -> [RRset] in
            var node = zone.nodes[sortedNames[index]]!
            if node.contains(where: { SigningRoles.isSignerOwned($0.type) }) {
                node.removeAll { SigningRoles.isSignerOwned($0.type) }
            }
            return node
        }
        var names: [DomainName] = []
        var kinds: [NameKind] = []
        var nodes: [[RRset]] = []
        names.reserveCapacity(sortedNames.count)
        kinds.reserveCapacity(sortedNames.count)
        nodes.reserveCapacity(sortedNames.count)
        var classifier = SigningRoles.Classifier(apex: zone.origin)
        for (name, var node) in zip(sortedNames, stripped) where !node.isEmpty {
            let kind = classifier.kind(of: name, node: node)
            if kind == .apex {
                for set in apexSets { Zone.put(set, into: &node) }
            }
            names.append(name)
            kinds.append(kind)
            nodes.append(node)
        }

        // The denial chain: NSEC records join their nodes, NSEC3 records get nodes of their own.
        var links: [NSEC3Chain.Link] = []
        if let settings = policy.nsec3Settings {
            // Names hashed (their bitmaps are computed on all cores while the chain is built): the chain
            // names minus opt-out delegations, then the empty non-terminals (index nil).
            var members: [DomainName] = []
            var memberNodes: [Int?] = []
            members.reserveCapacity(names.count)
            memberNodes.reserveCapacity(names.count)
            for index in names.indices where SigningRoles.isInChain(kinds[index]) {
                if settings.optOut && isInsecureDelegation(nodes[index], kind: kinds[index]) { continue }
                members.append(names[index])
                memberNodes.append(index)
            }
            let empty = NSEC3Chain.emptyNonTerminals(of: members, apex: context.apex)
            members.append(contentsOf: empty)
            memberNodes.append(contentsOf: repeatElement(nil, count: empty.count))
            links = try NSEC3Chain.build(
                members: members,
                types: { position in
                    guard let index = memberNodes[position] else { return [] }
                    return SigningRoles.bitmapTypes(node: nodes[index], kind: kinds[index], nsec: false)
                },
                apex: context.signer, settings: settings, ttl: context.denialTTL, dnsClass: context.dnsClass)
        } else {
            let members = names.indices.filter { SigningRoles.isInChain(kinds[$0]) }
            let records = NSECChain.build(
                members: members.map { names[$0] },
                types: { SigningRoles.bitmapTypes(node: nodes[members[$0]], kind: kinds[members[$0]], nsec: true) },
                ttl: context.denialTTL, dnsClass: context.dnsClass)
            for (member, record) in zip(members, records) { Zone.put(record, into: &nodes[member]) }
        }

        // Signing, node by node on all cores; each node comes back complete with its RRSIG sets.
        let signedNodes = ParallelWork.map(count: nodes.count + links.count, minimumChunk: 32, scratch: {
            () -> [UInt8] in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(4096)
            return buffer
        }) { index, buffer -> Result<SignedNode, ZoneSigningError> in
            do throws(ZoneSigningError) {
                if index < nodes.count {
                    return .success(try context.sign(node: nodes[index], kind: kinds[index], buffer: &buffer))
                }
                return .success(try context.sign(node: [links[index - nodes.count].rrset], kind: .authoritative, buffer: &buffer))
            } catch {
                return .failure(error)
            }
        }

        var signed = Zone(origin: zone.origin, dnsClass: zone.dnsClass)
        signed.warnings = zone.warnings
        signed.nodes.reserveCapacity(signedNodes.count)
        var shortest = UInt32.max
        var nsec3Owners: [DomainName] = []
        nsec3Owners.reserveCapacity(links.count)
        for (index, result) in signedNodes.enumerated() {
            let node: SignedNode
            switch result {
            case .success(let value): node = value
            case .failure(let error): throw error
            }
            shortest = min(shortest, node.shortestLifetime)
            if index < names.count {
                signed.nodes[names[index]] = node.rrsets
            } else {
                let owner = links[index - names.count].rrset.name
                signed.nodes[owner] = node.rrsets
                nsec3Owners.append(owner)
            }
        }
        signed.sortedNames = mergeCanonical(names, nsec3Owners)
        return SignedZone(
            zone: signed, nextResign: now &+ shortest &- policy.refreshMargin, fingerprint: context.fingerprint,
            nsec3Digests: links.map(\.digest))
    }

    /// A node with its signatures, and the shortest lifetime among them (for `nextResign`).
    struct SignedNode {
        var rrsets: [RRset]
        var shortestLifetime: UInt32
    }

    /// A delegation without DS: under NSEC3 opt-out it gets no record of its own.
    static func isInsecureDelegation(_ node: [RRset], kind: NameKind) -> Bool {
        kind == .delegation && !node.contains { $0.type == .DS }
    }

    /// `node` (sorted by type, no RRSIG) with its RRSIG sets (sorted by covered type) placed where the
    /// zone keeps them: after the types below RRSIG's code, before those above.
    static func withSignatures(_ node: [RRset], _ signatures: [RRset]) -> [RRset] {
        guard !signatures.isEmpty else { return node }
        var result: [RRset] = []
        result.reserveCapacity(node.count + signatures.count)
        let split = node.firstIndex { $0.type.rawValue > RecordType.RRSIG.rawValue } ?? node.count
        result.append(contentsOf: node[..<split])
        result.append(contentsOf: signatures)
        result.append(contentsOf: node[split...])
        return result
    }

    /// Two canonically sorted name lists merged into one.
    static func mergeCanonical(_ first: [DomainName], _ second: [DomainName]) -> [DomainName] {
        guard !second.isEmpty else { return first }
        guard !first.isEmpty else { return second }
        var merged: [DomainName] = []
        merged.reserveCapacity(first.count + second.count)
        var i = 0
        var j = 0
        while i < first.count && j < second.count {
            if canonicalCompare(first[i], second[j]) < 0 {
                merged.append(first[i])
                i += 1
            } else {
                merged.append(second[j])
                j += 1
            }
        }
        merged.append(contentsOf: first[i...])
        merged.append(contentsOf: second[j...])
        return merged
    }

    /// RFC 4034 §6.1 order, three-way, without the allocations of `DomainName.<` (label offsets go
    /// on the stack): merging the NSEC3 owners into 100k names compares a few hundred thousand times.
    static func canonicalCompare(_ lhs: DomainName, _ rhs: DomainName) -> Int {
        lhs.wire.withUnsafeBufferPointer { a in
            rhs.wire.withUnsafeBufferPointer { b in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { offsets in
                    // Label starts of `a` from index 0 up, of `b` from index 128 up (a name has at
                    // most 127 labels; wire offsets fit in a byte).
                    var countA = 0
                    var i = 0
                    while a[i] != 0 {
                        offsets[countA] = UInt8(i)
                        countA += 1
                        i += Int(a[i]) + 1
                    }
                    var countB = 0
                    i = 0
                    while b[i] != 0 {
                        offsets[128 + countB] = UInt8(i)
                        countB += 1
                        i += Int(b[i]) + 1
                    }
                    var x = countA - 1
                    var y = countB - 1
                    while x >= 0 && y >= 0 {
                        let startA = Int(offsets[x])
                        let startB = Int(offsets[128 + y])
                        let lengthA = Int(a[startA])
                        let lengthB = Int(b[startB])
                        for k in 1...min(lengthA, lengthB) {
                            var p = a[startA + k]
                            var q = b[startB + k]
                            if p >= 0x41 && p <= 0x5A { p |= 0x20 }
                            if q >= 0x41 && q <= 0x5A { q |= 0x20 }
                            if p != q { return Int(p) - Int(q) }
                        }
                        if lengthA != lengthB { return lengthA - lengthB }
                        x -= 1
                        y -= 1
                    }
                    return countA - countB
                }
            }
        }
    }
}
