/// One finding of `Zone.check()`: where, what, how bad.
public struct ZoneProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable, Comparable {
        /// The zone loads, but something in it is ignored, normalised or probably a mistake.
        case warning
        /// The zone must not be served as it is.
        case error

        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs == .warning && rhs == .error }
    }

    public var severity: Severity
    public var name: DomainName
    /// The RRset type concerned, nil when the problem is about the name as a whole.
    public var type: RecordType?
    public var reason: String

    public init(severity: Severity, name: DomainName, type: RecordType?, reason: String) {
        self.severity = severity
        self.name = name
        self.type = type
        self.reason = reason
    }

    /// `error: www.example.com. CNAME: CNAME beside other data (A)`.
    public var description: String {
        "\(severity.rawValue): \(name.text)\(type.map { " \($0)" } ?? ""): \(reason)"
    }
}

/// Thrown by `Zone.validate()` when the checks found errors; holds every problem, warnings included.
public struct ZoneCheckError: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [ZoneProblem]

    public var errors: [ZoneProblem] { problems.filter { $0.severity == .error } }

    public var description: String {
        "zone has \(errors.count) error(s):\n" + problems.map(\.description).joined(separator: "\n")
    }
}

/// What a zone says about an RRset, which decides whether it is signed and answered authoritatively.
public enum RRsetRole: Sendable, Hashable {
    /// Data this zone is authoritative for: signed (this includes the apex NS and DS at a cut).
    case authoritative
    /// The NS RRset at a zone cut: served in referrals, not signed (RFC 4035 §2.2).
    case delegation
    /// An address record of a name server below (or at) a cut: served in referrals, not signed.
    case glue
    /// Data below a cut (or beside its NS) that is not glue, or below a DNAME: never served.
    case occluded
    /// Not at or below the origin.
    case outOfZone
}

/// Where a name sits in a zone.
public enum NameKind: Sendable, Hashable {
    case apex
    /// Inside the zone and above every cut: it gets an NSEC/NSEC3 record when signed.
    case authoritative
    /// A zone cut (non-apex NS): it gets NSEC/NSEC3 too, its DS is signed.
    case delegation
    /// Below a cut (glue or occluded data) or below a DNAME: not part of the signed chain.
    case occluded
    case outOfZone
}

/// The zone cuts, DNAMEs and name-server targets of a zone, computed once so the checks, the signer and
/// the server can classify every name cheaply.
public struct DelegationMap: Sendable {
    public let apex: DomainName
    /// Non-apex names owning an NS RRset.
    public let cuts: Set<DomainName>
    /// Names owning a DNAME.
    public let dnames: Set<DomainName>
    /// Targets of every NS RRset in the zone: their address records below a cut are glue.
    public let nameServerTargets: Set<DomainName>

    public init(_ zone: Zone) {
        apex = zone.origin
        var cuts: Set<DomainName> = []
        var dnames: Set<DomainName> = []
        var targets: Set<DomainName> = []
        for (name, node) in zone.nodes {
            for rrset in node {
                if rrset.type == .NS {
                    if name != zone.origin && name.isSubdomain(of: zone.origin) { cuts.insert(name) }
                    for case .ns(let ns) in rrset.rdatas { targets.insert(ns.target) }
                } else if rrset.type == .DNAME {
                    dnames.insert(name)
                }
            }
        }
        self.cuts = cuts
        self.dnames = dnames
        self.nameServerTargets = targets
    }

    /// Targets of every NS RRset in `zone` (one pass, for the checks).
    static func nameServerTargets(of zone: Zone) -> Set<DomainName> {
        var targets: Set<DomainName> = []
        for node in zone.nodes.values {
            for rrset in node where rrset.type == .NS {
                for case .ns(let ns) in rrset.rdatas { targets.insert(ns.target) }
            }
        }
        return targets
    }

    /// The highest cut at or above `name` (the one that matters: anything below it is not ours).
    public func enclosingCut(of name: DomainName) -> DomainName? {
        topmost(of: cuts, atOrAbove: name, strictly: false)
    }

    /// The highest DNAME owner strictly above `name`.
    public func enclosingDNAME(of name: DomainName) -> DomainName? {
        topmost(of: dnames, atOrAbove: name, strictly: true)
    }

    func topmost(of set: Set<DomainName>, atOrAbove name: DomainName, strictly: Bool) -> DomainName? {
        guard !set.isEmpty, name.isSubdomain(of: apex) else { return nil }
        let apexLabels = apex.labelCount
        let labels = name.labelCount
        let last = strictly ? labels - 1 : labels
        guard last > apexLabels else { return nil }
        for count in (apexLabels + 1)...last {
            let candidate = name.suffix(labels: count)
            if set.contains(candidate) { return candidate }
        }
        return nil
    }

    public func kind(of name: DomainName) -> NameKind {
        guard name.isSubdomain(of: apex) else { return .outOfZone }
        if name == apex { return .apex }
        if let cut = enclosingCut(of: name) { return cut == name ? .delegation : .occluded }
        return enclosingDNAME(of: name) == nil ? .authoritative : .occluded
    }

    /// The role of the RRset of `type` at `name` (for RRSIG sets use `role(of:)`, which looks at the
    /// covered type).
    public func role(name: DomainName, type: RecordType) -> RRsetRole {
        guard name.isSubdomain(of: apex) else { return .outOfZone }
        return DelegationMap.role(
            type: type, name: name, cut: enclosingCut(of: name), belowDNAME: enclosingDNAME(of: name) != nil,
            nameServerTargets: nameServerTargets)
    }

    /// The role of `rrset`; an RRSIG set takes the role of the RRset it covers.
    public func role(of rrset: RRset) -> RRsetRole {
        guard rrset.name.isSubdomain(of: apex) else { return .outOfZone }
        return DelegationMap.role(
            of: rrset, cut: enclosingCut(of: rrset.name), belowDNAME: enclosingDNAME(of: rrset.name) != nil,
            nameServerTargets: nameServerTargets)
    }

    /// The rules, given the topmost cut at or above the (in-zone) name and whether a DNAME is above it.
    static func role(
        type: RecordType, name: DomainName, cut: DomainName?, belowDNAME: Bool, nameServerTargets: Set<DomainName>
    ) -> RRsetRole {
        guard let cut else { return belowDNAME ? .occluded : .authoritative }
        if cut == name {
            switch type {
            case .NS: return .delegation
            case .DS, .NSEC, .RRSIG: return .authoritative
            default: break
            }
        }
        if (type == .A || type == .AAAA) && nameServerTargets.contains(name) { return .glue }
        return .occluded
    }

    static func role(
        of rrset: RRset, cut: DomainName?, belowDNAME: Bool, nameServerTargets: Set<DomainName>
    ) -> RRsetRole {
        let role = role(
            type: rrset.coveredType ?? rrset.type, name: rrset.name, cut: cut, belowDNAME: belowDNAME,
            nameServerTargets: nameServerTargets)
        // Signatures over NS at a cut or over glue have no business there: nobody can use them.
        if rrset.type == .RRSIG && (role == .delegation || role == .glue) { return .occluded }
        return role
    }
}

extension Zone {
    /// Cuts, DNAMEs and name-server targets, for classifying names (`kind(of:)`, `role(of:)`).
    public func delegationMap() -> DelegationMap { DelegationMap(self) }

    /// Every problem found, errors and warnings, in canonical name order (build warnings first).
    ///
    /// Errors: no SOA at the apex or more than one; SOA elsewhere; no NS at the apex; CNAME beside other
    /// data (RRSIG, NSEC, NSEC3 excepted, RFC 4035 §2.5) or more than one CNAME; ALIAS beside CNAME or more
    /// than one ALIAS; more than one DNAME; data below a DNAME (RFC 6672 §2.3); names outside the zone;
    /// meta types; a class other than the zone's; DS anywhere but at a cut. Warnings: data below a cut or
    /// beside its NS that is not glue (occluded: never served).
    public func check() -> [ZoneProblem] {
        var problems = warnings
        let targets = DelegationMap.nameServerTargets(of: self)
        checkApex(into: &problems)

        // Canonical order puts every name right after its ancestors, so the enclosing cut and DNAME are
        // tracked while walking instead of being looked up per name.
        var cut: DomainName?
        var dname: DomainName?
        for name in sortedNames {
            let node = nodes[name]!
            guard name.isSubdomain(of: origin) else {
                problems.append(.init(
                    severity: .error, name: name, type: nil,
                    reason: "out of zone: not at or below the origin \(origin.text)"))
                continue
            }
            if let current = cut, !name.isSubdomain(of: current) { cut = nil }
            if let current = dname, !name.isSubdomain(of: current) { dname = nil }
            let isCut = name != origin && node.contains { $0.type == .NS }
            checkNode(
                name: name, node: node, cut: cut ?? (isCut ? name : nil), dname: dname,
                nameServerTargets: targets, into: &problems)
            if cut == nil && isCut { cut = name }
            if dname == nil && node.contains(where: { $0.type == .DNAME }) { dname = name }
        }
        return problems
    }

    /// The errors `check()` would report, found by looking only at `changedNames`: for a zone made from
    /// `previous` — whose check found no errors — by changing the records at those names alone (the
    /// signer's transfer of a zone it holds). An error at a name depends on its own records and on a cut
    /// or DNAME above it, so the other names cannot have gained one unless a cut or DNAME (at the apex
    /// too) came or went; then this returns nil and the caller checks the whole zone. Warnings are not
    /// looked for.
    public func checkErrors(changedNames: Set<DomainName>, previous: Zone) -> [ZoneProblem]? {
        for name in changedNames {
            // NS at the apex is no cut; a DNAME there is above every other name.
            for node in [previous.node(name) ?? [], node(name) ?? []]
            where node.contains(where: { $0.type == .DNAME || ($0.type == .NS && name != origin) }) {
                return nil
            }
        }
        var problems: [ZoneProblem] = []
        checkApex(into: &problems)
        for name in changedNames.sorted() {
            guard let node = node(name) else { continue }
            guard name.isSubdomain(of: origin) else {
                problems.append(.init(
                    severity: .error, name: name, type: nil,
                    reason: "out of zone: not at or below the origin \(origin.text)"))
                continue
            }
            // The topmost cut and DNAME strictly above (the name itself owns neither, see above).
            var cut: DomainName?
            var dname: DomainName?
            if name.labelCount > origin.labelCount + 1 {
                for count in (origin.labelCount + 1)..<name.labelCount {
                    let ancestor = name.suffix(labels: count)
                    guard let above = self.node(ancestor) else { continue }
                    if cut == nil && above.contains(where: { $0.type == .NS }) { cut = ancestor }
                    if dname == nil && above.contains(where: { $0.type == .DNAME }) { dname = ancestor }
                }
            }
            checkNode(name: name, node: node, cut: cut, dname: dname, nameServerTargets: [], into: &problems)
        }
        return problems.filter { $0.severity == .error }
    }

    /// Exactly one SOA and some NS at the apex.
    private func checkApex(into problems: inout [ZoneProblem]) {
        let apexNode = node(origin) ?? []
        if let soa = apexNode.first(where: { $0.type == .SOA }) {
            if soa.count > 1 {
                problems.append(.init(
                    severity: .error, name: origin, type: .SOA,
                    reason: "\(soa.count) SOA records at the apex; a zone has exactly one"))
            }
        } else {
            problems.append(.init(severity: .error, name: origin, type: .SOA, reason: "no SOA record at the apex"))
        }
        if !apexNode.contains(where: { $0.type == .NS }) {
            problems.append(.init(severity: .error, name: origin, type: .NS, reason: "no NS records at the apex"))
        }
    }

    /// Throws when `check()` finds an error; warnings alone pass.
    public func validate() throws(ZoneCheckError) {
        let problems = check()
        if problems.contains(where: { $0.severity == .error }) { throw ZoneCheckError(problems: problems) }
    }

    /// Checks one in-zone node; `cut` is the topmost cut at or above it, `dname` a DNAME owner above it.
    func checkNode(
        name: DomainName, node: [RRset], cut: DomainName?, dname: DomainName?, nameServerTargets: Set<DomainName>,
        into problems: inout [ZoneProblem]
    ) {
        func error(_ type: RecordType?, _ reason: String) {
            problems.append(.init(severity: .error, name: name, type: type, reason: reason))
        }
        func warning(_ type: RecordType?, _ reason: String) {
            problems.append(.init(severity: .warning, name: name, type: type, reason: reason))
        }

        for rrset in node {
            if rrset.type.isMeta {
                error(rrset.type, "\(rrset.type) is a meta type (RFC 6895); it cannot be zone data")
            }
            if rrset.dnsClass != dnsClass {
                error(rrset.type, "class \(rrset.dnsClass) in a zone of class \(dnsClass)")
            }
        }

        let types = node.map(\.type)
        if name != origin && types.contains(.SOA) {
            error(.SOA, "SOA below the apex: only \(origin.text) may have one")
        }

        if let cname = node.first(where: { $0.type == .CNAME }) {
            let others = uniqueTypes(types.filter { ![.CNAME, .RRSIG, .NSEC, .NSEC3].contains($0) })
            if !others.isEmpty {
                error(.CNAME, "CNAME beside other data (\(others.map(\.description).joined(separator: ", "))); "
                    + "a CNAME must be alone at its name (RFC 1034 §3.6.2, RFC 2181 §10.1)")
            }
            if cname.count > 1 {
                error(.CNAME, "\(cname.count) CNAME records at one name; at most one is allowed (RFC 2181 §10.1)")
            }
        }
        if let alias = node.first(where: { $0.type == .ALIAS }) {
            if types.contains(.CNAME) { error(.ALIAS, "ALIAS beside CNAME: a name is either an alias or not") }
            if alias.count > 1 {
                error(.ALIAS, "\(alias.count) ALIAS records at one name; at most one is allowed")
            }
        }
        if let dname = node.first(where: { $0.type == .DNAME }), dname.count > 1 {
            error(.DNAME, "\(dname.count) DNAME records at one name; at most one is allowed (RFC 6672 §2.4)")
        }

        if let dname {
            for rrset in node {
                error(rrset.type, "below the DNAME at \(dname.text): no data may exist there (RFC 6672 §2.3)")
            }
        }

        if types.contains(.DS) && cut == nil {
            error(.DS, name == origin
                ? "DS at the apex: it belongs in the parent zone"
                : "DS at a name that is not a delegation (it needs NS beside it)")
        }
        if let cut {
            for rrset in node {
                let role = DelegationMap.role(
                    of: rrset, cut: cut, belowDNAME: dname != nil, nameServerTargets: nameServerTargets)
                guard role == .occluded else { continue }
                if cut == name {
                    warning(rrset.type, "beside the delegation NS only DS, NSEC and glue are served; "
                        + "this is occluded")
                } else {
                    warning(rrset.type, "occluded by the delegation at \(cut.text): not glue "
                        + "(only address records of name servers are)")
                }
            }
        }
    }

    private func uniqueTypes(_ types: [RecordType]) -> [RecordType] {
        var seen: Set<RecordType> = []
        return types.filter { seen.insert($0).inserted }
    }
}
