import DNSCore

/// Why the store refused an operation. It names the zone and the record involved, when there is one, so
/// the CLI can print it as is; a refused edit has changed nothing.
struct StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    enum Kind: String, Sendable, Equatable {
        /// The zone is not in the store.
        case unknownZone
        /// `createZone` of a zone that exists.
        case zoneExists
        /// A name (owner, zone, key, target) that does not parse.
        case invalidName
        /// A record whose type, TTL or RDATA does not parse.
        case invalidRecord
        /// A zone file that does not parse.
        case invalidZoneFile
        /// The zone after the edit fails DNSCore's semantic checks (CNAME conflict, second ALIAS, ...).
        case zoneCheckFailed
        /// A delete or lookup that matched nothing.
        case notFound
        /// An add of something already there (TSIG key, ACL entry, NOTIFY target).
        case duplicate
        /// Any other bad argument (policy name, address, secret).
        case invalidArgument
        /// The stored data could not be read back (a record that no longer parses).
        case corrupt
    }

    var kind: Kind
    var zone: String?
    /// The record (or key, ACL entry, target) in presentation form.
    var record: String?
    var reason: String

    init(_ kind: Kind, zone: String? = nil, record: String? = nil, reason: String) {
        self.kind = kind
        self.zone = zone
        self.record = record
        self.reason = reason
    }

    var description: String {
        var parts: [String] = []
        if let zone { parts.append("zone \(zone)") }
        if let record { parts.append("record '\(record)'") }
        parts.append(reason)
        return parts.joined(separator: ": ")
    }
}
