import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import Logging

/// Follows one primary's catalog zone (`dns-signer catalog follow`): transfers it every poll interval
/// and at once on NOTIFY, reads it (`CatalogZone(parsing:)`) and, when it is valid, applies its
/// membership in one transaction (`SignerStore.applyCatalog`); the daemon then starts and stops the
/// zones' workers as for any configuration change. A catalog that cannot be transferred or read
/// changes nothing and is reported once per distinct reason.
actor CatalogFollower {
    let followed: FollowedCatalog
    let store: SignerStore
    let transfers: AXFRClient
    let logger: Logger
    let wakeup = WakeupSignal()
    /// The content last applied: an unchanged catalog is not applied again.
    private var appliedHash: [UInt8]?

    init(_ followed: FollowedCatalog, store: SignerStore, transfers: AXFRClient, logger: Logger) {
        self.followed = followed
        self.store = store
        self.transfers = transfers
        self.logger = logger
    }

    func run() async {
        CountersignMetrics.declareCatalogRefusals(catalog: followed.name)
        while !Task.isCancelled {
            await poll()
            await wakeup.wait(seconds: Double(followed.pollSeconds))
        }
    }

    func poll() async {
        let name = followed.name
        do {
            let origin = try DomainName(name)
            let key = try followed.key.flatMap { try store.tsigKey(named: $0) }
            var failures: [String] = []
            var received: TransferResult?
            for text in followed.primaries {
                do {
                    let primary = try ListenAddress(parsing: text, defaultPort: 53)
                    received = try await transfers.transfer(zone: origin, from: primary, tsigKey: key, timeout: .seconds(60))
                    break
                } catch {
                    failures.append("\(text): \(error)")
                }
            }
            guard let received else {
                return refuse("cannot transfer the catalog: \(failures.joined(separator: "; "))")
            }
            if received.contentHash == appliedHash { return }
            let catalog: CatalogZone
            do {
                catalog = try CatalogZone(parsing: Zone(records: received.records, origin: origin))
            } catch {
                return refuse(error.description)  // CatalogZoneError: parsing throws nothing else
            }
            let plan = try store.applyCatalog(followed, catalog: catalog, serial: received.soa.serial.rawValue)
            appliedHash = received.contentHash
            CountersignMetrics.catalogPublished(catalog: name, role: .followed, members: catalog.members.count,
                                                serial: received.soa.serial.rawValue)
            logger.notice("catalog applied", metadata: [
                "zone": "\(name)", "serial": "\(received.soa.serial)", "members": "\(catalog.members.count)",
                "added": "\(plan.add.count)", "resumed": "\(plan.resume.count)", "parked": "\(plan.park.count)",
                "left_alone": "\(plan.leftAlone.map(\.text).joined(separator: ","))",
                "reset": "\(plan.reset.map(\.text).joined(separator: ","))",
                "taken_over": "\(plan.takeOver.map(\.text).joined(separator: ","))",
            ])
            for zone in plan.reset {
                logger.notice("catalog member reset: its unique id changed (RFC 9432 §5.4); transferred afresh, keys kept",
                              metadata: ["zone": "\(zone.text)", "catalog": "\(name)"])
            }
        } catch {
            refuse("\(error)")
        }
    }

    private func refuse(_ reason: String) {
        appliedHash = nil
        CountersignMetrics.catalogRefused(catalog: followed.name)
        logger.warning("catalog refused", metadata: ["zone": "\(followed.name)", "reason": "\(reason)"])
        do {
            if try store.recordCatalogRefusal(followed, reason: reason) { store.outboxSignal.eventsCommitted() }
        } catch {
            logger.error("cannot record the catalog refusal", metadata: ["zone": "\(followed.name)", "reason": "\(error)"])
        }
    }
}
