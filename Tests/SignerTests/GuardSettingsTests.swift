import DNSCore
import DNSEdge
import DaemonKit
import Foundation
import GRDB
import Testing
@testable import Signer

/// The growth guard's settings and `accept-next` in the signer's store: stored and checked like the
/// other guard settings, given to existing zones by the signer-v3-guards migration, and the override
/// recorded with who asked and when, evented in the same transaction, and gone once used.
@Suite struct GuardSettingsTests {
    let directory = ScratchDirectory.make("signer-guards")
    var path: String { directory + "/signer.db" }
    static let now = Date(timeIntervalSince1970: 1_700_000_000)

    static func config(_ name: DomainName = "example.test.") -> SignerZoneConfig {
        SignerZoneConfig(origin: name, primaries: [ListenAddress(host: "192.0.2.1", port: 53)])
    }

    @Test func growthSettingsAreStoredCheckedAndChangedInPlace() throws {
        let store = try SignerStore(path: path)
        var config = Self.config()
        config.growthLimit = 4
        config.growthMinRRsets = 250
        try store.addZone(config, now: Self.now)
        #expect(try store.zone("example.test.").growthLimit == 4)
        #expect(try store.zone("example.test.").growthMinRRsets == 250)

        let (_, updated) = try store.updateZone("example.test.", SignerZoneChanges(growthLimit: 0), now: Self.now)
        #expect(updated.config.growthLimit == 0, "0 turns the growth guard off")
        #expect(updated.config.growthMinRRsets == 250, "what zone set does not name stays")

        for bad in [1.0, 0.5, -3, .infinity] {
            #expect(throws: SignerStoreError.self) { try store.updateZone("example.test.", SignerZoneChanges(growthLimit: bad), now: Self.now) }
        }
        #expect(throws: SignerStoreError.self) { try store.updateZone("example.test.", SignerZoneChanges(growthMinRRsets: -1), now: Self.now) }
        var refused = Self.config("other.test.")
        refused.growthLimit = 1
        let error = #expect(throws: SignerStoreError.self) { try store.addZone(refused, now: Self.now) }
        #expect(error?.description.contains("growth limit 1.0: must be a factor above 1") == true, "\(String(describing: error))")
        #expect(try store.zone("example.test.").growthLimit == 0, "a refused change changed nothing")
    }

    @Test func zonesOfAnOlderDatabaseGetTheDefaultGrowthGuard() throws {
        // A database as the previous release left it: every migration before signer-v3-guards.
        do {
            let pool = try DatabasePool(path: path)
            try SignerMigrations.migrator.migrate(pool, upTo: "outbox-v2")
            try pool.write { db in
                try db.execute(sql: """
                    INSERT INTO zones (name, primaries, created_at, updated_at, accept_next) VALUES ('old.test.', '192.0.2.1:53', 1, 1, 1);
                    INSERT INTO zone_state (zone_id) SELECT id FROM zones;
                    """)
            }
        }
        let store = try SignerStore(path: path)
        let config = try store.zone("old.test.")
        #expect(config.growthLimit == TransferGuard.defaultGrowthLimit && config.growthMinRRsets == TransferGuard.defaultGrowthMinRRsets)
        #expect(config.acceptNext && config.acceptNextBy == nil, "an override pending before the upgrade stays, by nobody known")
        let applied = try store.pool.read { try SignerMigrations.migrator.appliedIdentifiers($0) }
        #expect(applied.contains("signer-v3-guards"))
    }

    @Test func acceptNextRecordsWhoAndWhenWithAnEventAndIsGoneOnceUsed() throws {
        let store = try SignerStore(path: path)
        try store.addZone(Self.config(), now: Self.now)
        var state = ZoneState()
        state.lastRefusal = "serial-decrease: the primary's serial 9 is lower than ours, 10"
        try store.recordPoll(zone: "example.test.", state: state, events: [])
        let version = try store.configVersion()
        let signals = Locked(0)
        store.outboxSignal.onEventsCommitted { signals.withLock { $0 += 1 } }

        let request = try store.requestAcceptNext("example.test.", by: "alice", now: Self.now)
        let config = try store.zone("example.test.")
        #expect(config.acceptNext && config.acceptNextBy == "alice" && config.acceptNextAt == 1_700_000_000)
        #expect(try store.configVersion() > version, "the running daemon picks it up")
        let events = try store.recentEvents(zone: "example.test.")
        #expect(events.map(\.kind) == [.transferAcceptNext])
        #expect(events.first == request.event)
        #expect(events.first?.details["by"] == "alice" && events.first?.details["at"] == "1700000000")
        #expect(events.first?.details["lastRefusal"] == state.lastRefusal)
        #expect(events.first?.summary.contains("alice ran accept-next") == true, "\(events.first?.summary ?? "")")
        #expect(signals.current == 1, "the notification worker is woken")

        let zone = try Zone(parsing: "$TTL 300\n@ SOA ns1 h 10 1 1 1 1\n@ NS ns1\nns1 A 192.0.2.53\n", origin: "example.test.")
        try store.publish(zone: "example.test.", unsigned: zone, unsignedChanges: nil, signed: zone, signedChanges: nil,
                          state: ZoneState(), events: [], consumeAcceptNext: true)
        let used = try store.zone("example.test.")
        #expect(!used.acceptNext && used.acceptNextBy == nil && used.acceptNextAt == nil, "status shows no stale override")
        #expect(throws: SignerStoreError.self) { try store.requestAcceptNext("missing.test.", by: "alice", now: Self.now) }
    }

    @Test func theDaemonsGuardsFollowTheSettingsAndFallBackToTheDefaults() throws {
        var config = Self.config()
        config.shrinkLimit = 0.3
        config.growthLimit = 3
        config.growthMinRRsets = 50
        config.acceptNext = true
        let guards = ZoneWorker.guards(for: config, logger: .init(label: "test"))
        #expect(guards.shrinkLimit == 0.3 && guards.growthLimit == 3 && guards.growthMinRRsets == 50 && guards.acceptNext)
        config.growthLimit = 0.5  // only a hand-edited database holds this
        let fallback = ZoneWorker.guards(for: config, logger: .init(label: "test"))
        #expect(fallback.growthLimit == TransferGuard.defaultGrowthLimit && fallback.shrinkLimit == 0.5 && fallback.acceptNext)
    }
}
