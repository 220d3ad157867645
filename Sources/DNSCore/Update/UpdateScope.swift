/// What one update key (or address) may change in a zone: which owner names and which types. An
/// operator gives a certificate robot a key that may touch only `_acme-challenge` TXT records, so a
/// leaked robot key cannot move the zone's addresses.
///
/// Names are patterns: `www.example.com.` matches that name only; `*.dyn.example.com.` matches every
/// name strictly below `dyn.example.com.` (any depth). No pattern means every name in the zone, no type
/// every type. A delete of all RRsets at a name (type ANY) needs a scope without a type list, since it
/// would touch types outside any list. Prerequisites are not limited: they change nothing.
public struct UpdateScope: Sendable, Hashable, CustomStringConvertible {
    public enum NamePattern: Sendable, Hashable, CustomStringConvertible {
        case exact(DomainName)
        /// Every name strictly below this one.
        case below(DomainName)

        public func matches(_ name: DomainName) -> Bool {
            switch self {
            case let .exact(pattern): name == pattern
            case let .below(pattern): name != pattern && name.isSubdomain(of: pattern)
            }
        }

        /// Parses `name` or `*.name`, relative to `origin` unless absolute; `@` is the origin.
        public init(parsing text: String, origin: DomainName) throws(NameError) {
            if text == "*" {
                self = .below(origin)
            } else if text.hasPrefix("*.") {
                self = .below(try DomainName(String(text.dropFirst(2)), origin: origin).lowercased())
            } else {
                self = .exact(try DomainName(text, origin: origin).lowercased())
            }
        }

        public var description: String {
            switch self {
            case let .exact(name): name.text
            case let .below(name): name.isRoot ? "*." : "*." + name.text
            }
        }
    }

    public var names: [NamePattern]
    public var types: Set<RecordType>

    public init(names: [NamePattern] = [], types: Set<RecordType> = []) {
        self.names = names
        self.types = types
    }

    /// The whole zone, every type.
    public static let everything = UpdateScope()

    public var isEverything: Bool { names.isEmpty && types.isEmpty }

    public func permits(name: DomainName, type: RecordType) -> Bool {
        let nameAllowed = names.isEmpty || names.contains { $0.matches(name) }
        let typeAllowed = types.isEmpty || (type != .ANY && types.contains(type))
        return nameAllowed && typeAllowed
    }

    /// The first change outside the scope, with why; nil when every change is inside.
    public func firstViolation(in updates: [UpdateRecord]) -> (record: UpdateRecord, reason: String)? {
        for record in updates where !permits(name: record.name, type: record.type) {
            let nameAllowed = names.isEmpty || names.contains { $0.matches(record.name) }
            let reason = nameAllowed
                ? (record.type == .ANY ? "deleting every type at a name needs a scope without a type list"
                    : "type \(record.type) is outside the scope (\(typeList))")
                : "name \(record.name.text) is outside the scope (\(nameList))"
            return (record, reason)
        }
        return nil
    }

    var nameList: String { names.isEmpty ? "any name" : names.map(\.description).joined(separator: " ") }
    var typeList: String { types.isEmpty ? "any type" : types.sorted().map(\.description).joined(separator: " ") }

    /// `names _acme-challenge.example.com.; types TXT`, or `any name, any type`.
    public var description: String { "\(nameList); \(typeList)" }
}
