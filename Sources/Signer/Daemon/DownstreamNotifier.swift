import DNSCore
import DNSEdge
import Logging

/// Tells a zone's downstream secondaries (NSD, Knot, BIND, …) that a new signed version is served.
/// The targets are read from the store at each announcement, so `zone downstream add` takes effect
/// without a restart.
struct DownstreamNotifier: Sendable {
    let sender: NotifySender
    let targets: @Sendable (DomainName) -> [NotifySender.Target]
    let logger: Logger

    func announce(_ zone: DomainName, soa: ResourceRecord?) async {
        let targets = targets(zone)
        guard !targets.isEmpty else { return }
        do {
            let outcomes = try await sender.notify(zone: zone, soa: soa, targets: targets)
            logger.info("downstream notified", metadata: ["zone": "\(zone.text)", "outcomes": "\(outcomes)"])
        } catch {
            logger.warning("downstream NOTIFY failed", metadata: ["zone": "\(zone.text)", "reason": "\(error)"])
        }
    }
}
