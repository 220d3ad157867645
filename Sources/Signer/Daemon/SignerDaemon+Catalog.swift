import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import Logging

extension SignerDaemon {
    /// Publishes the catalog zone of the zones served here (`dns-signer catalog set`), when its
    /// membership changed: a zone is a member from its first published signed version until it is
    /// removed, so a fleet secondary told of it can transfer it at once. The serial rises only when the
    /// membership does, and the fleet is told by NOTIFY. Runs every second with the store check.
    func refreshCatalog() async {
        let settings: CatalogSettings
        do {
            settings = try store.catalogSettings()
        } catch {
            logger.error("cannot read the catalog setting", metadata: ["reason": "\(error)"])
            return
        }
        let wanted = settings.catalog.flatMap { produced in (try? DomainName(produced.name)).map { (produced, $0) } }
        if let published = publishedCatalog, published.name != wanted?.1 {
            served.remove(published.name)
            publishedCatalog = nil
            catalogInput = nil
            CountersignMetrics.catalogWithdrawn(catalog: published.name.text, role: .produced)
            logger.notice("catalog withdrawn", metadata: ["zone": "\(published.name.text)"])
        }
        guard let wanted else { return }
        let (produced, name) = wanted
        let catalogWide = produced.group.map { [$0] } ?? []
        // A zone's own group (`zone set --catalog-group`) wins over the catalog's (`catalog set --group`).
        var input: [DomainName: [String]] = [:]
        for origin in workers.keys where !origin.isSubdomain(of: name) && served.serial(of: origin) != nil {
            input[origin] = catalogGroups[origin].map { [$0] } ?? catalogWide
        }
        // Every second: building the catalog (a hash per member) only when its input changed keeps a
        // signer of ten thousand zones idle at rest.
        if publishedCatalog?.name == name, catalogInput == input { return }
        let catalog: CatalogZone
        do {
            catalog = try CatalogZone(origin: name, members: input.map { CatalogMember(zone: $0.key, groups: $0.value) })
        } catch {
            logger.error("cannot build the catalog", metadata: ["zone": "\(name.text)", "reason": "\(error)"])
            return
        }
        let digest = catalog.membershipDigest
        guard publishedCatalog?.digest != digest else {
            catalogInput = input
            return
        }
        do {
            let serial = try store.publishCatalog(name: produced.name, digest: Data(digest),
                                                  now: Date(timeIntervalSince1970: TimeInterval(now())))
            let zone = catalog.zone(serial: SerialNumber(serial))
            try served.publish(zone)
            publishedCatalog = (name, digest)
            catalogInput = input
            CountersignMetrics.catalogPublished(catalog: name.text, role: .produced, members: catalog.members.count, serial: serial)
            logger.notice("catalog published", metadata: [
                "zone": "\(name.text)", "serial": "\(serial)", "members": "\(catalog.members.count)",
            ])
            let soa = zone.rrset(at: name, type: .SOA)?.records.first
            let downstream = downstream
            Task { await downstream.announce(name, soa: soa) }
        } catch {
            logger.error("cannot publish the catalog", metadata: ["zone": "\(name.text)", "reason": "\(error)"])
        }
    }
}
