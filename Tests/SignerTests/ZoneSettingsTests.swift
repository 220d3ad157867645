import DNSCore
import DNSEdge
import Foundation
import GRDB
import Testing
@testable import Signer

/// `zone set` below the CLI: the store changes only the settings given and nothing else (keys, copies,
/// state), refuses bad changes without touching a byte, refuses key and algorithm rollovers; a change of
/// denial is carried out as one full signing with the same keys, and the cycle starts it between polls.
@Suite struct ZoneSettingsTests {
    let directory = ScratchDirectory.make("signer-settings")

    var path: String { directory + "/signer.db" }
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static let origin: DomainName = "example.test."
    static let signingTime: UInt32 = 1_790_000_000

    /// A zone with every setting away from its default, so a change to one shows against the others.
    static func fullConfig() -> SignerZoneConfig {
        var config = SignerZoneConfig(origin: origin, primaries: [
            ListenAddress(host: "192.0.2.1", port: 53), ListenAddress(host: "2001:db8::1", port: 5300),
        ])
        config.tsigKeyName = "xfr."
        config.pollSeconds = 300
        config.denial = .nsec3
        config.optOut = true
        config.algorithm = .ED25519
        config.csk = true
        config.shrinkLimit = 0.3
        config.allowSerialDecrease = true
        config.signedSerialPolicy = .increment
        config.expireAction = .keepServing
        return config
    }

    func store(with config: SignerZoneConfig = fullConfig()) throws -> SignerStore {
        let store = try SignerStore(path: path)
        _ = try store.addTSIGKey(name: "xfr", secret: "c2VjcmV0c2VjcmV0", now: Self.now)
        _ = try store.addTSIGKey(name: "other", secret: "c2VjcmV0c2VjcmV0", now: Self.now)
        try store.addZone(config, now: Self.now)
        return store
    }

    /// Every row of every table, in a fixed order: equal dumps mean an unchanged database.
    static func dump(_ store: SignerStore) throws -> String {
        try store.pool.read { db in
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            return try tables.map { table in
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"")  // some are WITHOUT ROWID
                let lines = rows.map { row in
                    row.databaseValues.map { value -> String in
                        if case .blob(let data) = value.storage { return "x'" + Base16.encode([UInt8](data)) + "'" }
                        return value.description
                    }.joined(separator: "|")
                }
                return "\(table)\n" + lines.sorted().joined(separator: "\n")
            }.joined(separator: "\n")
        }
    }

    static let zoneText = """
        $ORIGIN example.test.
        $TTL 300
        @ SOA ns1 hostmaster 10 3600 900 1209600 300
        @ NS ns1
        ns1 A 192.0.2.53
        www A 192.0.2.80
        mail MX 10 www
        sub NS ns.sub
        ns.sub A 192.0.2.54
        deep.empty.nonterminal TXT "below an empty non-terminal"
        """

    static func update(_ keys: ZoneKeySet, denial: SignerZoneConfig.Denial, optOut: Bool = false) -> ZoneUpdate {
        var config = SignerZoneConfig(origin: origin, primaries: [])
        config.denial = denial
        config.optOut = optOut
        return ZoneUpdate(keys: keys, policy: config.signingPolicy, guards: TransferGuard(), serialPolicy: .unixtime)
    }

    static func keySet() throws -> ZoneKeySet {
        try ZoneKeySet(zone: origin, keys: [
            SigningKey.generate(flags: SigningKey.keySigningFlags), SigningKey.generate(flags: SigningKey.zoneSigningFlags),
        ])
    }

    static func changed(_ outcome: ZoneUpdate.Outcome, sourceLocation: SourceLocation = #_sourceLocation) throws -> ZoneUpdate.Change {
        switch outcome {
        case .changed(let change): return change
        default:
            Issue.record("expected a new version, got \(outcome)", sourceLocation: sourceLocation)
            throw CancellationError()
        }
    }

    // MARK: Store

    @Test func updateChangesOnlyTheSettingsGivenAndMovesTheVersions() throws {
        let store = try store()
        let before = try store.storedZone("example.test.")
        let configVersion = try store.configVersion()

        var changes = SignerZoneChanges()
        changes.primaries = [ListenAddress(host: "192.0.2.7", port: 5353)]
        changes.pollSeconds = 30
        let later = Self.now.addingTimeInterval(60)
        let (old, stored) = try store.updateZone("Example.Test", changes, now: later)
        #expect(old == before.config)

        var expected = Self.fullConfig()
        expected.primaries = [ListenAddress(host: "192.0.2.7", port: 5353)]
        expected.pollSeconds = 30
        #expect(stored.config == expected, "only the primaries and the poll interval changed")
        #expect(try store.zone("example.test.") == expected, "and that is what the store holds")
        #expect(stored.version == before.version + 1)
        #expect(stored.updatedAt == SignerStore.timestamp(later))
        #expect(stored.createdAt == before.createdAt)
        #expect(try store.configVersion() > configVersion, "a running daemon notices")

        // Each remaining field on its own, one after another.
        var key = SignerZoneChanges(); key.tsigKey = .use("OTHER")
        #expect(try store.updateZone("example.test.", key, now: later).new.config.tsigKeyName == "other.")
        var noKey = SignerZoneChanges(); noKey.tsigKey = .withoutKey
        #expect(try store.updateZone("example.test.", noKey, now: later).new.config.tsigKeyName == nil)
        var nsec = SignerZoneChanges(); nsec.denial = .nsec
        let nsecConfig = try store.updateZone("example.test.", nsec, now: later).new.config
        #expect(nsecConfig.denial == .nsec && !nsecConfig.optOut, "NSEC turns opt-out off with it")
        var nsec3 = SignerZoneChanges(); nsec3.denial = .nsec3; nsec3.optOut = false
        let nsec3Config = try store.updateZone("example.test.", nsec3, now: later).new.config
        #expect(nsec3Config.denial == .nsec3 && !nsec3Config.optOut)
        var guards = SignerZoneChanges()
        guards.shrinkLimit = 0.9
        guards.allowSerialDecrease = false
        guards.signedSerialPolicy = .unixtime
        guards.expireAction = .servfail
        let final = try store.updateZone("example.test.", guards, now: later).new.config
        #expect(final.shrinkLimit == 0.9 && !final.allowSerialDecrease)
        #expect(final.signedSerialPolicy == .unixtime && final.expireAction == .servfail)
        #expect(final.primaries == expected.primaries && final.pollSeconds == 30, "earlier changes stay")
        #expect(final.algorithm == .ED25519 && final.csk, "untouched settings stay")

        // The same values again: nothing is written, so the daemon has nothing to notice.
        let version = try store.configVersion()
        let dump = try Self.dump(store)
        let (_, same) = try store.updateZone("example.test.", guards, now: later.addingTimeInterval(60))
        #expect(same.config == final)
        #expect(try store.configVersion() == version)
        #expect(try Self.dump(store) == dump)
    }

    @Test func keysCopiesAndStateStayWhenSettingsChange() throws {
        var config = SignerZoneConfig(origin: Self.origin, primaries: [ListenAddress(host: "192.0.2.1", port: 53)])
        config.tsigKeyName = "xfr."
        let store = try store(with: config)
        let keys = try Self.keySet()
        try store.storeKeys(zone: "example.test.", keys: keys.keys, now: Self.now)
        let unsigned = try Zone(parsing: Self.zoneText, origin: Self.origin)
        let first = try Self.changed(Self.update(keys, denial: .nsec).apply(transfer: unsigned, to: nil, now: Self.signingTime))
        var state = ZoneState()
        state.unsignedSerial = 10
        state.signedSerial = first.signed.zone.serial?.rawValue
        state.lastPollAt = 1_700_000_100
        state.lastPollResult = "changed"
        state.refusals = 2
        try store.publish(zone: "example.test.", unsigned: first.unsigned, unsignedChanges: nil, signed: first.signed.zone,
                          signedChanges: nil, state: state, events: [])
        try store.setAcceptNext("example.test.", true, now: Self.now)
        let keysBefore = try store.keys(zone: "example.test.")
        let keyInfoBefore = try store.keyInfo(zone: "example.test.")
        let published = try store.published(zone: "example.test.")

        var changes = SignerZoneChanges()
        changes.primaries = [ListenAddress(host: "192.0.2.9", port: 53)]
        changes.tsigKey = .withoutKey
        changes.denial = .nsec3
        changes.optOut = true
        changes.pollSeconds = 5
        let (_, stored) = try store.updateZone("example.test.", changes, now: Self.now)
        #expect(stored.config.denial == .nsec3 && stored.config.optOut)
        #expect(stored.config.acceptNext, "the one-shot override is not a setting zone set touches")

        let keysAfter = try store.keys(zone: "example.test.")
        #expect(keysAfter.map(\.dnskey) == keysBefore.map(\.dnskey), "the same public keys")
        #expect(zip(keysAfter, keysBefore).allSatisfy { SignerStore.sameKey($0, $1) && $0.pemRepresentation == $1.pemRepresentation },
                "the same private keys")
        #expect(try store.keyInfo(zone: "example.test.") == keyInfoBefore)
        #expect(try store.published(zone: "example.test.") == published, "the unsigned and signed copies and the state are as they were")
        #expect(try store.state(zone: "example.test.") == state)
    }

    @Test func refusedChangesLeaveTheDatabaseByteForByte() throws {
        let store = try store()
        let keys = try ZoneKeySet(zone: Self.origin, keys: [SigningKey.generate(algorithm: .ED25519, flags: SigningKey.keySigningFlags)])
        try store.storeKeys(zone: "example.test.", keys: keys.keys, now: Self.now)
        let before = try Self.dump(store)
        let version = try store.configVersion()

        func change(_ edit: (inout SignerZoneChanges) -> Void) -> SignerZoneChanges {
            var changes = SignerZoneChanges()
            edit(&changes)
            return changes
        }
        let cases: [(String, SignerZoneChanges, SignerStoreError.Kind, [String])] = [
            ("missing.test.", change { $0.pollSeconds = 30 }, .unknownZone, ["zone missing.test.", "no such zone"]),
            ("example.test.", SignerZoneChanges(), .invalidArgument, ["zone example.test.", "nothing to change"]),
            ("example.test.", change { $0.tsigKey = .use("nokey") }, .notFound, ["key nokey.", "no such TSIG key"]),
            ("example.test.", change { $0.tsigKey = .use("bad..key") }, .invalidName, ["bad TSIG key name"]),
            ("example.test.", change { $0.primaries = [] }, .invalidArgument, ["at least one primary"]),
            ("example.test.", change { $0.primaries = [ListenAddress(host: "primary.example", port: 53)] }, .invalidArgument,
             ["primary primary.example:53", "not an IP address"]),
            ("example.test.", change { $0.primaries = [ListenAddress(host: "192.0.2.1", port: 53), ListenAddress(host: "192.0.2.1", port: 53)] },
             .duplicate, ["given twice"]),
            ("example.test.", change { $0.primaries = [ListenAddress(host: "192.0.2.1", port: 0)] }, .invalidArgument, ["port must be"]),
            ("example.test.", change { $0.pollSeconds = 0 }, .invalidArgument, ["poll interval 0s"]),
            ("example.test.", change { $0.pollSeconds = 90_000 }, .invalidArgument, ["poll interval 90000s", "1 day"]),
            ("example.test.", change { $0.shrinkLimit = 2 }, .invalidArgument, ["shrink limit 2"]),
            ("example.test.", change { $0.shrinkLimit = .nan }, .invalidArgument, ["shrink limit"]),
            ("example.test.", change { $0.denial = .nsec; $0.optOut = true }, .invalidArgument, ["opt-out needs NSEC3"]),
            ("example.test.", change { $0.zskLifetime = .some(10) }, .invalidArgument,
             ["ZSK lifetime 10s", "twice the propagation delay"]),
            ("example.test.", change { $0.propagationDelay = -1 }, .invalidArgument, ["propagation delay", "negative"]),
            ("example.test.", change { $0.dsCheckInterval = 0 }, .invalidArgument, ["DS check interval", "longer than 0"]),
            ("example.test.", change { $0.parentServers = [ListenAddress(host: "parent.example", port: 53)] }, .invalidArgument,
             ["parent server parent.example:53", "IP address"]),
            ("example.test.", change { $0.algorithm = DNSSECAlgorithm(5); $0.pollSeconds = 30 }, .invalidArgument, ["not supported for signing"]),
            // A valid change beside an invalid one is refused with it.
            ("example.test.", change { $0.pollSeconds = 30; $0.tsigKey = .use("nokey") }, .notFound, ["no such TSIG key"]),
        ]
        for (zone, changes, kind, fragments) in cases {
            do {
                try store.updateZone(zone, changes, now: Self.now.addingTimeInterval(10))
                Issue.record("\(changes) was accepted")
            } catch let error as SignerStoreError {
                #expect(error.kind == kind, "\(changes): \(error)")
                for fragment in fragments { #expect(error.description.contains(fragment), "\(fragment) in: \(error)") }
            }
        }
        #expect(try Self.dump(store) == before, "every refused change left the database as it was")
        #expect(try store.configVersion() == version)

        // The same algorithm as the keys' is no change, so it is not refused; the other settings go through.
        var same = SignerZoneChanges()
        same.algorithm = .ED25519
        same.csk = true
        same.pollSeconds = 120
        #expect(try store.updateZone("example.test.", same, now: Self.now).new.config.pollSeconds == 120)

        // Another algorithm or key roles on a signed zone is accepted now: the daemon starts a key-set
        // rollover from the stored settings (KeyLifecycleTests drive it).
        var roll = SignerZoneChanges()
        roll.algorithm = .ECDSAP256SHA256
        roll.csk = false
        let rolled = try store.updateZone("example.test.", roll, now: Self.now).new.config
        #expect(rolled.keyPolicy.algorithm == .ECDSAP256SHA256 && !rolled.keyPolicy.csk)
    }

    @Test func algorithmAndKeyRolesChangeFreelyBeforeTheFirstSigning() throws {
        let store = try store()
        var changes = SignerZoneChanges()
        changes.algorithm = .ECDSAP384SHA384
        changes.csk = false
        let config = try store.updateZone("example.test.", changes, now: Self.now).new.config
        #expect(config.algorithm == .ECDSAP384SHA384)
        #expect(!config.csk)
        #expect(config.keyFlagsToGenerate == [SigningKey.keySigningFlags, SigningKey.zoneSigningFlags])
    }

    // MARK: Full re-signing

    @Test(arguments: [
        (SignerZoneConfig.Denial.nsec, false, SignerZoneConfig.Denial.nsec3, false),
        (.nsec3, false, .nsec, false),
        (.nsec3, false, .nsec3, true),
        (.nsec3, true, .nsec3, false),
    ])
    func aChangeOfDenialSignsTheStoredCopyAgainInFullWithTheSameKeys(
        from: SignerZoneConfig.Denial, fromOptOut: Bool, to: SignerZoneConfig.Denial, toOptOut: Bool
    ) throws {
        let keys = try Self.keySet()
        let before = Self.update(keys, denial: from, optOut: fromOptOut)
        let after = Self.update(keys, denial: to, optOut: toOptOut)
        let unsigned = try Zone(parsing: Self.zoneText, origin: Self.origin)
        let first = try Self.changed(before.apply(transfer: unsigned, to: nil, now: Self.signingTime))
        #expect(ZoneUpdate.deniesExistence(first.signed.zone, as: before.policy))
        #expect(!ZoneUpdate.deniesExistence(first.signed.zone, as: after.policy), "the switch is noticed")
        let current = ZoneUpdate.Current(unsigned: first.unsigned, signed: first.signed)

        let now = Self.signingTime + 3600
        let change = try Self.changed(after.resignInFull(current, now: now))
        let zone = change.signed.zone
        #expect(ZoneUpdate.deniesExistence(zone, as: after.policy))
        #expect(ZoneVerifier.verify(zone, now: now).isEmpty)
        #expect(zone.serial == SerialNumber(now), "the signed serial rose (unixtime)")
        #expect(zone.rrset(at: Self.origin, type: .DNSKEY) == first.signed.zone.rrset(at: Self.origin, type: .DNSKEY), "the same DNSKEY set")
        #expect(zone.rrset(at: Self.origin, type: .CDS) == first.signed.zone.rrset(at: Self.origin, type: .CDS), "the same CDS: DS stays valid")
        #expect(change.unsigned == unsigned, "the unsigned copy is the stored one")
        #expect(change.unsignedDiff?.isEmpty == true, "nothing to rewrite in the unsigned copy")
        #expect(change.signedDiff == nil, "every signed row is rewritten")
        #expect(change.summary.isEmpty)
        #expect(change.signed.unsignedZone == ZoneUpdate.withSerial(unsigned, SerialNumber(now)), "the same data, nothing lost")
        let nsec3 = zone.rrsets.filter { $0.type == .NSEC3 }.count
        let nsec = zone.rrsets.filter { $0.type == .NSEC }.count
        if to == .nsec3 {
            #expect(nsec == 0 && nsec3 > 0 && zone.rrset(at: Self.origin, type: .NSEC3PARAM) != nil)
        } else {
            #expect(nsec3 == 0 && nsec > 0 && zone.rrset(at: Self.origin, type: .NSEC3PARAM) == nil)
        }
        // Incremental updates carry on from the new version.
        var edited = unsigned
        edited.add(ResourceRecord(name: "new.example.test.", ttl: 300, rdata: .a(A(IPv4Address("192.0.2.99")!))))
        let next = try Self.changed(after.apply(transfer: edited, to: ZoneUpdate.Current(unsigned: change.unsigned, signed: change.signed),
                                                now: now + 60))
        #expect(next.signedDiff != nil, "incremental again")
        #expect(ZoneVerifier.verify(next.signed.zone, now: now + 60).isEmpty)
    }

    @Test func aChangedTransferAfterASwitchIsSignedInFull() throws {
        let keys = try Self.keySet()
        let unsigned = try Zone(parsing: Self.zoneText, origin: Self.origin)
        let first = try Self.changed(Self.update(keys, denial: .nsec).apply(transfer: unsigned, to: nil, now: Self.signingTime))
        let current = ZoneUpdate.Current(unsigned: first.unsigned, signed: first.signed)
        var edited = unsigned
        edited.add(ResourceRecord(name: "new.example.test.", ttl: 300, rdata: .a(A(IPv4Address("192.0.2.99")!))))
        let nsec3 = Self.update(keys, denial: .nsec3)
        let change = try Self.changed(nsec3.apply(transfer: edited, to: current, signInFull: true, now: Self.signingTime + 60))
        #expect(change.signedDiff == nil, "signed in full")
        #expect(change.unsignedDiff?.added.contains { $0.name == "new.example.test." } == true, "the unsigned change is kept as a diff")
        #expect(change.summary.addedRRsets == 1)
        #expect(ZoneUpdate.deniesExistence(change.signed.zone, as: nsec3.policy))
        #expect(ZoneVerifier.verify(change.signed.zone, now: Self.signingTime + 60).isEmpty)
        // The same content with signInFull: nothing changed to sign (the worker's queued re-signing does it).
        guard case .unchanged = nsec3.apply(transfer: unsigned, to: current, signInFull: true, now: Self.signingTime + 60) else {
            Issue.record("an unchanged transfer stays unchanged"); return
        }
    }

    // MARK: The cycle

    static let facts = ZoneCycle.Published(soaExpire: 1_209_600, nextResign: 100_000, earliestExpiry: 700_000)

    @Test func aRequestedReSigningStartsBetweenPollsAndOnlyOnce() {
        var settings = ZoneCycle.Settings()
        settings.pollInterval = 86_400  // no poll falls due on its own here
        var cycle = ZoneCycle(settings: settings)
        #expect(cycle.event(.started(now: 0, published: nil, lastSuccess: nil)) == [.poll])
        // Nothing published yet: nothing to sign again (the first signing uses the new settings).
        #expect(cycle.event(.resignRequested(now: 1)) == [])
        #expect(cycle.event(.pollFinished(now: 2, .published(Self.facts))) == [])

        // Idle: starts at once.
        #expect(cycle.event(.resignRequested(now: 3)) == [.resign])
        #expect(cycle.phase == .resigning)
        #expect(cycle.event(.resignRequested(now: 4)) == [], "never two cycles at once")
        #expect(cycle.event(.resignFinished(now: 5, .done(Self.facts))) == [.resign], "the second request waited its turn")
        #expect(cycle.event(.resignFinished(now: 6, .done(Self.facts))) == [])
        #expect(cycle.event(.tick(now: 7)) == [], "and then nothing more")

        // During a poll that publishes: the new version was signed with the new settings; nothing follows.
        #expect(cycle.event(.notified(now: 10)) == [.poll])
        #expect(cycle.event(.resignRequested(now: 11)) == [])
        #expect(cycle.event(.pollFinished(now: 12, .published(Self.facts))) == [])
        #expect(cycle.event(.tick(now: 13)) == [])

        // During a poll that finds nothing new: the re-signing follows it.
        #expect(cycle.event(.notified(now: 20)) == [.poll])
        #expect(cycle.event(.resignRequested(now: 21)) == [])
        #expect(cycle.event(.pollFinished(now: 22, .unchanged(Self.facts))) == [.resign])
        #expect(cycle.event(.resignFinished(now: 23, .failed(reason: "verification failed"))) == [.alert(.signingFailed(reason: "verification failed"))])
        #expect(cycle.event(.tick(now: 24)) == [], "a failure is retried after resignRetry, not at once")
        #expect(cycle.event(.tick(now: 23 + cycle.settings.resignRetry)) == [.resign])
    }
}
