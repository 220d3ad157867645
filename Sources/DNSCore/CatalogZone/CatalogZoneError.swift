/// Why a received catalog zone was refused (RFC 9432 §4, §5). A refused catalog changes nothing: the
/// consumer keeps the zones it has and reports the reason once.
public enum CatalogZoneError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No SOA at the apex.
    case missingSOA(catalog: String)
    /// `version.<catalog>` holds no TXT record (§4.2.1: the consumer must not process such a catalog).
    case missingVersion(catalog: String)
    /// The version is not "2", the only schema this consumer reads (§4.2.1).
    case unsupportedVersion(catalog: String, found: String)
    /// A member node (§4.1) or its `coo` property (§4.4.1) holds more than one PTR record: exactly one.
    case severalPTRs(node: String, count: Int)
    /// Two member nodes name the same zone (§4.1 calls it a broken catalog).
    case duplicateMember(zone: String, ids: [String])
    /// Two members hashed or were written to the same unique id (the builder's side).
    case duplicateID(id: String)
    /// The member's name is the catalog itself, or one of the catalog's own names.
    case memberInsideCatalog(zone: String)
    /// A group property that is not one TXT string (§4.4.2), or a unique id that is not one label.
    case badLabel(node: String, reason: String)
    /// More members than the limit the caller set (a hostile primary sending millions).
    case tooManyMembers(count: Int, limit: Int)

    public var description: String {
        switch self {
        case let .missingSOA(catalog):
            "catalog \(catalog) has no SOA at its apex"
        case let .missingVersion(catalog):
            "catalog \(catalog) has no version.\(catalog) TXT record (RFC 9432 §4.2.1)"
        case let .unsupportedVersion(catalog, found):
            "catalog \(catalog) is schema version \(found); only version 2 (RFC 9432) is read"
        case let .severalPTRs(node, count):
            node.lowercased().hasPrefix("coo.")
                ? "coo property \(node) has \(count) PTR records; RFC 9432 §4.4.1 allows exactly one"
                : "member node \(node) has \(count) PTR records; RFC 9432 §4.1 allows exactly one"
        case let .duplicateMember(zone, ids):
            "zone \(zone) is a member twice (ids \(ids.joined(separator: ", ")))"
        case let .duplicateID(id):
            "two members share the unique id \(id)"
        case let .memberInsideCatalog(zone):
            "member \(zone) is the catalog zone itself or below it"
        case let .badLabel(node, reason):
            "\(node): \(reason)"
        case let .tooManyMembers(count, limit):
            "catalog has \(count) members, more than the limit of \(limit)"
        }
    }
}
