extension ZoneVerifier {
    /// Checks the part of a signed zone that an incremental update touched: the apex (DNSKEY and its
    /// signatures, always), every RRset at `names` with its signatures, and the chain records at those
    /// names — each NSEC's next name exists and its bitmap matches the node, each NSEC3's next hashed
    /// owner exists. Unchanged names were verified when they were published and their bytes did not
    /// move, so this finds what `verify` would find in the changed part at a fraction of the cost
    /// (a signer that publishes on every transfer cannot verify 100k names each time).
    public static func verifyChanges(_ zone: Zone, names: some Sequence<DomainName>, now: UInt32,
                                     unpublishedKeys: [DNSKEY] = [], receipts: SignatureReceipts? = nil) -> [VerificationFailure] {
        let apex = zone.origin
        guard case (let keys, var failures)? = apexKeys(zone, unpublishedKeys: unpublishedKeys) else {
            return [VerificationFailure(owner: apex, type: .DNSKEY, reason: .noDNSKEY)]
        }
        var unique: Set<DomainName> = [apex]
        var ordered: [DomainName] = [apex]
        for name in names where unique.insert(name).inserted { ordered.append(name) }

        let context = NodeContext(apex: apex, now: now, keys: keys, receipts: receipts)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4096)
        var sepSigned = false
        for name in ordered {
            guard let node = zone.nodes[name] else { continue }
            let isNSEC3Owner = isNSEC3Owner(name, node: node, apex: apex)
            let kind: NameKind = isNSEC3Owner ? .authoritative : SigningRoles.kind(of: name, in: zone)
            let result = context.verify(name: name, node: node, kind: kind, buffer: &buffer)
            failures += result.failures
            sepSigned = sepSigned || result.dnskeySignedBySEP
            for rrset in node {
                switch rrset.rdatas.first {
                case .nsec(let nsec)?:
                    if zone.nodes[nsec.nextName] == nil {
                        failures.append(.init(owner: name, type: .NSEC, reason: .wrongNext(
                            expected: "an existing name", found: nsec.nextName.text)))
                    }
                    let expected = expectedTypes(node, kind: kind, nsec: true)
                    if expected != nsec.types.types {
                        failures.append(.init(owner: name, type: .NSEC, reason: .wrongTypes(expected: expected, found: nsec.types.types)))
                    }
                case .nsec3(let nsec3)?:
                    let next = NSEC3Hash.ownerName(hash: nsec3.nextHashedOwner, zone: apex)
                    if zone.nodes[next] == nil {
                        failures.append(.init(owner: name, type: .NSEC3, reason: .wrongNext(
                            expected: "an existing NSEC3 owner", found: next.text)))
                    }
                default:
                    continue
                }
            }
        }
        if keys.contains(where: { !$0.isRevoked }) && !sepSigned {
            failures.append(.init(owner: apex, type: .DNSKEY, reason: .dnskeyNotSignedBySEPKey))
        }
        return failures
    }
}
