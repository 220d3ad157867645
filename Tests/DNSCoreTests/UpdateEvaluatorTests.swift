import DNSCore
import Foundation
import Testing

/// RFC 2136 in DNSCore: the UPDATE decoder on hostile bytes, the prerequisites (§3.2) with their RCODEs,
/// and the changes (§3.4) with the cases the RFC says to ignore.
@Suite struct UpdateEvaluatorTests {
    static let origin = try! DomainName("example.com.")

    static func name(_ text: String) -> DomainName { try! DomainName(text, origin: origin) }

    static var zone: Zone {
        try! Zone(parsing: """
            $ORIGIN example.com.
            @ 3600 SOA ns1 hostmaster 10 3600 600 86400 300
            @ 3600 NS ns1
            @ 3600 NS ns2
            @ 60 ALIAS lb.example.net.
            ns1 300 A 192.0.2.53
            ns2 300 A 192.0.2.54
            www 300 A 192.0.2.1
            www 300 A 192.0.2.2
            alias 300 CNAME www
            txt 300 TXT "hello"

            """, origin: origin)
    }

    static func a(_ address: String) -> RData { .a(A(IPv4Address(address)!)) }

    static func add(_ owner: String, _ ttl: UInt32, _ rdata: RData) -> UpdateRecord {
        UpdateRecord(name: name(owner), type: rdata.type, dnsClass: .IN, ttl: ttl, rdata: rdata)
    }

    static func message(prerequisites: [UpdateRecord] = [], updates: [UpdateRecord] = []) -> UpdateMessage {
        UpdateMessage(id: 7, zones: [Question(name: origin, type: .SOA)], prerequisites: prerequisites, updates: updates)
    }

    /// Evaluates `message` on the fixture zone: the refusal's RCODE, or the zone after it.
    static func run(_ message: UpdateMessage) -> Result<Zone, UpdateRefusal> {
        var zone = Self.zone
        do {
            try UpdateEvaluator.evaluate(message, zone: &zone)
            return .success(zone)
        } catch {
            return .failure(error)
        }
    }

    static func rcode(_ message: UpdateMessage) -> RCode? {
        if case .failure(let refusal) = run(message) { return refusal.rcode }
        return nil
    }

    // MARK: Decoding

    @Test func encodedUpdatesDecodeToTheSameSections() throws {
        var message = Self.message(
            prerequisites: [UpdateRecord(name: Self.name("www"), type: .A, dnsClass: .ANY, ttl: 0)],
            updates: [Self.add("new", 300, Self.a("192.0.2.9")), UpdateRecord(name: Self.name("txt"), type: .TXT, dnsClass: .ANY, ttl: 0)])
        message.edns = EDNS(udpPayloadSize: 1232)
        let decoded = try UpdateMessage(decoding: message.encode())
        #expect(decoded.id == 7 && decoded.flags.opcode == .UPDATE)
        #expect(decoded.zones == message.zones)
        #expect(decoded.prerequisites == message.prerequisites)
        #expect(decoded.updates == message.updates)
        #expect(decoded.prerequisites[0].rdata == nil, "RDLENGTH 0 reads as no data")
        #expect(decoded.edns?.udpPayloadSize == 1232)
        #expect(UpdateMessage.isRequest(message.encode()))
        #expect(!UpdateMessage.isRequest(Message.query(name: Self.origin, type: .SOA, id: 1).encode()))
    }

    /// The fuzzer's seeds: updates dnspython writes as nsupdate-like clients do (Fuzz/corpus/update).
    @Test func updatesWrittenByDnspythonDecode() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/corpus/update")
        let read = { (name: String) throws -> UpdateMessage in
            try UpdateMessage(decoding: Array(try Data(contentsOf: folder.appendingPathComponent(name + ".bin"))))
        }
        let mixed = try read("prerequisites-and-deletes")
        #expect(mixed.prerequisites.map(\.dnsClass) == [.ANY, .NONE, .ANY, .NONE, .IN])
        #expect(mixed.updates.map(\.dnsClass) == [.ANY, .IN, .ANY, .ANY, .NONE], "replace = delete RRset + add; then the three deletes")
        var zone = Self.zone
        #expect(throws: UpdateRefusal.self) { try UpdateEvaluator.evaluate(mixed, zone: &zone) }
        let signed = try read("alias-signed-edns")
        #expect(signed.tsig != nil && signed.tsigOffset != nil && signed.edns?.udpPayloadSize == 1232)
        #expect(signed.updates.first?.rdata == .alias(ALIAS(target: try DomainName("lb.example.net."))))
        #expect(try read("add").updates.count == 2)
    }

    @Test func malformedUpdatesAreWireErrorsNeverCrashes() throws {
        let good = Self.message(updates: [Self.add("new", 300, Self.a("192.0.2.9"))]).encode()
        #expect(throws: WireError.self) { try UpdateMessage(decoding: Array(good.dropLast(2))) }
        #expect(throws: WireError.self) { try UpdateMessage(decoding: good + [0]) }
        #expect(throws: WireError.self) { try UpdateMessage(decoding: Array(good.prefix(11))) }
        // An OPT record in the update section is structural nonsense.
        var opt = Self.message().encode()
        opt[9] = 1  // UPCOUNT 1
        opt += [0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 0]
        #expect(throws: WireError.self) { try UpdateMessage(decoding: opt) }
        // An A record whose RDATA is 3 bytes.
        var short = Self.message().encode()
        short[9] = 1
        short += [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 3, 1, 2, 3]
        #expect(throws: WireError.self) { try UpdateMessage(decoding: short) }
        // Random damage: every outcome is a decoded message or a WireError.
        var generator = SplitMix64(seed: 2136)
        for _ in 0..<5000 {
            var bytes = good
            for _ in 0..<(1 + Int(generator.next() % 8)) {
                bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
            }
            if generator.next() % 4 == 0 { bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count)))) }
            _ = try? UpdateMessage(decoding: bytes)
        }
    }

    @Test func theZoneSectionMustNameOneSOA() {
        var none = Self.message()
        none.zones = []
        #expect(Self.rcode(none) == .FORMERR)
        var two = Self.message()
        two.zones.append(two.zones[0])
        #expect(Self.rcode(two) == .FORMERR)
        var notSOA = Self.message()
        notSOA.zones = [Question(name: Self.origin, type: .A)]
        #expect(Self.rcode(notSOA) == .FORMERR)
        var other = Self.message()
        other.zones = [Question(name: try! DomainName("example.org."), type: .SOA)]
        #expect(Self.rcode(other) == .NOTAUTH)
    }

    // MARK: Prerequisites (§3.2)

    @Test func eachPrerequisiteFailsWithItsRCODE() {
        func prerequisite(_ owner: String, _ type: RecordType, _ dnsClass: DNSClass, ttl: UInt32 = 0, _ rdata: RData? = nil) -> RCode? {
            Self.rcode(Self.message(prerequisites: [UpdateRecord(name: Self.name(owner), type: type, dnsClass: dnsClass, ttl: ttl, rdata: rdata)]))
        }
        #expect(prerequisite("www", .A, .ANY) == nil, "RRset exists")
        #expect(prerequisite("www", .AAAA, .ANY) == .NXRRSET)
        #expect(prerequisite("www", .ANY, .ANY) == nil, "name in use")
        #expect(prerequisite("nothere", .ANY, .ANY) == .NXDOMAIN)
        #expect(prerequisite("www", .AAAA, .NONE) == nil, "RRset does not exist")
        #expect(prerequisite("www", .A, .NONE) == .YXRRSET)
        #expect(prerequisite("nothere", .ANY, .NONE) == nil, "name not in use")
        #expect(prerequisite("www", .ANY, .NONE) == .YXDOMAIN)
        #expect(prerequisite("www", .A, .ANY, ttl: 5) == .FORMERR, "TTL must be 0")
        #expect(prerequisite("www", .A, .ANY, Self.a("192.0.2.1")) == .FORMERR, "exists carries no data")
        #expect(prerequisite("www", .A, .CH) == .FORMERR)
        #expect(Self.rcode(Self.message(prerequisites: [
            UpdateRecord(name: try! DomainName("www.example.org."), type: .A, dnsClass: .ANY, ttl: 0),
        ])) == .NOTZONE)
    }

    @Test func aValuePrerequisiteMustMatchTheWholeRRset() {
        func value(_ addresses: [String]) -> RCode? {
            Self.rcode(Self.message(prerequisites: addresses.map {
                UpdateRecord(name: Self.name("www"), type: .A, dnsClass: .IN, ttl: 0, rdata: Self.a($0))
            }))
        }
        #expect(value(["192.0.2.2", "192.0.2.1"]) == nil, "the same records in another order")
        #expect(value(["192.0.2.1"]) == .NXRRSET, "a subset is not the RRset")
        #expect(value(["192.0.2.1", "192.0.2.2", "192.0.2.3"]) == .NXRRSET)
    }

    // MARK: Changes (§3.4)

    @Test func addsJoinTheRRsetAndGiveItTheirTTL() throws {
        let zone = try Self.run(Self.message(updates: [Self.add("www", 60, Self.a("192.0.2.3"))])).get()
        let set = zone.rrset(at: Self.name("www"), type: .A)
        #expect(set?.count == 3)
        #expect(set?.ttl == 60)
        var unchanged = Self.zone
        #expect(try UpdateEvaluator.evaluate(Self.message(updates: [Self.add("www", 300, Self.a("192.0.2.1"))]), zone: &unchanged) == false,
                "adding a record that is there changes nothing")
    }

    @Test func deletesOfRRsetsNamesAndRecords() throws {
        let rrset = try Self.run(Self.message(updates: [UpdateRecord(name: Self.name("www"), type: .A, dnsClass: .ANY, ttl: 0)])).get()
        #expect(rrset.rrset(at: Self.name("www"), type: .A) == nil)
        let record = try Self.run(Self.message(updates: [
            UpdateRecord(name: Self.name("www"), type: .A, dnsClass: .NONE, ttl: 0, rdata: Self.a("192.0.2.1")),
        ])).get()
        #expect(record.rrset(at: Self.name("www"), type: .A)?.rdatas == [Self.a("192.0.2.2")])
        let name = try Self.run(Self.message(updates: [UpdateRecord(name: Self.name("txt"), type: .ANY, dnsClass: .ANY, ttl: 0)])).get()
        #expect(name.rrsets(at: Self.name("txt")).isEmpty)
        // At the apex, deleting every RRset keeps the SOA and NS (§3.4.2.3); the ALIAS goes.
        let apex = try Self.run(Self.message(updates: [UpdateRecord(name: Self.origin, type: .ANY, dnsClass: .ANY, ttl: 0)])).get()
        #expect(apex.rrsets(at: Self.origin).map(\.type) == [.NS, .SOA])
    }

    @Test func whatRFC2136IgnoresIsIgnored() throws {
        let zone = Self.zone
        // Deleting the apex SOA or NS RRset, the last apex NS, the SOA record.
        let kept = try Self.run(Self.message(updates: [
            UpdateRecord(name: Self.origin, type: .SOA, dnsClass: .ANY, ttl: 0),
            UpdateRecord(name: Self.origin, type: .NS, dnsClass: .ANY, ttl: 0),
            UpdateRecord(name: Self.origin, type: .NS, dnsClass: .NONE, ttl: 0, rdata: .ns(NS(target: Self.name("ns1")))),
            UpdateRecord(name: Self.origin, type: .NS, dnsClass: .NONE, ttl: 0, rdata: .ns(NS(target: Self.name("ns2")))),
        ])).get()
        #expect(kept.rrset(at: Self.origin, type: .NS)?.count == 1, "the last apex NS stays")
        #expect(kept.soa == zone.soa)
        // An SOA with an older serial is ignored, a newer one replaces.
        var soa = zone.soa!
        soa.serial = SerialNumber(9)
        #expect(try Self.run(Self.message(updates: [Self.add("@", 3600, .soa(soa))])).get().soa?.serial == SerialNumber(10))
        soa.serial = SerialNumber(11)
        #expect(try Self.run(Self.message(updates: [Self.add("@", 3600, .soa(soa))])).get().soa?.serial == SerialNumber(11))
        // A CNAME beside data, and data beside a CNAME.
        let cname = try Self.run(Self.message(updates: [
            Self.add("www", 300, .cname(CNAME(target: Self.name("txt")))), Self.add("alias", 300, Self.a("192.0.2.7")),
        ])).get()
        #expect(cname == zone)
        // An ALIAS replaces the ALIAS at its name.
        let alias = try Self.run(Self.message(updates: [Self.add("@", 60, .alias(ALIAS(target: try DomainName("lb2.example.net."))))])).get()
        #expect(alias.rrset(at: Self.origin, type: .ALIAS)?.rdatas == [.alias(ALIAS(target: try DomainName("lb2.example.net.")))])
    }

    @Test func oneBadChangeRefusesTheWholeUpdate() {
        var zone = Self.zone
        let bad = Self.message(updates: [
            Self.add("new", 300, Self.a("192.0.2.9")),
            UpdateRecord(name: Self.name("www"), type: .A, dnsClass: .ANY, ttl: 300),
        ])
        #expect(throws: UpdateRefusal.self) { try UpdateEvaluator.evaluate(bad, zone: &zone) }
        #expect(zone == Self.zone, "the prescan refuses before anything is applied")
        #expect(Self.rcode(Self.message(updates: [UpdateRecord(name: Self.name("x"), type: .ANY, dnsClass: .IN, ttl: 0)])) == .FORMERR)
        #expect(Self.rcode(Self.message(updates: [UpdateRecord(name: Self.name("x"), type: .A, dnsClass: .IN, ttl: 0)])) == .FORMERR,
                "an A record needs its 4 bytes")
        #expect(Self.rcode(Self.message(updates: [Self.add("x", 0x8000_0000, Self.a("192.0.2.1"))])) == .FORMERR)
        #expect(Self.rcode(Self.message(updates: [
            UpdateRecord(name: try! DomainName("x.example.org."), type: .A, dnsClass: .IN, ttl: 0, rdata: Self.a("192.0.2.1")),
        ])) == .NOTZONE)
    }

    // MARK: Scope

    @Test func aScopeLimitsNamesAndTypes() throws {
        let scope = UpdateScope(
            names: [try .init(parsing: "_acme-challenge", origin: Self.origin), try .init(parsing: "*._acme-challenge", origin: Self.origin)],
            types: [.TXT])
        #expect(scope.permits(name: Self.name("_acme-challenge"), type: .TXT))
        #expect(scope.permits(name: Self.name("www._acme-challenge"), type: .TXT))
        #expect(!scope.permits(name: Self.name("_acme-challenge"), type: .A))
        #expect(!scope.permits(name: Self.name("www"), type: .TXT))
        #expect(!scope.permits(name: Self.name("_acme-challenge"), type: .ANY), "deleting every type needs a scope without types")
        let violation = scope.firstViolation(in: [Self.add("www", 300, .txt(TXT(strings: [Array("x".utf8)])))])
        #expect(violation?.reason.contains("outside the scope") == true)
        #expect(UpdateScope.everything.permits(name: Self.name("anything"), type: .ANY))
    }
}
