import DNSCore

/// Who may transfer a zone from us: rules matched by source address block and, optionally, the TSIG
/// key the request was verified with. The first rule that matches allows; nothing matching refuses.
/// The default refuses everyone but loopback, so a fresh server leaks no zone.
public struct TransferACL: Sendable, Hashable, CustomStringConvertible {
    public struct Rule: Sendable, Hashable, CustomStringConvertible {
        public var prefix: IPAddressPrefix
        /// Nil: any request from the block, signed or not. Otherwise only requests whose TSIG verified
        /// with this key.
        public var key: DomainName?

        public init(prefix: IPAddressPrefix, key: DomainName? = nil) {
            self.prefix = prefix
            self.key = key
        }

        /// `192.0.2.0/24`, `::1`, `10.0.0.0/8 key transfer-key`, or `any key transfer-key`.
        public init(parsing text: String) throws(IPAddressPrefixError) {
            let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let first = words.first else { throw .malformed(text, "empty rule") }
            var prefixes: IPAddressPrefix
            if first == "any" {
                prefixes = IPAddressPrefix(address: IPAddress("::")!, length: 0)
            } else {
                prefixes = try IPAddressPrefix(parsing: first)
            }
            var key: DomainName? = nil
            if words.count == 3 && words[1] == "key" {
                guard let name = try? DomainName(words[2], origin: .root) else {
                    throw .malformed(text, "\(words[2]) is not a key name")
                }
                key = name
            } else if words.count != 1 {
                throw .malformed(text, "expected ADDRESS[/LENGTH] [key NAME]")
            }
            self.init(prefix: prefixes, key: key)
            if first == "any" { anyFamily = true }
        }

        /// Set by `any`: matches IPv4 and IPv6 sources.
        public var anyFamily = false

        func matches(_ source: IPAddress, key verifiedKey: DomainName?) -> Bool {
            guard anyFamily || prefix.contains(source) else { return false }
            guard let key else { return true }
            return verifiedKey == key
        }

        public var description: String {
            (anyFamily ? "any" : prefix.description) + (key.map { " key \($0)" } ?? "")
        }
    }

    public var rules: [Rule]

    public init(rules: [Rule]) { self.rules = rules }

    /// 127.0.0.0/8 and ::1, with or without a key.
    public static let loopbackOnly = TransferACL(rules: [Rule(prefix: .loopbackV4), Rule(prefix: .loopbackV6)])
    public static let nobody = TransferACL(rules: [])

    /// The rule that allows `source` with `key` (the key that verified the request, nil if unsigned).
    public func allowingRule(for source: IPAddress, key: DomainName?) -> Rule? {
        rules.first { $0.matches(source, key: key) }
    }

    public func allows(_ source: IPAddress, key: DomainName?) -> Bool {
        allowingRule(for: source, key: key) != nil
    }

    public var description: String { rules.isEmpty ? "nobody" : rules.map(\.description).joined(separator: "; ") }
}
