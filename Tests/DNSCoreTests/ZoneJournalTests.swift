import Foundation
import Testing
@testable import DNSCore

private let apex: DomainName = "example.com."

private func zone(serial: UInt32, _ body: String) throws -> Zone {
    try Zone(parsing: "$TTL 3600\n@ SOA ns1 hostmaster \(serial) 7200 3600 1209600 300\n@ NS ns1\nns1 A 192.0.2.53\n" + body,
             origin: apex)
}

private func step(_ old: Zone, _ new: Zone) throws -> JournalDelta {
    try #require(JournalDelta(changes: ZoneDiff(from: old, to: new), origin: apex))
}

/// What a secondary does with one IXFR step (RFC 1995 §4), written independently of the code under
/// test: delete each listed record (whatever its TTL), add each listed record, take the new SOA.
private func applyAsSecondary(_ delta: JournalDelta, to zone: Zone) throws -> Zone {
    #expect(zone.rrset(at: apex, type: .SOA) == delta.oldSOA, "the step starts from the client's SOA")
    var result = zone
    for record in delta.deleted.flatMap(\.records) {
        let present = result.rrsets(at: record.name).contains { $0.type == record.type && $0.contains(record.rdata) }
        #expect(present, "deleted record \(record) is in the client's copy")
        result.remove(record)
    }
    for record in delta.added.flatMap(\.records) { result.add(record) }
    _ = result.removeRRset(at: apex, type: .SOA)
    result.insert(delta.newSOA)
    return result
}

private func withSerial(_ zone: Zone, _ serial: UInt32) -> Zone {
    var zone = zone
    guard let set = zone.rrset(at: apex, type: .SOA), case .soa(var soa) = set.rdatas.first else { return zone }
    soa.serial = SerialNumber(serial)
    zone.insert(RRset(name: apex, type: .SOA, ttl: set.ttl, rdatas: [.soa(soa)]))
    return zone
}

private func lines(_ sets: [RRset]) -> [String] {
    sets.flatMap(\.records).map { "\($0.name.text) \($0.ttl) \($0.type) \($0.rdata.presentation)" }
}

@Suite("Zone journal (IXFR out)")
struct ZoneJournalTests {
    @Test func aStepListsOnlyTheRecordsThatChanged() throws {
        let v1 = try zone(serial: 1, "www A 192.0.2.1\nwww A 192.0.2.2\nmail MX 10 ns1\nold TXT \"gone\"\n")
        let v2 = try zone(serial: 2, "www A 192.0.2.1\nwww A 192.0.2.3\nmail 60 MX 10 ns1\nnew TXT \"here\"\n")
        let delta = try step(v1, v2)
        #expect(delta.fromSerial == SerialNumber(1) && delta.toSerial == SerialNumber(2))
        // The address both versions share is in neither list; the TTL change deletes and re-adds.
        #expect(lines(delta.deleted) == [
            "mail.example.com. 3600 MX 10 ns1.example.com.", "old.example.com. 3600 TXT \"gone\"", "www.example.com. 3600 A 192.0.2.2",
        ])
        #expect(lines(delta.added) == [
            "mail.example.com. 60 MX 10 ns1.example.com.", "new.example.com. 3600 TXT \"here\"", "www.example.com. 3600 A 192.0.2.3",
        ])
        #expect(try applyAsSecondary(delta, to: v1) == v2)
    }

    @Test func aChangeThatKeepsTheSerialIsNoStep() throws {
        let v1 = try zone(serial: 1, "www A 192.0.2.1\n")
        let same = try zone(serial: 1, "www A 192.0.2.9\n")
        #expect(JournalDelta(changes: ZoneDiff(from: v1, to: same), origin: apex) == nil)
    }

    @Test func condensingDropsWhatCameAndWent() throws {
        let v1 = try zone(serial: 1, "www A 192.0.2.1\n")
        let v2 = try zone(serial: 2, "www A 192.0.2.1\ntmp TXT \"brief\"\n")
        let v3 = try zone(serial: 3, "www A 192.0.2.2\n")
        let v4 = try zone(serial: 4, "www A 192.0.2.1\nlast A 192.0.2.4\n")
        let steps = [try step(v1, v2), try step(v2, v3), try step(v3, v4)]
        let condensed = try #require(JournalDelta.condensing(steps))
        // tmp came and went; www's address went and came back: only `last` is left.
        #expect(lines(condensed.deleted) == [])
        #expect(lines(condensed.added) == ["last.example.com. 3600 A 192.0.2.4"])
        #expect(condensed.fromSerial == SerialNumber(1) && condensed.toSerial == SerialNumber(4))
        #expect(condensed.recordCount <= steps.reduce(0) { $0 + $1.recordCount })
        #expect(try applyAsSecondary(condensed, to: v1) == v4)
    }

    /// Random edits over many versions: from every version the journal holds, the answer brings that
    /// version to the newest one, and nothing older or unknown is answered incrementally.
    @Test func fromEveryVersionTheAnswerReachesTheNewest() throws {
        let seed = UInt64(Date().timeIntervalSince1970 * 1000)
        print("ZoneJournalTests seed: \(seed)")
        var rng = SplitMix64(seed: seed)
        // Near the top of the serial space, so the chain wraps through 0 (RFC 1982).
        var serial: UInt32 = 0xFFFF_FFF0
        var versions = [try zone(serial: serial, "")]
        var journal: [JournalDelta] = []
        for _ in 0..<40 {
            var next = versions.last!
            for _ in 0..<(1 + rng.below(4)) {
                let name = try DomainName("h\(rng.below(8)).example.com.")
                let rdata = RData.a(A(IPv4Address("192.0.2.\(1 + rng.below(6))")!))
                let record = ResourceRecord(name: name, dnsClass: .IN, ttl: rng.below(3) == 0 ? 60 : 3600, rdata: rdata)
                if rng.below(2) == 0 {
                    // A TTL change of a whole RRset, or a new record.
                    if let set = next.rrset(at: name, type: .A) {
                        _ = next.removeRRset(at: name, type: .A)
                        next.insert(RRset(name: name, type: .A, ttl: record.ttl, rdatas: set.rdatas + [rdata]))
                    } else {
                        next.add(record)
                    }
                } else {
                    next.remove(ResourceRecord(name: name, dnsClass: .IN, ttl: 0, rdata: rdata))
                }
            }
            serial &+= UInt32(1 + rng.below(3))
            next = withSerial(next, serial)
            journal.append(try step(versions.last!, next))
            versions.append(next)
        }
        let served = try #require(versions.last!.rrset(at: apex, type: .SOA))
        for (index, version) in versions.enumerated().dropLast() {
            let plan = IXFRPlan.plan(clientSerial: try #require(version.serial), served: served, journal: Array(journal[index...]))
            guard case .incremental(let delta) = plan else {
                Issue.record("version \(index): \(plan)")
                continue
            }
            #expect(try applyAsSecondary(delta, to: version) == versions.last!, "from version \(index)")
        }
        // The newest and anything newer: the SOA alone (RFC 1995 §2).
        #expect(IXFRPlan.plan(clientSerial: versions.last!.serial!, served: served, journal: journal) == .current)
        #expect(IXFRPlan.plan(clientSerial: versions.last!.serial!.adding(5), served: served, journal: journal) == .current)
    }

    @Test func whatTheJournalCannotAnswerGoesAXFRStyle() throws {
        let v1 = try zone(serial: 10, "www A 192.0.2.1\n")
        let v2 = try zone(serial: 11, "www A 192.0.2.2\n")
        let v3 = try zone(serial: 12, "www A 192.0.2.3\n")
        let v4 = try zone(serial: 13, "www A 192.0.2.4\n")
        let soa3 = try #require(v3.rrset(at: apex, type: .SOA))
        let soa4 = try #require(v4.rrset(at: apex, type: .SOA))
        let full = [try step(v1, v2), try step(v2, v3), try step(v3, v4)]
        func isFull(_ plan: IXFRPlan, _ expected: String) -> Bool {
            if case .full(let reason) = plan { return reason.contains(expected) }
            return false
        }
        #expect(isFull(IXFRPlan.plan(clientSerial: SerialNumber(9), served: soa4, journal: full), "does not reach serial 9"))
        #expect(isFull(IXFRPlan.plan(clientSerial: SerialNumber(10), served: soa4, journal: []), "it is empty"))
        // A missing step in the middle.
        #expect(isFull(IXFRPlan.plan(clientSerial: SerialNumber(10), served: soa4, journal: [full[0], full[2]]), "gap after serial 11"))
        // A journal that stops short of what is served.
        #expect(isFull(IXFRPlan.plan(clientSerial: SerialNumber(10), served: soa4, journal: Array(full.prefix(2))), "ends at serial 12"))
        // A serial used for two versions.
        #expect(isFull(IXFRPlan.plan(clientSerial: SerialNumber(10), served: soa4, journal: full + [full[0]]), "appears twice"))
        // 2^31 away: neither older nor newer.
        #expect(isFull(IXFRPlan.plan(clientSerial: SerialNumber(13 &+ 0x8000_0000), served: soa4, journal: full), "incomparable"))
        // Stored but not served yet (the store commits before the swap): the answer stops at what is served.
        guard case .incremental(let delta) = IXFRPlan.plan(clientSerial: SerialNumber(10), served: soa3, journal: full) else {
            Issue.record("a journal ahead of the served zone still answers")
            return
        }
        #expect(delta.toSerial == SerialNumber(12))
        #expect(try applyAsSecondary(delta, to: v1) == v3)
    }

    @Test func storedStepsRoundTripAndDamagedOnesAreRefused() throws {
        let v1 = try zone(serial: 1, "www A 192.0.2.1\nMixed.Case TXT \"kept\"\n")
        let v2 = try zone(serial: 2, "www AAAA 2001:db8::1\nsub NS ns.elsewhere.net.\n")
        let delta = try step(v1, v2)
        let bytes = JournalDeltaCodec.encode(delta)
        #expect(try JournalDeltaCodec.decode(bytes) == delta)
        // Every truncation, a trailing byte, another format version: an error, never a crash or a step.
        for length in 0..<bytes.count {
            #expect(throws: JournalError.self) { try JournalDeltaCodec.decode(Array(bytes.prefix(length))) }
        }
        #expect(throws: JournalError.self) { try JournalDeltaCodec.decode(bytes + [0]) }
        var otherVersion = bytes
        otherVersion[0] = 9
        #expect(throws: JournalError.self) { try JournalDeltaCodec.decode(otherVersion) }
        // A count no blob could hold.
        var lying = JournalDeltaCodec.encode(JournalDelta(oldSOA: delta.oldSOA, newSOA: delta.newSOA, deleted: [], added: []))
        lying.replaceSubrange((lying.count - 4)..., with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: JournalError.self) { try JournalDeltaCodec.decode(lying) }
    }

    @Test func limitsKeepTheNewestStepsThatFit() {
        let limits = JournalLimits(maxVersions: 3, maxBytes: 100)
        #expect(limits.dropCount(sizesOldestFirst: [10, 10]) == 0)
        #expect(limits.dropCount(sizesOldestFirst: [10, 10, 10, 10, 10]) == 2)
        #expect(limits.dropCount(sizesOldestFirst: [10, 60, 30, 20]) == 2)
        // A step larger than the byte limit alone is not kept, nor anything older.
        #expect(limits.dropCount(sizesOldestFirst: [10, 200]) == 2)
        #expect(JournalLimits(maxVersions: 0, maxBytes: 100).isDisabled)
    }

    @Test func anIncrementalResponseIsSplitLikeAnAXFR() throws {
        var old = ""
        var new = ""
        for i in 0..<600 {
            old += "host\(i) TXT \"version one of a text record long enough to fill messages \(i)\"\n"
            new += "host\(i) TXT \"version two of a text record long enough to fill messages \(i)\"\n"
        }
        let delta = try step(try zone(serial: 1, old), try zone(serial: 2, new))
        let request = Message.query(name: apex, type: .IXFR, id: 77, udpPayloadSize: nil)
        var writer = try AXFRWriter(ixfr: delta, request: request, messageSize: 4096, trailerReserve: 100)
        let raw = try writer.allMessages()
        #expect(raw.count > 5)
        #expect(raw.allSatisfy { $0.count <= 4096 - 100 })
        let records = try raw.map { try Message(decoding: $0) }.flatMap(\.answers)
        // RFC 1995 §4: new SOA, old SOA, deletions, new SOA, additions, new SOA.
        let soas = records.enumerated().filter { $0.element.type == .SOA }.map(\.offset)
        #expect(soas == [0, 1, 602, records.count - 1])
        #expect(records.count == 4 + 1200)
        #expect(records[1].rdata == delta.oldSOA.rdatas[0] && records[0].rdata == delta.newSOA.rdatas[0])
    }
}
