import DNSCore
import Testing
@testable import Signer

/// The signing pipeline (guard → compare → incremental re-sign → verify) as the daemon runs it, and the
/// cycle driven over simulated months with the primary gone.
@Suite struct ZoneUpdateTests {
    static let origin = DomainName("example.test.")
    static let start: UInt32 = 1_790_000_000

    static func zoneText(serial: Int, apex: String = "192.0.2.10", names: Int = 30, expire: Int = 2_419_200) -> String {
        var text = """
        $ORIGIN example.test.
        $TTL 300
        @ SOA ns1 hostmaster \(serial) 3600 600 \(expire) 300
        @ NS ns1
        @ A \(apex)
        ns1 A 192.0.2.53
        *.sites A 192.0.2.11

        """
        for index in 0..<names { text += "host\(index) A 198.51.100.\(index % 250)\n" }
        return text
    }

    static func zone(_ text: String) throws -> Zone { try Zone(parsing: text, origin: origin) }

    static func update(nsec3: Bool = false) throws -> ZoneUpdate {
        let keys = try ZoneKeySet(zone: origin, keys: [
            SigningKey.generate(flags: SigningKey.keySigningFlags), SigningKey.generate(flags: SigningKey.zoneSigningFlags),
        ])
        var policy = SigningPolicy()
        if nsec3 { policy.denial = .nsec3(SigningPolicy.NSEC3Settings()) }
        return ZoneUpdate(keys: keys, policy: policy, guards: TransferGuard(), serialPolicy: .unixtime)
    }

    static func changed(_ outcome: ZoneUpdate.Outcome) -> ZoneUpdate.Change? {
        if case .changed(let change) = outcome { return change }
        return nil
    }

    @Test(arguments: [false, true])
    func firstTransferIsSignedThenOneRecordChangeResignsOnlyWhatMoved(nsec3: Bool) throws {
        let update = try Self.update(nsec3: nsec3)
        let first = try #require(Self.changed(update.apply(transfer: try Self.zone(Self.zoneText(serial: 1)), to: nil, now: Self.start)))
        #expect(first.signed.zone.serial == SerialNumber(Self.start), "unixtime serial policy")
        #expect(ZoneVerifier.verify(first.signed.zone, now: Self.start).isEmpty)
        let current = ZoneUpdate.Current(unsigned: first.unsigned, signed: first.signed)

        // The same content again: nothing to do.
        guard case .unchanged = update.apply(transfer: try Self.zone(Self.zoneText(serial: 1)), to: current, now: Self.start + 60) else {
            Issue.record("an identical transfer must be unchanged"); return
        }

        // The load balancer moved: the apex A changes (and the unsigned serial does not, as with some primaries).
        let moved = try Self.zone(Self.zoneText(serial: 1, apex: "192.0.2.20"))
        let change = try #require(Self.changed(update.apply(transfer: moved, to: current, now: Self.start + 120)))
        #expect(change.signed.zone.serial == SerialNumber(Self.start + 120))
        #expect(ZoneVerifier.verify(change.signed.zone, now: Self.start + 120).isEmpty, "the whole zone verifies, not only the changed part")
        #expect(change.summary.examples.contains("example.test. A 192.0.2.10 → 192.0.2.20"), "\(change.summary.examples)")
        let touched = Set(ZoneUpdate.names(in: try #require(change.signedDiff)))
        #expect(touched.count <= 4, "apex (SOA, A and their RRSIGs) and at most the chain around it: \(touched)")
        #expect(change.signed.zone.rrset(at: Self.origin, type: .A)?.rdatas.map(\.presentation) == ["192.0.2.20"])
    }

    @Test func guardsRefuseAndNothingChanges() throws {
        let update = try Self.update()
        let first = try #require(Self.changed(update.apply(transfer: try Self.zone(Self.zoneText(serial: 5)), to: nil, now: Self.start)))
        let current = ZoneUpdate.Current(unsigned: first.unsigned, signed: first.signed)
        let shrunk = try Self.zone(Self.zoneText(serial: 6, names: 2))
        guard case .refused(let refusal) = update.apply(transfer: shrunk, to: current, now: Self.start) else {
            Issue.record("a zone that lost most of its RRsets must be refused"); return
        }
        #expect(refusal.guardName == "shrink")
        let older = try Self.zone(Self.zoneText(serial: 4))
        guard case .refused(let serialRefusal) = update.apply(transfer: older, to: current, now: Self.start) else {
            Issue.record("a lower serial must be refused"); return
        }
        #expect(serialRefusal.guardName == "serial-decrease")
    }

    @Test func aSignatureRefreshRenewsWhatIsDueAndRaisesTheSignedSerial() throws {
        let update = try Self.update()
        let first = try #require(Self.changed(update.apply(transfer: try Self.zone(Self.zoneText(serial: 1)), to: nil, now: Self.start)))
        let later = Self.start + 8 * 86_400
        let refreshed = try #require(Self.changed(update.refresh(ZoneUpdate.Current(unsigned: first.unsigned, signed: first.signed), now: later)))
        #expect(ZoneVerifier.verify(refreshed.signed.zone, now: later + 6 * 86_400).isEmpty, "valid 6 days on: no signature was left to expire")
        #expect(refreshed.signed.zone.serial! > first.signed.zone.serial!)
    }

    /// 60 days, the primary unreachable the whole time, one tick an hour: the machine re-signs on time, the
    /// signatures never come within the refresh margin (less an hour's tick and the batch), and the zone
    /// stops being served once the SOA expire (28 days) has passed — while re-signing goes on.
    @Test func sixtyDaysWithThePrimaryGone() throws {
        let update = try Self.update(nsec3: true)
        let policy = update.policy
        let first = try #require(Self.changed(update.apply(
            transfer: try Self.zone(Self.zoneText(serial: 1, expire: 28 * 86_400)), to: nil, now: Self.start)))
        var current = ZoneUpdate.Current(unsigned: first.unsigned, signed: first.signed)
        func facts(_ signed: SignedZone, now: Int64) -> ZoneCycle.Published {
            let next = now + Int64(Int32(bitPattern: signed.nextResign &- UInt32(truncatingIfNeeded: now)))
            return ZoneCycle.Published(soaExpire: 28 * 86_400, nextResign: next, earliestExpiry: next + Int64(policy.refreshMargin))
        }
        var cycle = ZoneCycle(settings: ZoneCycle.Settings(pollInterval: 60))
        var now = Int64(Self.start)
        var pending = cycle.event(.started(now: now, published: facts(current.signed, now: now), lastSuccess: now))
        var stoppedAt: Int64?
        var resignings = 0
        let end = now + 60 * 86_400
        while now < end {
            while !pending.isEmpty {
                let action = pending.removeFirst()
                switch action {
                case .poll:
                    pending += cycle.event(.pollFinished(now: now, .failed(reason: "connection refused")))
                case .resign:
                    resignings += 1
                    let change = try #require(Self.changed(update.refresh(current, now: UInt32(truncatingIfNeeded: now))))
                    current = ZoneUpdate.Current(unsigned: change.unsigned, signed: change.signed)
                    pending += cycle.event(.resignFinished(now: now, .done(facts(current.signed, now: now))))
                case .stopServing:
                    stoppedAt = stoppedAt ?? now
                case .resumeServing:
                    Issue.record("nothing can come back without the primary")
                case .keyStep:
                    Issue.record("no key step was scheduled")
                case .alert:
                    continue
                }
            }
            let earliest = Self.earliestExpiration(current.signed.zone)
            #expect(Int64(earliest) - now >= Int64(policy.refreshMargin) - 3_600 - Int64(policy.refreshBatch),
                    "day \((now - Int64(Self.start)) / 86_400): signatures too close to expiry")
            now += 3_600
            pending += cycle.event(.tick(now: now))
        }
        #expect(ZoneVerifier.verify(current.signed.zone, now: UInt32(truncatingIfNeeded: now)).isEmpty)
        #expect(resignings >= 7, "a 14-day validity with a 7-day margin re-signs about weekly: \(resignings)")
        let stopped = try #require(stoppedAt)
        #expect(stopped - Int64(Self.start) >= 28 * 86_400 && stopped - Int64(Self.start) < 28 * 86_400 + 3_600)
    }

    static func earliestExpiration(_ zone: Zone) -> UInt32 {
        var earliest = UInt32.max
        for rrset in zone.rrsets where rrset.type == .RRSIG {
            for case .rrsig(let rrsig) in rrset.rdatas { earliest = min(earliest, rrsig.expiration) }
        }
        return earliest
    }
}
