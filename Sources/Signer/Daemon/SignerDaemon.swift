import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import Logging
import NIOCore
import NIOPosix

/// The signing secondary: one `ZoneWorker` per zone in the store, one DNS server answering for all of
/// them, NOTIFY in from the primaries and out to the downstream secondaries.
///
/// It reads the store's configuration version every second, so a zone added, changed or removed with
/// the CLI (and `zone refresh`) takes effect without a restart: then it reads every zone's version (one
/// small query) and the full settings of the zones whose version moved only, so one zone changed among
/// ten thousand costs one row. The router is rebuilt then too (TSIG keys, downstream ACLs, one query
/// each) and swapped under the running listeners.
actor SignerDaemon {
    let store: SignerStore
    let served: ServedZones
    let handler: SwappableRequestHandler
    let logger: Logger
    let now: @Sendable () -> Int64
    private let transfers: AXFRClient
    let downstream: DownstreamNotifier
    private var receiver: NotifyReceiver!
    var workers: [DomainName: (worker: ZoneWorker, loop: Task<Void, Never>)] = [:]
    private var configVersion: Int64?
    /// The settings version each running worker was last given, by zone name as stored.
    private var runningVersions: [String: SignerStore.ZoneVersion] = [:]
    /// The catalog zone served now (`catalog set`): its name and membership digest.
    var publishedCatalog: (name: DomainName, digest: [UInt8])?
    /// The members, each with its groups, the published catalog was built from: an unchanged list is not
    /// built again.
    var catalogInput: [DomainName: [String]]?
    /// Each zone's own catalog group (`zone set --catalog-group`), kept from the settings the workers run.
    var catalogGroups: [DomainName: String] = [:]
    /// The catalogs followed (`catalog follow`), each polled by its own loop.
    private var followers: [DomainName: (follower: CatalogFollower, loop: Task<Void, Never>, settings: FollowedCatalog)] = [:]
    /// The static zones of `--zone-file` (served as given, never polled) and who may transfer them.
    private let staticZones: Set<DomainName>
    private var staticACL: TransferACL = .loopbackOnly
    /// Asks the parents' servers for our DS during KSK rollovers, validated through `--parent-resolver`.
    private let parentProbe: ParentDSProbe
    /// Unchanged polls' times, written together (`flushPollTimes`).
    private let pollTimes = PollTimes()
    /// The first polls of zones loaded together, a few at a time (see `apply`).
    private let firstPolls = ConcurrencyGate(width: max(4, 4 * ProcessInfo.processInfo.activeProcessorCount))
    /// Runs the serial-only polls of sleeping zones on one event loop (ZoneWorker+Parking).
    private let serialPoller: SerialPoller

    init(store: SignerStore, served: ServedZones, logger: Logger, group: any EventLoopGroup,
         staticZones: Set<DomainName> = [], parentResolvers: [ListenAddress] = [],
         now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        parentProbe = ParentDSProbe(resolvers: parentResolvers, client: DNSQueryClient(timeout: .seconds(2)))
        self.store = store
        self.served = served
        self.logger = logger
        self.now = now
        self.staticZones = staticZones
        serialPoller = SerialPoller(exchanger: ZoneWorker.soaExchanger, now: now)
        transfers = AXFRClient(group: group)
        let sender = NotifySender(group: group, logger: logger)
        downstream = DownstreamNotifier(sender: sender, targets: { [store, logger] zone in
            do {
                // The zone's own secondaries and the catalog's fleet, which serves every zone (and the
                // catalog itself, which has no targets of its own).
                let fleet = try store.catalogSettings().downstream
                let own = (try? store.notifyTargets(zone: zone.text)) ?? []
                var seen = Set<String>()
                return try (own + fleet).filter { seen.insert("\($0.address)|\($0.port)").inserted }.compactMap { target -> NotifySender.Target? in
                    guard let peer = PeerAddress(ListenAddress(host: target.address, port: target.port)) else { return nil }
                    return NotifySender.Target(address: peer, key: try target.key.flatMap { try store.tsigKey(named: $0) })
                }
            } catch {
                logger.error("cannot read the downstream NOTIFY targets", metadata: ["zone": "\(zone.text)", "reason": "\(error)"])
                return []
            }
        }, logger: logger)
        handler = SwappableRequestHandler(DNSRequestRouter(served: served, logger: logger))
    }

    /// Loads every stored zone and serves its last published version; the zones' first polls follow in
    /// their loops, after this returns (the listeners need not wait for them).
    func start() async throws {
        receiver = NotifyReceiver(zones: [:], logger: logger) { [weak self] zone, serial in
            await self?.notified(zone, serial: serial)
        }
        try await reload()
    }

    func setStaticACL(_ acl: TransferACL) throws {
        staticACL = acl
        handler.replace(with: try router())
    }

    func stop() {
        for (_, entry) in workers { entry.loop.cancel(); entry.worker.wakeup.wake() }
        workers.removeAll()
        for (_, entry) in followers { entry.loop.cancel(); entry.follower.wakeup.wake() }
        followers.removeAll()
        flushPollTimes()
    }

    /// Writes the unchanged polls' times noted since the last flush, in one transaction. Off the actor:
    /// ten thousand zones' times take tens of milliseconds to write, and a NOTIFY passes through the actor.
    nonisolated func flushPollTimes() {
        do {
            try pollTimes.flush(store.recordPollTimes)
        } catch {
            logger.error("cannot record the poll times", metadata: ["reason": "\(error)"])
        }
    }

    /// Re-reads the configuration when it changed; passes `zone refresh` requests on.
    func reload() async throws {
        // One cheap read a second; the zones' versions only when an operator changed something (`zone
        // refresh` raises the version too), and the rows of the zones whose version moved.
        let version = try store.configVersion()
        guard version != configVersion else { return await refreshCatalog() }
        let versions = try store.zoneVersions()
        let moved = versions.filter { runningVersions[$0.key] != $0.value }.map(\.key)
        let changed = try store.storedZones(named: moved).map(\.config)
        // Removed and added again under the same name, or reset by its catalog: a new zone, not new
        // settings for the old one.
        let replaced = Set(versions.filter { name, now in runningVersions[name].map { $0.isReplaced(by: now) } ?? false }.map(\.key))
        try await apply(keeping: Set(versions.keys).subtracting(replaced), changed: changed)
        configVersion = version
        runningVersions = versions
        try applyFollowed(try store.followedCatalogs())
        await refreshCatalog()
        for config in changed where config.refreshRequested {
            if let entry = workers[config.origin] {
                Task { await entry.worker.notified() }
            }
        }
    }

    /// Stops the workers of zones not in `kept` (names as stored), gives `changed` settings to the running
    /// workers and starts workers for the zones among them that have none.
    private func apply(keeping kept: Set<String>, changed configs: [SignerZoneConfig]) async throws {
        let wanted = Dictionary(configs.map { ($0.origin, $0) }, uniquingKeysWith: { first, _ in first })
        for (origin, entry) in workers where !kept.contains(origin.text) {
            entry.loop.cancel()
            entry.worker.wakeup.wake()  // its loop ends now, not at its next deadline (up to an hour away)
            workers[origin] = nil
            catalogGroups[origin] = nil
            if !staticZones.contains(origin) { served.remove(origin) }
            receiver.setPolicy(nil, for: origin)
            logger.notice("zone removed", metadata: ["zone": "\(origin.text)"])
        }
        var fresh: [(config: SignerZoneConfig, worker: ZoneWorker)] = []
        for (origin, config) in wanted {
            catalogGroups[origin] = config.catalogGroup
            receiver.setPolicy(try notifyPolicy(config), for: origin)
            if let entry = workers[origin] {
                await entry.worker.update(config)
                continue
            }
            fresh.append((config, ZoneWorker(config: config, store: store, served: served, transfers: transfers,
                                              downstream: downstream, logger: logger, parentProbe: parentProbe,
                                              pollTimes: pollTimes, poller: serialPoller, now: now)))
        }
        // New zones are loaded (their stored versions served) all at once; their first polls (a transfer,
        // new keys and a full signing for a new zone) then run a few at a time through `firstPolls`, in
        // each zone's own loop, so the listeners start without waiting for thousands of transfers.
        for entry in fresh {
            await entry.worker.start()
            register(entry.config, entry.worker, loop: loop(for: entry.worker))
        }
        handler.replace(with: try router())
    }

    private func register(_ config: SignerZoneConfig, _ worker: ZoneWorker, loop: Task<Void, Never>) {
        workers[config.origin] = (worker, loop)
        logger.info("zone added", metadata: [
            "zone": "\(config.origin.text)",
            "primaries": "\(config.primaries.map(\.description).joined(separator: ", "))",
        ])
    }

    /// A zone's loop: its first poll when `firstPolls` has a place, then a tick at each of its deadlines
    /// (or wake-up). A signer with nothing to do does nothing, however many zones it holds.
    private func loop(for worker: ZoneWorker) -> Task<Void, Never> {
        Task { [firstPolls] in
            // A zone removed while it waited for its place is not polled (its poll would serve it again).
            await firstPolls.run { if !Task.isCancelled { await Self.tick(worker) } }
            while !Task.isCancelled {
                await worker.wakeup.wait(seconds: await worker.secondsToSleep())
                if Task.isCancelled { break }
                await Self.tick(worker)
            }
            await worker.leavePoller()
        }
    }

    /// One tick in a child task that ends with it: a task keeps the stack slabs its deepest call needed
    /// until it ends, so ticking in the long-lived loop itself kept a transfer-and-sign stack (about
    /// 18 KiB) for every zone between its polls.
    private static func tick(_ worker: ZoneWorker) async {
        async let tick: Void = worker.tick()
        await tick
    }

    /// Queries, transfers to downstream secondaries (per-zone ACLs, loopback by default), NOTIFY from
    /// the primaries; TSIG with every key in the store.
    private func router() throws -> DNSRequestRouter {
        var zoneACLs = try store.downstreamACLs()
        for origin in staticZones where zoneACLs[origin] == nil { zoneACLs[origin] = staticACL }
        // The catalog's fleet may transfer every zone served here, and the catalog itself.
        let catalog = try store.catalogSettings()
        let fleet = SignerStore.fleetACLRules(catalog.downstream)
        if !fleet.isEmpty {
            for origin in workers.keys {
                let own = zoneACLs[origin]?.rules ?? []
                zoneACLs[origin] = TransferACL(rules: own + fleet.filter { !own.contains($0) })
            }
            if let name = catalog.catalog.flatMap({ try? DomainName($0.name) }) { zoneACLs[name] = TransferACL(rules: fleet) }
        }
        let transfers = ZoneTransferResponder(zones: served, journal: SignerJournalSource(store: store), acl: .loopbackOnly,
                                              zoneACLs: zoneACLs, logger: logger)
        return DNSRequestRouter(served: served, transfers: transfers, notifies: receiver,
                                tsig: TSIGVerifier(keys: try store.tsigKeys().compactMap { try store.tsigKey(named: $0.name) }), logger: logger)
    }

    private func notifyPolicy(_ config: SignerZoneConfig) throws -> NotifyReceiver.ZonePolicy {
        let allowed = config.primaries.compactMap { PeerAddress($0).map { IPAddressPrefix(address: $0.ip, length: $0.ip.bytes.count * 8) } }
        return NotifyReceiver.ZonePolicy(allowed: allowed, key: try config.tsigKeyName.map { try DomainName($0) })
    }

    private func notified(_ zone: DomainName, serial: SerialNumber?) async {
        if let entry = followers[zone] { return entry.follower.wakeup.wake() }
        guard let entry = workers[zone] else { return }
        await entry.worker.notified(serial: serial)
    }

    func worker(_ zone: DomainName) -> ZoneWorker? { workers[zone]?.worker }

    /// Every zone's health, for `/healthz`.
    func health(since: Int64) async -> HealthReport {
        var inputs: [ZoneHealthInput] = []
        for (_, entry) in workers { inputs.append(await entry.worker.healthInput(since: since)) }
        return HealthReport.evaluate(zones: inputs, now: now())
    }
    var zoneNames: [DomainName] { Array(workers.keys) }

    /// Starts a loop per followed catalog, stops those no longer followed, restarts those whose settings
    /// changed; NOTIFY for a catalog is taken from its primaries (with its key) and wakes its loop.
    private func applyFollowed(_ catalogs: [FollowedCatalog]) throws {
        var wanted: [DomainName: FollowedCatalog] = [:]
        for catalog in catalogs { if let name = try? DomainName(catalog.name) { wanted[name] = catalog } }
        for (name, entry) in followers where wanted[name].map({ Self.sameSource($0, entry.settings) }) != true {
            entry.loop.cancel()
            entry.follower.wakeup.wake()
            followers[name] = nil
            if workers[name] == nil { receiver.setPolicy(nil, for: name) }
            if wanted[name] == nil { CountersignMetrics.catalogWithdrawn(catalog: name.text, role: .followed) }
        }
        for (name, catalog) in wanted where followers[name] == nil {
            let follower = CatalogFollower(catalog, store: store, transfers: transfers, logger: logger)
            let primaries = catalog.primaries.compactMap { try? ListenAddress(parsing: $0, defaultPort: 53) }
            let allowed = primaries.compactMap { PeerAddress($0).map { IPAddressPrefix(address: $0.ip, length: $0.ip.bytes.count * 8) } }
            receiver.setPolicy(NotifyReceiver.ZonePolicy(allowed: allowed, key: try catalog.key.map { try DomainName($0) }), for: name)
            followers[name] = (follower, Task { await follower.run() }, catalog)
            logger.info("catalog followed", metadata: ["zone": "\(name.text)", "primaries": "\(catalog.primaries.joined(separator: ", "))"])
        }
    }

    /// Whether a follower's settings are unchanged (its serial and last result are its own bookkeeping).
    private static func sameSource(_ a: FollowedCatalog, _ b: FollowedCatalog) -> Bool {
        a.id == b.id && a.primaries == b.primaries && a.key == b.key && a.pollSeconds == b.pollSeconds
    }
}
