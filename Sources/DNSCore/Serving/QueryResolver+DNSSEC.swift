/// Denial-of-existence proofs for the authority section under DO: NSEC per RFC 4035 §3.1.3, NSEC3 per
/// RFC 5155 §7.2. Each NSEC/NSEC3 goes in once, with its signatures.
extension QueryResolver {
    /// NXDOMAIN: nothing matches the name and no wildcard could have.
    /// NSEC: the NSEC covering the name and the one covering `*.<closest encloser>`.
    /// NSEC3: the closest encloser proof plus the NSEC3 covering the wildcard at the closest encloser.
    mutating func addNameErrorProof(_ name: DomainName, closestEncloser: Int32) {
        switch zone.denial {
        case .none:
            return
        case .nsec:
            addNSEC(node: zone.nsecPredecessor(name.wire, from: 0))
            let encloser = zone.nodes[Int(closestEncloser)]
            let start = Int(encloser.nameStart)
            if let wildcard = ZoneSnapshot.wildcardName(zone.names, from: start, to: start + Int(encloser.nameLength)) {
                addNSEC(node: zone.nsecPredecessor(wildcard, from: 0))
            }
        case .nsec3:
            let labels = addClosestEncloserProof(name, encloserLabels: Int(zone.nodes[Int(closestEncloser)].labelCount))
            let encloserStart = suffixStart(name, labels: labels)
            if let wildcard = ZoneSnapshot.wildcardName(name.wire, from: encloserStart, to: name.wire.count),
               let digest = zone.nsec3Digest(wildcard, from: 0) {
                addNSEC3(zone.nsec3MatchingOrCovering(digest))
            }
        }
    }

    /// NODATA at an existing name: its NSEC (or, for an empty non-terminal, the NSEC covering it), or
    /// its matching NSEC3; without one (an opt-out cut asked for DS, an empty non-terminal left out of
    /// an opt-out chain) the closest provable encloser proof (RFC 5155 §7.2.3, §7.2.4).
    mutating func addNoDataProof(_ name: DomainName, node index: Int32) {
        let node = zone.nodes[Int(index)]
        switch zone.denial {
        case .none:
            return
        case .nsec:
            if node.flags.contains(.nsec) {
                addNSEC(node: index)
            } else {
                addNSEC(node: zone.nsecPredecessor(name.wire, from: 0))
            }
        case .nsec3:
            if node.nsec3 >= 0 {
                addNSEC3(node.nsec3)
            } else {
                addClosestEncloserProof(name, encloserLabels: Int(node.labelCount) - 1)
            }
        }
    }

    /// A wildcard answered: proof that the name itself does not exist, so the expansion was right
    /// (RFC 4035 §3.1.3.3, RFC 5155 §7.2.6). NSEC: the one covering the name. NSEC3: the one covering
    /// the next closer name (the RRSIG labels field tells the closest encloser).
    mutating func addWildcardAnswerProof(_ name: DomainName, closestEncloser: Int32) {
        switch zone.denial {
        case .none:
            return
        case .nsec:
            addNSEC(node: zone.nsecPredecessor(name.wire, from: 0))
        case .nsec3:
            let encloserLabels = Int(zone.nodes[Int(closestEncloser)].labelCount)
            if let digest = zone.nsec3Digest(name.wire, from: suffixStart(name, labels: encloserLabels + 1)) {
                addNSEC3(zone.nsec3MatchingOrCovering(digest))
            }
        }
    }

    /// A wildcard matched but lacks the type (RFC 4035 §3.1.3.4, RFC 5155 §7.2.5). NSEC: the one covering
    /// the name and the wildcard's own. NSEC3: the closest encloser proof and the wildcard's NSEC3.
    mutating func addWildcardNoDataProof(_ name: DomainName, closestEncloser: Int32, source: Int32) {
        switch zone.denial {
        case .none:
            return
        case .nsec:
            addNSEC(node: zone.nsecPredecessor(name.wire, from: 0))
            if zone.nodes[Int(source)].flags.contains(.nsec) { addNSEC(node: source) }
        case .nsec3:
            addClosestEncloserProof(name, encloserLabels: Int(zone.nodes[Int(closestEncloser)].labelCount))
            addNSEC3(zone.nodes[Int(source)].nsec3)
        }
    }

    /// A referral without DS: the NSEC at the cut (NS but no DS in its bitmap), or the cut's NSEC3, or for
    /// an opt-out cut without one the closest provable encloser proof (RFC 4035 §3.1.4, RFC 5155 §7.2.7).
    mutating func addInsecureReferralProof(_ cut: Int32) {
        let node = zone.nodes[Int(cut)]
        switch zone.denial {
        case .none:
            return
        case .nsec:
            if node.flags.contains(.nsec) { addNSEC(node: cut) }
        case .nsec3:
            if node.nsec3 >= 0 {
                addNSEC3(node.nsec3)
            } else {
                addClosestEncloserProof(zone.name(ofNode: cut), encloserLabels: Int(node.labelCount) - 1)
            }
        }
    }

    /// RFC 5155 §7.2.1: the NSEC3 matching the closest provable encloser — the longest suffix of `name`
    /// with at most `encloserLabels` labels that has an NSEC3 — and the NSEC3 covering the next closer
    /// name. Returns the label count of the encloser used.
    @discardableResult
    mutating func addClosestEncloserProof(_ name: DomainName, encloserLabels: Int) -> Int {
        let apexLabels = Int(zone.nodes[0].labelCount)
        var labels = max(min(encloserLabels, name.labelCount), apexLabels)
        var encloser: Int32 = -1
        while labels >= apexLabels {
            let index = zone.find(name.wire, from: suffixStart(name, labels: labels))
            if index >= 0 && zone.nodes[Int(index)].nsec3 >= 0 {
                encloser = index
                break
            }
            labels -= 1
        }
        guard encloser >= 0 else { return apexLabels }
        addNSEC3(zone.nodes[Int(encloser)].nsec3)
        if labels < name.labelCount, let digest = zone.nsec3Digest(name.wire, from: suffixStart(name, labels: labels + 1)) {
            addNSEC3(zone.nsec3MatchingOrCovering(digest))
        }
        return labels
    }

    /// Offset in `name.wire` where its suffix of `labels` labels starts.
    func suffixStart(_ name: DomainName, labels: Int) -> Int {
        let wire = name.wire
        var skip = name.labelCount - labels
        var offset = 0
        while skip > 0 {
            offset += Int(wire[offset]) + 1
            skip -= 1
        }
        return offset
    }

    mutating func addNSEC(node index: Int32) {
        guard index >= 0 else { return }
        plan.add(.authority, owner: .node(index), entry: zone.entry(zone.nodes[Int(index)], .NSEC), signatures: true)
    }

    mutating func addNSEC3(_ position: Int32) {
        guard position >= 0 else { return }
        plan.add(.authority, owner: .nsec3(position), entry: zone.nsec3Links[Int(position)].entry, signatures: true)
    }
}
