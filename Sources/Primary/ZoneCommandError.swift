/// Why a zone command other than a store edit stopped (`zone edit`, `zone export --expanded`): the zone
/// and the reason, printed as `zone example.com.: reason`. The store's own refusals stay `StoreError`.
struct ZoneCommandError: Error, Equatable, Sendable, CustomStringConvertible {
    var zone: String
    var reason: String

    var description: String { "zone \(zone): \(reason)" }
}
