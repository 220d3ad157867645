import DNSCore

/// What changed in the unsigned zone, told the way an operator reads it: counts, and a few examples
/// ("search.usa.gov. A 192.0.2.10 → 192.0.2.20"), so an alert says the load balancer moved.
struct ChangeSummary: Sendable, Equatable {
    var addedRRsets: Int
    var removedRRsets: Int
    /// Up to `exampleLimit` lines, RRsets whose content changed first (they are what moved).
    var examples: [String]

    static let exampleLimit = 5

    init(_ diff: ZoneDiff) {
        addedRRsets = diff.added.count
        removedRRsets = diff.removed.count
        var removedByKey: [String: RRset] = [:]
        for rrset in diff.removed where rrset.type != .SOA { removedByKey[Self.key(rrset)] = rrset }
        var changed: [String] = []
        var other: [String] = []
        for rrset in diff.added where rrset.type != .SOA {
            if let old = removedByKey.removeValue(forKey: Self.key(rrset)) {
                changed.append("\(rrset.name.text) \(rrset.type) \(Self.values(old)) → \(Self.values(rrset))")
            } else {
                other.append("+ \(rrset.name.text) \(rrset.type) \(Self.values(rrset))")
            }
        }
        for rrset in removedByKey.values.sorted(by: { $0.name < $1.name }) {
            other.append("- \(rrset.name.text) \(rrset.type) \(Self.values(rrset))")
        }
        examples = Array((changed + other).prefix(Self.exampleLimit))
    }

    var isEmpty: Bool { addedRRsets == 0 && removedRRsets == 0 }

    /// "2 RRsets changed: search.usa.gov. A 192.0.2.10 → 192.0.2.20; …"
    var sentence: String {
        let total = max(addedRRsets, removedRRsets)
        let head = "\(total) RRset\(total == 1 ? "" : "s") changed (+\(addedRRsets) −\(removedRRsets))"
        return examples.isEmpty ? head : head + ": " + examples.joined(separator: "; ")
    }

    private static func key(_ rrset: RRset) -> String { rrset.name.lowercased().text + " " + "\(rrset.type)" }

    private static func values(_ rrset: RRset) -> String {
        let all = rrset.rdatas.map(\.presentation)
        let shown = all.prefix(3).joined(separator: ", ")
        return all.count > 3 ? shown + ", …" : shown
    }
}
