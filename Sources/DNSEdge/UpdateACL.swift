import DNSCore

/// Who may send a zone dynamic updates (RFC 2136), and what each may change. A rule names the TSIG key
/// the update must be verified with and/or the address block it must come from, and an `UpdateScope`.
/// An update is allowed when one rule matches its sender and key and its scope holds every change;
/// no rule refuses it. A zone starts with no rules: nobody may update it.
public struct UpdateACL: Sendable, Hashable, CustomStringConvertible {
    public struct Rule: Sendable, Hashable, CustomStringConvertible {
        /// Nil: any address.
        public var prefix: IPAddressPrefix?
        /// Nil: unsigned updates are accepted (from `prefix`, which the store then requires).
        public var key: DomainName?
        public var scope: UpdateScope

        public init(prefix: IPAddressPrefix? = nil, key: DomainName? = nil, scope: UpdateScope = .everything) {
            self.prefix = prefix
            self.key = key
            self.scope = scope
        }

        func matches(_ source: IPAddress, key verifiedKey: DomainName?) -> Bool {
            if let prefix, !prefix.contains(source) { return false }
            guard let key else { return true }
            return verifiedKey == key
        }

        public var description: String {
            (key.map { "key \($0.text)" } ?? "unsigned") + " from " + (prefix?.description ?? "any address")
                + " (\(scope))"
        }
    }

    public enum Decision: Sendable, Hashable {
        case allowed(Rule)
        case refused(String)
    }

    public var rules: [Rule]

    public init(rules: [Rule] = []) { self.rules = rules }

    /// Whether an update from `source`, verified with `key` (nil: unsigned), may make `updates`.
    public func decide(source: IPAddress, key: DomainName?, updates: [UpdateRecord]) -> Decision {
        let from = "\(source) " + (key.map { "with key \($0.text)" } ?? "without TSIG")
        guard !rules.isEmpty else { return .refused("the zone has no update ACL: nobody may update it") }
        let matching = rules.filter { $0.matches(source, key: key) }
        guard !matching.isEmpty else { return .refused("an update from \(from) is not allowed by the update ACL (\(self))") }
        var violation = ""
        for rule in matching {
            guard let found = rule.scope.firstViolation(in: updates) else { return .allowed(rule) }
            if violation.isEmpty { violation = "'\(found.record)': \(found.reason)" }
        }
        return .refused("an update from \(from) changes what its ACL entry does not allow: \(violation)")
    }

    public var description: String { rules.isEmpty ? "nobody" : rules.map(\.description).joined(separator: "; ") }
}
