/// Why the signer's store refused an operation. It names the zone and the field or item involved, so the
/// CLI can print it as is; a refused change has changed nothing.
struct SignerStoreError: Error, Equatable, Sendable, CustomStringConvertible {
    enum Kind: String, Sendable, Equatable {
        /// The zone is not in the store.
        case unknownZone
        /// `zone add` of a zone that exists.
        case zoneExists
        /// A name (zone, key) that does not parse.
        case invalidName
        /// Any other bad setting (address, duration, algorithm, fraction, secret).
        case invalidArgument
        /// A delete or lookup that matched nothing.
        case notFound
        /// An add of something already there (TSIG key, downstream entry, key tag).
        case duplicate
        /// A delete refused because something still uses the item (a TSIG key named by a zone).
        case inUse
        /// A publish whose zones do not belong to the zone named.
        case mismatch
        /// The stored data could not be read back.
        case corrupt
        /// A version prepared for a zone that was reset since (catalog member reset): not written.
        case superseded
    }

    var kind: Kind
    var zone: String?
    /// The setting or item involved, as the operator wrote it (`--primary 192.0.2.1:99999`, `key tsig1.`).
    var field: String?
    var reason: String

    init(_ kind: Kind, zone: String? = nil, field: String? = nil, reason: String) {
        self.kind = kind
        self.zone = zone
        self.field = field
        self.reason = reason
    }

    var description: String {
        var parts: [String] = []
        if let zone { parts.append("zone \(zone)") }
        if let field { parts.append(field) }
        parts.append(reason)
        return parts.joined(separator: ": ")
    }
}
