/// Why a transfer was refused, with the numbers an operator needs to judge it. `description` is the
/// sentence for logs and alerts; `guardName` the stable key for metrics labels and alert routing.
public enum TransferRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// No records at all.
    case empty
    /// Only the apex SOA: the primary lost the zone's data (a classic of a failed zone reload).
    case soaOnly
    /// No NS RRset at the apex: the zone could not be delegated to, and `Zone.check()` would fail it.
    case missingApexNS
    /// `Zone.check()` errors (CNAME beside data, DS at the apex, records out of zone, …).
    case checksFailed([ZoneProblem])
    /// More records than `maxRecords`.
    case tooLarge(records: Int, limit: Int)
    /// One name owns more RRsets than `maxRRsetsPerName`.
    case nameTooLarge(name: DomainName, rrsets: Int, limit: Int)
    /// One RRset holds more records than `maxRecordsPerRRset`.
    case rrsetTooLarge(name: DomainName, type: RecordType, records: Int, limit: Int)
    /// Fewer RRsets than the shrink limit allows, compared with the current copy.
    case shrank(fromRRsets: Int, toRRsets: Int, limit: Double)
    /// More than `factor` times the current copy's RRsets and more than `minimum` RRsets added: a
    /// runaway generator or a wrong zone, not an edit.
    case grew(fromRRsets: Int, toRRsets: Int, factor: Double, minimum: Int)
    /// The new serial is lower than ours in RFC 1982 arithmetic (or exactly 2^31 away, where the order is
    /// undefined).
    case serialDecreased(from: SerialNumber, to: SerialNumber)
    /// ALIAS records reached the signer: the primary did not expand them, and signing them would publish
    /// a private type.
    case unexpandedAlias([DomainName])

    /// Stable short name, used as a metrics label and in alerts (`guard=shrink`).
    public var guardName: String {
        switch self {
        case .empty: "empty"
        case .soaOnly: "soa-only"
        case .missingApexNS: "missing-apex-ns"
        case .checksFailed: "checks"
        case .tooLarge: "too-large"
        case .nameTooLarge: "name-too-large"
        case .rrsetTooLarge: "rrset-too-large"
        case .shrank: "shrink"
        case .grew: "growth"
        case .serialDecreased: "serial-decrease"
        case .unexpandedAlias: "alias"
        }
    }

    /// Every guard name, for declaring metrics up front.
    public static let guardNames = [
        "empty", "soa-only", "missing-apex-ns", "checks", "too-large", "name-too-large", "rrset-too-large",
        "shrink", "growth", "serial-decrease", "alias",
    ]

    /// The names of the guards `isOverridable` holds for, in the order they are checked.
    public static let overridableGuardNames = ["serial-decrease", "shrink", "growth"]

    /// Whether `zone accept-next` lets the next such transfer through: the policy guards, which judge a
    /// zone that is well formed but differs from ours more than expected (the operator can check it and
    /// say "take it"). A broken, oversized or unexpanded zone stays refused whatever the operator says.
    public var isOverridable: Bool {
        switch self {
        case .shrank, .grew, .serialDecreased: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .empty:
            return "the transfer holds no records"
        case .soaOnly:
            return "the transfer holds only the SOA record; the primary seems to have lost the zone's data"
        case .missingApexNS:
            return "the transfer has no NS records at the apex"
        case .checksFailed(let errors):
            let shown = errors.prefix(5).map(\.description).joined(separator: "; ")
            let more = errors.count > 5 ? "; and \(errors.count - 5) more" : ""
            return "the zone fails \(errors.count) semantic check(s): \(shown)\(more)"
        case let .tooLarge(records, limit):
            return "the transfer holds \(records) records, over the limit of \(limit)"
        case let .nameTooLarge(name, rrsets, limit):
            return "\(name.text) owns \(rrsets) RRsets, over the limit of \(limit) per name"
        case let .rrsetTooLarge(name, type, records, limit):
            return "the \(type) RRset at \(name.text) holds \(records) records, over the limit of \(limit) per RRset"
        case let .shrank(from, to, limit):
            let lost = from > 0 ? Double(from - to) / Double(from) : 0
            return "the zone shrank from \(from) to \(to) RRsets (\(Self.percent(lost)) lost, more than the "
                + "\(Self.percent(limit)) allowed); if this is intended, run `dns-signer zone accept-next`"
        case let .grew(from, to, factor, minimum):
            let times = from > 0 ? Double(to) / Double(from) : Double(to)
            return "the zone grew from \(from) to \(to) RRsets (\(Self.factor(times)) times its size, \(to - from) RRsets added; "
                + "refused above \(Self.factor(factor)) times and \(minimum) RRsets added); "
                + "if this is intended, run `dns-signer zone accept-next`"
        case let .serialDecreased(from, to):
            let relation = to < from ? "is lower than" : "cannot be compared with (2^31 apart, RFC 1982)"
            return "the primary's serial \(to) \(relation) ours, \(from); if the primary was restored or reset on "
                + "purpose, run `dns-signer zone accept-next` to take it once"
        case .unexpandedAlias(let owners):
            let shown = owners.prefix(5).map(\.text).joined(separator: ", ")
            let more = owners.count > 5 ? " and \(owners.count - 5) more" : ""
            return "ALIAS records at \(shown)\(more) were not expanded by the primary; "
                + "signing them would publish a private type"
        }
    }

    /// `235`, `10.5`: at most one decimal, none when whole.
    static func factor(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        let whole = Int(tenths / 10)
        let decimal = Int(tenths) % 10
        return decimal == 0 ? "\(whole)" : "\(whole).\(decimal)"
    }

    /// `50 %`, `12.5 %`: at most one decimal, none when whole.
    static func percent(_ fraction: Double) -> String {
        let tenths = (fraction * 1000).rounded()
        let whole = Int(tenths / 10)
        let decimal = Int(tenths) % 10
        return decimal == 0 ? "\(whole) %" : "\(whole).\(decimal) %"
    }
}
