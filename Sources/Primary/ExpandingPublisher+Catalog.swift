import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import Logging

extension ExpandingPublisher {
    /// Publishes the catalog zone of the zones served here (`dns-primary catalog set`) when its
    /// membership changed: a zone is a member once its expansion is published (a consumer told of it can
    /// transfer it at once) until it is deleted. The serial rises only when the membership does.
    ///
    /// Who reads it: every NOTIFY target of any zone is told of it, and it may be transferred by the
    /// daemon's `--allow-transfer` and by every zone's transfer ACL entries — whoever may transfer a
    /// member is a secondary of this primary and needs the list; no separate setting to keep in step.
    func refreshCatalog(now date: Date) {
        let stored: ProducedCatalog?
        do { stored = try store.catalogSetting() } catch {
            logger.error("cannot read the catalog setting", metadata: ["reason": "\(error)"])
            return
        }
        let wanted = stored.flatMap { setting in (try? DomainName(setting.name)).map { (setting, $0) } }
        if let published = publishedCatalog, published.name != wanted?.1 {
            served.remove(published.name)
            publishedCatalog = nil
            routingChanged = true
            CountersignMetrics.catalogWithdrawn(catalog: published.name.text, role: .produced)
            logger.notice("catalog withdrawn", metadata: ["zone": "\(published.name.text)"])
        }
        guard let wanted else { return }
        let (setting, name) = wanted
        let groups = setting.group.map { [$0] } ?? []
        let members = zones.values
            .filter { $0.published != nil && !$0.origin.isSubdomain(of: name) }
            .map { CatalogMember(zone: $0.origin, groups: groups) }
        let catalog: CatalogZone
        do { catalog = try CatalogZone(origin: name, members: members) } catch {
            logger.error("cannot build the catalog", metadata: ["zone": "\(name.text)", "reason": "\(error)"])
            return
        }
        let digest = catalog.membershipDigest
        guard publishedCatalog?.digest != digest else { return }
        do {
            let serial = try store.publishCatalog(name: setting.name, digest: Data(digest), now: date)
            let zone = catalog.zone(serial: SerialNumber(serial))
            try served.publish(zone)
            if publishedCatalog == nil { routingChanged = true }
            publishedCatalog = (name, digest)
            CountersignMetrics.catalogPublished(catalog: name.text, role: .produced, members: catalog.members.count, serial: serial)
            logger.notice("catalog published", metadata: [
                "zone": "\(name.text)", "serial": "\(serial)", "members": "\(catalog.members.count)",
            ])
            notify(zone, targets: catalogNotifyTargets(), name: name.text)
        } catch {
            logger.error("cannot publish the catalog", metadata: ["zone": "\(name.text)", "reason": "\(error)"])
        }
    }

    /// Every zone's NOTIFY targets, each address and port once.
    func catalogNotifyTargets() -> [NotifyTarget] {
        var seen = Set<String>()
        return zones.keys.sorted().flatMap { zones[$0]!.snapshot.notify }.filter { seen.insert("\($0.address)|\($0.port)").inserted }
    }

    /// `--allow-transfer` and every zone's own ACL entries.
    func catalogACL(_ zoneACLs: [DomainName: TransferACL]) -> TransferACL {
        var rules = settings.defaultACL.rules
        for acl in zoneACLs.values { rules += acl.rules.filter { !rules.contains($0) } }
        return TransferACL(rules: rules)
    }
}
