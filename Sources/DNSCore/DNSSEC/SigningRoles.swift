/// Which names and RRsets of a zone get signatures and denial records, shared by the signer, the
/// incremental signer and the verifier so the three always agree.
///
/// The classification is `DelegationMap`'s (`NameKind`): the topmost cut at or above a name decides
/// first (the cut itself is a delegation, everything below occluded), then a DNAME strictly above
/// occludes. For signing, glue and other occluded data are treated alike: neither is signed nor
/// listed in a type bitmap.
enum SigningRoles {
    /// Types the signer generates and replaces wherever they appear in its input.
    static func isSignerOwned(_ type: RecordType) -> Bool {
        switch type {
        case .RRSIG, .NSEC, .NSEC3, .NSEC3PARAM, .DNSKEY, .CDS, .CDNSKEY: true
        default: false
        }
    }

    /// Whether the RRset of `type` at a name of `kind` is signed (RFC 4035 §2.2): everything at the
    /// apex and at authoritative names, only DS (and the NSEC) at a delegation, nothing below a cut.
    static func isSigned(_ type: RecordType, kind: NameKind) -> Bool {
        switch kind {
        case .apex, .authoritative: type != .RRSIG
        case .delegation: type == .DS || type == .NSEC
        case .occluded, .outOfZone: false
        }
    }

    /// Whether a name of `kind` gets its own NSEC record (or hashed NSEC3 record, opt-out aside).
    static func isInChain(_ kind: NameKind) -> Bool {
        kind == .apex || kind == .authoritative || kind == .delegation
    }

    /// The kinds of every name of `zone.sortedNames`, in one pass.
    static func classify(_ zone: Zone) -> [NameKind] {
        var classifier = Classifier(apex: zone.origin)
        return zone.sortedNames.map { classifier.kind(of: $0, node: zone.nodes[$0]!) }
    }

    /// Classifies names fed in canonical order: a name's descendants follow it directly, so the
    /// current cut and DNAME are all the state needed and no ancestor has to be looked up.
    struct Classifier {
        let apex: DomainName
        private var cut: DomainName?
        private var dname: DomainName?

        init(apex: DomainName) { self.apex = apex }

        /// The kind of `name`, whose RRsets are `node`; names must come in canonical order.
        mutating func kind(of name: DomainName, node: [RRset]) -> NameKind {
            guard name.isSubdomain(of: apex) else { return .outOfZone }
            if name == apex { return .apex }
            if let current = cut, name.isSubdomain(of: current) { return .occluded }
            cut = nil
            if node.contains(where: { $0.type == .NS }) {
                cut = name
                return .delegation
            }
            if let current = dname, name.isSubdomain(of: current) { return .occluded }
            dname = node.contains(where: { $0.type == .DNAME }) ? name : nil
            return .authoritative
        }
    }

    /// The kind of one name, from the NS and DNAME RRsets of its ancestors (same answer as
    /// `classify`, for the incremental signer that looks at few names).
    static func kind(of name: DomainName, in zone: Zone) -> NameKind {
        let apex = zone.origin
        guard name.isSubdomain(of: apex) else { return .outOfZone }
        if name == apex { return .apex }
        let apexLabels = apex.labelCount
        let labels = name.labelCount
        var dnameAbove = false
        for count in (apexLabels + 1)...labels {
            let candidate = count == labels ? name : name.suffix(labels: count)
            guard let node = zone.nodes[candidate] else { continue }
            if node.contains(where: { $0.type == .NS }) { return candidate == name ? .delegation : .occluded }
            if count < labels && node.contains(where: { $0.type == .DNAME }) { dnameAbove = true }
        }
        return dnameAbove ? .occluded : .authoritative
    }

    /// The types an NSEC or NSEC3 record lists for a name of `kind` whose RRsets are `node`
    /// (RFC 4034 §4.1.2, RFC 5155 §3.2.1). Signer-generated RRSIG, NSEC and NSEC3 sets in `node` are
    /// ignored and added back by rule: RRSIG when something at the name is signed, NSEC for the NSEC
    /// chain (the NSEC itself is signed). At a delegation only NS and DS count (the parent is not
    /// authoritative for anything else there). The apex's DNSKEY, CDS, CDNSKEY and NSEC3PARAM count
    /// when present in `node`.
    static func bitmapTypes(node: [RRset], kind: NameKind, nsec: Bool) -> [RecordType] {
        var types: [RecordType] = []
        types.reserveCapacity(node.count + 2)
        var signed = nsec
        for rrset in node {
            let type = rrset.type
            if type == .RRSIG || type == .NSEC || type == .NSEC3 { continue }
            switch kind {
            case .apex, .authoritative:
                types.append(type)
                signed = true
            case .delegation:
                if type == .NS {
                    types.append(type)
                } else if type == .DS {
                    types.append(type)
                    signed = true
                }
            case .occluded, .outOfZone:
                continue
            }
        }
        if signed { types.append(.RRSIG) }
        if nsec { types.append(.NSEC) }
        return types
    }
}
