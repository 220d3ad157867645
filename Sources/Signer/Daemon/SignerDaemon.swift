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
    private let downstream: DownstreamNotifier
    private var receiver: NotifyReceiver!
    private var workers: [DomainName: (worker: ZoneWorker, loop: Task<Void, Never>)] = [:]
    private var configVersion: Int64?
    /// The settings version each running worker was last given, by zone name as stored.
    private var runningVersions: [String: SignerStore.ZoneVersion] = [:]
    /// The static zones of `--zone-file` (served as given, never polled) and who may transfer them.
    private let staticZones: Set<DomainName>
    private var staticACL: TransferACL = .loopbackOnly
    /// Asks the parents' servers for our DS during KSK rollovers, validated through `--parent-resolver`.
    private let parentProbe: ParentDSProbe
    /// Unchanged polls' times, written together (`flushPollTimes`).
    private let pollTimes = PollTimes()

    init(store: SignerStore, served: ServedZones, logger: Logger, group: any EventLoopGroup,
         staticZones: Set<DomainName> = [], parentResolvers: [ListenAddress] = [],
         now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        parentProbe = ParentDSProbe(resolvers: parentResolvers, client: DNSQueryClient(timeout: .seconds(2)))
        self.store = store
        self.served = served
        self.logger = logger
        self.now = now
        self.staticZones = staticZones
        transfers = AXFRClient(group: group)
        let sender = NotifySender(group: group, logger: logger)
        downstream = DownstreamNotifier(sender: sender, targets: { [store, logger] zone in
            do {
                return try store.notifyTargets(zone: zone.text).compactMap { target -> NotifySender.Target? in
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

    /// Loads every stored zone and serves its last published version, before anything is polled.
    func start() async throws {
        receiver = NotifyReceiver(zones: [:], logger: logger) { [weak self] zone in
            await self?.notified(zone)
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
        flushPollTimes()
    }

    /// Writes the unchanged polls' times noted since the last flush, in one transaction.
    func flushPollTimes() {
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
        guard version != configVersion else { return }
        let versions = try store.zoneVersions()
        let moved = versions.filter { runningVersions[$0.key] != $0.value }.map(\.key)
        let changed = try store.storedZones(named: moved).map(\.config)
        // Removed and added again under the same name: a new zone, not new settings for the old one.
        let replaced = Set(versions.filter { name, now in runningVersions[name].map { $0.id != now.id } ?? false }.map(\.key))
        try await apply(keeping: Set(versions.keys).subtracting(replaced), changed: changed)
        configVersion = version
        runningVersions = versions
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
            if !staticZones.contains(origin) { served.remove(origin) }
            receiver.setPolicy(nil, for: origin)
            logger.notice("zone removed", metadata: ["zone": "\(origin.text)"])
        }
        var fresh: [(config: SignerZoneConfig, worker: ZoneWorker)] = []
        for (origin, config) in wanted {
            receiver.setPolicy(try notifyPolicy(config), for: origin)
            if let entry = workers[origin] {
                await entry.worker.update(config)
                continue
            }
            fresh.append((config, ZoneWorker(config: config, store: store, served: served, transfers: transfers,
                                              downstream: downstream, logger: logger, parentProbe: parentProbe,
                                              pollTimes: pollTimes, now: now)))
        }
        // New zones start (stored version served, first poll and signing) a few at a time, so the first
        // signing of thousands of zones uses every core and overlaps their transfers and commits. Each
        // zone's loop begins as soon as its start is done: were the loops started only after the last
        // zone, every zone's next poll would have passed by then and ten thousand polls would go out at
        // once (a storm of SOA queries, timeouts, then transfers).
        let width = max(2, 2 * ProcessInfo.processInfo.activeProcessorCount)
        await withTaskGroup(of: (SignerZoneConfig, ZoneWorker, Task<Void, Never>).self) { group in
            for (index, entry) in fresh.enumerated() {
                if index >= width, let done = await group.next() { register(done) }
                group.addTask {
                    await entry.worker.start()
                    // Each zone sleeps until its own next deadline (or a wake-up): a signer with nothing to
                    // do does nothing, however many zones it holds.
                    let worker = entry.worker
                    let loop = Task {
                        while !Task.isCancelled {
                            await worker.tick()
                            await worker.wakeup.wait(seconds: await worker.secondsToNextDeadline())
                        }
                    }
                    return (entry.config, worker, loop)
                }
            }
            for await done in group { register(done) }
        }
        handler.replace(with: try router())
    }

    private func register(_ started: (config: SignerZoneConfig, worker: ZoneWorker, loop: Task<Void, Never>)) {
        workers[started.config.origin] = (started.worker, started.loop)
        logger.info("zone added", metadata: [
            "zone": "\(started.config.origin.text)",
            "primaries": "\(started.config.primaries.map(\.description).joined(separator: ", "))",
        ])
    }

    /// Queries, transfers to downstream secondaries (per-zone ACLs, loopback by default), NOTIFY from
    /// the primaries; TSIG with every key in the store.
    private func router() throws -> DNSRequestRouter {
        var zoneACLs = try store.downstreamACLs()
        for origin in staticZones where zoneACLs[origin] == nil { zoneACLs[origin] = staticACL }
        let transfers = ZoneTransferResponder(zones: served, journal: SignerJournalSource(store: store), acl: .loopbackOnly,
                                              zoneACLs: zoneACLs, logger: logger)
        return DNSRequestRouter(served: served, transfers: transfers, notifies: receiver,
                                tsig: TSIGVerifier(keys: try store.tsigKeys().compactMap { try store.tsigKey(named: $0.name) }), logger: logger)
    }

    private func notifyPolicy(_ config: SignerZoneConfig) throws -> NotifyReceiver.ZonePolicy {
        let allowed = config.primaries.compactMap { PeerAddress($0).map { IPAddressPrefix(address: $0.ip, length: $0.ip.bytes.count * 8) } }
        return NotifyReceiver.ZonePolicy(allowed: allowed, key: try config.tsigKeyName.map { try DomainName($0) })
    }

    private func notified(_ zone: DomainName) async {
        guard let entry = workers[zone] else { return }
        await entry.worker.notified()
    }

    func worker(_ zone: DomainName) -> ZoneWorker? { workers[zone]?.worker }

    /// Every zone's health, for `/healthz`.
    func health(since: Int64) async -> HealthReport {
        var inputs: [ZoneHealthInput] = []
        for (_, entry) in workers { inputs.append(await entry.worker.healthInput(since: since)) }
        return HealthReport.evaluate(zones: inputs, now: now())
    }
    var zoneNames: [DomainName] { Array(workers.keys) }
}
