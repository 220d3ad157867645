import Metrics

/// Catalog zones (RFC 9432, issue 15): the catalog a daemon produces of its zones and the catalogs the
/// signer follows. `catalog` is the catalog zone's absolute lowercased name, as `zone` is elsewhere; a
/// catalog is not a zone of the daemon's, so it gets a label of its own and never shows among the
/// zones' series.
extension CountersignMetrics {
    package enum CatalogName {
        package static let members = "countersign_catalog_members"
        package static let serial = "countersign_catalog_serial"
        package static let refusals = "countersign_catalog_refusals_total"
    }

    /// Which side of a catalog a series describes.
    package enum CatalogRole: String, Sendable, CaseIterable {
        /// Built and served by this daemon (`catalog set`).
        case produced
        /// Transferred from a primary and applied (`dns-signer catalog follow`).
        case followed
    }

    /// A catalog was published (produced) or applied (followed) with `members` members at `serial`.
    package static func catalogPublished(catalog: String, role: CatalogRole, members: Int, serial: UInt32) {
        Gauge(label: CatalogName.members, dimensions: [("catalog", catalog), ("role", role.rawValue)]).record(Double(members))
        Gauge(label: CatalogName.serial, dimensions: [("catalog", catalog), ("role", role.rawValue)]).record(Double(serial))
    }

    /// A catalog is no longer produced or followed: its gauges go, as a removed zone's do.
    package static func catalogWithdrawn(catalog: String, role: CatalogRole) {
        Gauge(label: CatalogName.members, dimensions: [("catalog", catalog), ("role", role.rawValue)]).destroy()
        Gauge(label: CatalogName.serial, dimensions: [("catalog", catalog), ("role", role.rawValue)]).destroy()
    }

    /// A followed catalog could not be transferred or was refused (nothing changed). Counted at every
    /// poll that fails, not once per reason as the operator event is: the rate says how long it lasts.
    package static func catalogRefused(catalog: String) {
        Counter(label: CatalogName.refusals, dimensions: [("catalog", catalog)]).increment()
    }

    /// Creates a followed catalog's refusal counter at 0 (its follower does, at start), so an alert on
    /// its rate has a series to watch.
    package static func declareCatalogRefusals(catalog: String) {
        _ = Counter(label: CatalogName.refusals, dimensions: [("catalog", catalog)])
    }
}
