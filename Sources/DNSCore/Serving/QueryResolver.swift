/// Fills a `ResponsePlan` for one question in one zone: the RFC 1034 §4.3.2 algorithm (step 3 onwards)
/// with CNAME chains, DNAME substitution (RFC 6672 §3), wildcards (RFC 4592) and referrals, plus the
/// DNSSEC records RFC 4035 §3.1 adds when `dnssec` is set (see `QueryResolver+DNSSEC.swift`).
struct QueryResolver {
    let zone: ZoneSnapshot
    /// The client set DO and the zone is signed: add RRSIGs and denial proofs.
    let dnssec: Bool
    var plan: ResponsePlan

    typealias Owner = ResponsePlan.Owner

    mutating func resolve(_ qname: DomainName, _ qtype: RecordType) {
        plan.aa = true
        var name = qname
        var owner = Owner.question
        var visited: [DomainName] = []
        for step in 0...QueryAnswerer.maxChainLength {
            let next: DomainName?
            switch zone.locate(name) {
            case .cut(let cut):
                // DS belongs to the parent side: a DS query for the cut itself is answered here.
                if qtype == .DS && Int(zone.nodes[Int(cut)].nameLength) == name.wire.count {
                    next = answer(at: cut, name: name, owner: owner, qtype: qtype, wildcard: nil)
                } else {
                    // A chain that leads into a delegation stops there; the resolver follows it.
                    if step == 0 { referral(cut) }
                    return
                }
            case .node(let index):
                next = answer(at: index, name: name, owner: owner, qtype: qtype, wildcard: nil)
            case .wildcard(let closestEncloser, let source):
                next = answer(
                    at: source, name: name, owner: owner, qtype: qtype,
                    wildcard: (closestEncloser: closestEncloser, source: source))
            case .dname(let index):
                next = substitute(dname: index, name: name, owner: owner)
            case .nonexistent(let closestEncloser):
                plan.rcode = .NXDOMAIN
                addNegativeSOA()
                if dnssec { addNameErrorProof(name, closestEncloser: closestEncloser) }
                return
            }
            guard let target = next, target.isSubdomain(of: zone.origin), target != name,
                  !visited.contains(target)
            else { return }
            visited.append(name)
            name = target
            owner = .name(target)
        }
    }

    /// Answers from the node `index` (the name itself, or the wildcard that matched it); returns the
    /// CNAME target to follow, if any.
    mutating func answer(
        at index: Int32, name: DomainName, owner: Owner, qtype: RecordType,
        wildcard: (closestEncloser: Int32, source: Int32)?
    ) -> DomainName? {
        let node = zone.nodes[Int(index)]
        let range = Int(node.firstEntry)..<Int(node.firstEntry) + Int(node.entryCount)
        var found = false
        switch qtype {
        case .ANY:
            // RFC 8482 §4.1: one RRset, the one with the lowest type code.
            if let e = range.first(where: { zone.entries[$0].hasData && zone.entries[$0].type != .NSEC }) {
                plan.add(.answer, owner: owner, entry: Int32(e), signatures: dnssec)
                found = true
            }
        case .RRSIG:
            for e in range where zone.entries[e].hasSignatures {
                plan.add(.answer, owner: owner, entry: Int32(e), data: false, signatures: true)
                found = true
            }
        default:
            let e = zone.entry(node, qtype)
            if e >= 0 {
                plan.add(.answer, owner: owner, entry: e, signatures: dnssec)
                addAdditional(for: e)
                found = true
            } else if node.flags.contains(.cname) {
                let c = zone.entry(node, .CNAME)
                plan.add(.answer, owner: owner, entry: c, signatures: dnssec)
                if dnssec, let wildcard { addWildcardAnswerProof(name, closestEncloser: wildcard.closestEncloser) }
                return cnameTarget(c)
            }
        }
        if found {
            if dnssec, let wildcard { addWildcardAnswerProof(name, closestEncloser: wildcard.closestEncloser) }
            return nil
        }
        addNegativeSOA()
        if dnssec {
            if let wildcard {
                addWildcardNoDataProof(name, closestEncloser: wildcard.closestEncloser, source: wildcard.source)
            } else {
                addNoDataProof(name, node: index)
            }
        }
        return nil
    }

    /// RFC 6672 §3.1: the DNAME, then a CNAME from `name` to its substitute; returns the substitute.
    mutating func substitute(dname index: Int32, name: DomainName, owner: Owner) -> DomainName? {
        let node = zone.nodes[Int(index)]
        let e = zone.entry(node, .DNAME)
        guard e >= 0 else { return nil }
        let entry = zone.entries[Int(e)]
        plan.add(.answer, owner: .node(index), entry: e, signatures: dnssec)
        let runStart = Int(entry.start) + 2
        let target = zone.data[runStart..<ZoneSnapshot.nameEnd(zone.data, from: runStart)]
        let prefix = name.wire[0..<(name.wire.count - Int(node.nameLength))]
        guard prefix.count + target.count <= DomainName.maxLength else {
            // The substitute would be longer than a name may be (RFC 6672 §2.2).
            plan.rcode = .YXDOMAIN
            return nil
        }
        let substitute = DomainName(trustedWire: Array(prefix) + Array(target))
        plan.addSynthesizedCNAME(owner: owner, target: substitute, ttl: entry.ttl)
        return substitute
    }

    /// The target of the CNAME entry `e`.
    func cnameTarget(_ e: Int32) -> DomainName? {
        guard e >= 0 else { return nil }
        let start = Int(zone.entries[Int(e)].start) + 2
        return DomainName(trustedWire: Array(zone.data[start..<ZoneSnapshot.nameEnd(zone.data, from: start)]))
    }

    /// A referral (RFC 1034 §4.3.2 step 3b): the cut's NS in authority, not authoritative, glue in
    /// additional; under DO the DS with its signatures or the proof that there is none (RFC 4035 §3.1.4).
    mutating func referral(_ cut: Int32) {
        plan.aa = false
        let node = zone.nodes[Int(cut)]
        let ns = zone.entry(node, .NS)
        plan.add(.authority, owner: .node(cut), entry: ns, signatures: false)
        if dnssec {
            let ds = zone.entry(node, .DS)
            if ds >= 0 {
                plan.add(.authority, owner: .node(cut), entry: ds, signatures: true)
            } else {
                addInsecureReferralProof(cut)
            }
        }
        guard ns >= 0 else { return }
        let entry = zone.entries[Int(ns)]
        for k in Int(entry.extraStart)..<Int(entry.extraStart) + Int(entry.extraCount) {
            let target = zone.extras[k]
            let targetNode = zone.nodes[Int(target)]
            // Glue below the cut is needed to reach it: without it the referral is truncated (RFC 9471).
            let inDomain = target == cut || targetNode.stop == cut
            for type in [RecordType.A, .AAAA] {
                plan.add(
                    .additional, owner: .node(target), entry: zone.entry(targetNode, type), signatures: false,
                    required: inDomain)
            }
        }
    }

    /// Address records of the in-zone targets of an NS, MX or SRV answer (RFC 1035 §3.3, RFC 2782).
    mutating func addAdditional(for e: Int32) {
        let entry = zone.entries[Int(e)]
        guard entry.extraCount > 0 else { return }
        for k in Int(entry.extraStart)..<Int(entry.extraStart) + Int(entry.extraCount) {
            let target = zone.extras[k]
            let targetNode = zone.nodes[Int(target)]
            for type in [RecordType.A, .AAAA] {
                plan.add(
                    .additional, owner: .node(target), entry: zone.entry(targetNode, type),
                    signatures: dnssec && targetNode.stop < 0, required: false)
            }
        }
    }

    /// The apex SOA in the authority section of a negative answer, with TTL min(SOA TTL, MINIMUM)
    /// (RFC 2308 §3); its signatures carry the same TTL.
    mutating func addNegativeSOA() {
        plan.add(.authority, owner: .node(0), entry: zone.soaEntry, signatures: dnssec, ttl: zone.negativeTTL)
    }
}
