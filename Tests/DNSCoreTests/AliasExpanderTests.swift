import Testing
@testable import DNSCore

/// ALIAS expansion, the resolver-answer reader and the cache: the rules of issue 5's ALIAS part.
@Suite struct AliasExpanderTests {
    static let origin = try! DomainName("example.test.")
    static let elb = try! DomainName("usasearch-elb.ec2.aws.com.")
    static let other = try! DomainName("other-lb.example.net.")
    static let now: UInt64 = 1_800_000_000

    static func zone(_ body: String) -> Zone {
        let text = """
            $TTL 3600
            @ IN SOA ns1 hostmaster 1 7200 900 1209600 300
            @ IN NS ns1
            ns1 IN A 192.0.2.53

            """ + body
        var parser = ZoneFileParser(origin: origin)
        return Zone(records: try! parser.parse(text), origin: origin)
    }

    static func name(_ text: String) -> DomainName { try! DomainName(text, origin: origin) }
    static func a(_ text: String) -> RData { .a(A(IPv4Address(text)!)) }
    static func aaaa(_ text: String) -> RData { .aaaa(AAAA(IPv6Address(text)!)) }

    static func good(v4: [String] = ["203.0.113.1", "203.0.113.2"], v6: [String] = ["2001:db8::1"], ttl: UInt32 = 60,
                     target: DomainName = elb) -> AliasResolutionTable {
        var table = AliasResolutionTable()
        table[target, .v4] = .resolved(AliasAddresses(rdatas: v4.map(a), ttl: ttl))
        table[target, .v6] = .resolved(AliasAddresses(rdatas: v6.map(aaaa), ttl: ttl))
        return table
    }

    static func addresses(_ zone: Zone, _ owner: DomainName, _ type: RecordType) -> [String] {
        zone.rrset(at: owner, type: type)?.rdatas.map(\.presentation) ?? []
    }

    @Test func apexOrdinaryAndWildcardAliasesExpandIntoBothFamilies() throws {
        let zone = Self.zone("""
            @ 300 IN ALIAS usasearch-elb.ec2.aws.com.
            www 300 IN ALIAS usasearch-elb.ec2.aws.com.
            *.sites.infr 300 IN ALIAS usasearch-elb.ec2.aws.com.
            """)
        let result = try AliasExpander(now: Self.now).expand(zone, with: Self.good())
        for owner in [Self.origin, Self.name("www"), Self.name("*.sites.infr")] {
            #expect(result.zone.rrset(at: owner, type: .ALIAS) == nil)
            #expect(Self.addresses(result.zone, owner, .A) == ["203.0.113.1", "203.0.113.2"])
            #expect(Self.addresses(result.zone, owner, .AAAA) == ["2001:db8::1"])
        }
        #expect(result.problems.isEmpty)
        // The rest of the zone is untouched.
        #expect(result.zone.soa == zone.soa)
        #expect(Self.addresses(result.zone, Self.name("ns1"), .A) == ["192.0.2.53"])
        #expect(AliasExpander.targets(in: zone) == [Self.elb])
    }

    @Test func ttlIsTheSmallerOfAliasAndTargetTTL() throws {
        let zone = Self.zone("""
            short 30 IN ALIAS usasearch-elb.ec2.aws.com.
            long 86400 IN ALIAS usasearch-elb.ec2.aws.com.
            """)
        let result = try AliasExpander(now: Self.now).expand(zone, with: Self.good(ttl: 120))
        #expect(result.zone.rrset(at: Self.name("short"), type: .A)?.ttl == 30)
        #expect(result.zone.rrset(at: Self.name("short"), type: .AAAA)?.ttl == 30)
        #expect(result.zone.rrset(at: Self.name("long"), type: .A)?.ttl == 120)
        #expect(result.zone.rrset(at: Self.name("long"), type: .AAAA)?.ttl == 120)
    }

    @Test func nodataForOneFamilyLeavesThatFamilyOut() throws {
        let zone = Self.zone("www 300 IN ALIAS usasearch-elb.ec2.aws.com.\n")
        var table = Self.good()
        table[Self.elb, .v6] = .resolved(.nodata(ttl: 300))
        let result = try AliasExpander(now: Self.now).expand(zone, with: table)
        #expect(Self.addresses(result.zone, Self.name("www"), .A) == ["203.0.113.1", "203.0.113.2"])
        #expect(result.zone.rrset(at: Self.name("www"), type: .AAAA) == nil)
        #expect(result.problems.isEmpty)
    }

    @Test func explicitAddressRecordsWinPerType() throws {
        let zone = Self.zone("""
            www 300 IN ALIAS usasearch-elb.ec2.aws.com.
            www 600 IN A 198.51.100.7
            """)
        let result = try AliasExpander(now: Self.now).expand(zone, with: Self.good())
        // A is the zone's own; AAAA comes from the target.
        #expect(Self.addresses(result.zone, Self.name("www"), .A) == ["198.51.100.7"])
        #expect(result.zone.rrset(at: Self.name("www"), type: .A)?.ttl == 600)
        #expect(Self.addresses(result.zone, Self.name("www"), .AAAA) == ["2001:db8::1"])

        // An explicit family needs no resolution, even under `fail`.
        var table = Self.good()
        table[Self.elb, .v4] = .failed(.timeout)
        let again = try AliasExpander(policy: .fail, now: Self.now).expand(zone, with: table)
        #expect(Self.addresses(again.zone, Self.name("www"), .A) == ["198.51.100.7"])

        // The query-time path gives the same RRsets.
        let atQuery = try AliasExpander(now: Self.now).addressRRsets(at: Self.name("www"), in: zone, with: Self.good())
        #expect(atQuery.rrsets == [result.zone.rrset(at: Self.name("www"), type: .A)!,
                                   result.zone.rrset(at: Self.name("www"), type: .AAAA)!])
    }

    @Test(arguments: [AliasFailureReason.timeout, .serverFailure(.SERVFAIL), .nxdomain,
                      .cnameLoop([elb, other, elb]), .notResolved])
    func failPolicyRefusesNamingOwnerTargetAndReason(reason: AliasFailureReason) {
        let zone = Self.zone("*.sites.infr 300 IN ALIAS usasearch-elb.ec2.aws.com.\n")
        var table = Self.good()
        if reason == .notResolved { table.results = [:] } else { table[Self.elb, .v4] = .failed(reason) }
        #expect(throws: AliasExpansionError(owner: Self.name("*.sites.infr"), target: Self.elb, family: .v4, reason: reason)) {
            try AliasExpander(policy: .fail, now: Self.now).expand(zone, with: table)
        }
        do {
            _ = try AliasExpander(policy: .fail, now: Self.now).expand(zone, with: table)
        } catch {
            #expect(error.description.contains("*.sites.infr.example.test.")
                && error.description.contains("usasearch-elb.ec2.aws.com.") && error.description.contains(reason.description))
        }
    }

    @Test func ignorePolicyLeavesTheFailedFamilyOut() throws {
        let zone = Self.zone("@ 300 IN ALIAS usasearch-elb.ec2.aws.com.\n")
        var table = Self.good()
        table[Self.elb, .v4] = .failed(.nxdomain)
        let result = try AliasExpander(policy: .ignore, now: Self.now).expand(zone, with: table)
        #expect(result.zone.rrset(at: Self.origin, type: .A) == nil)
        #expect(Self.addresses(result.zone, Self.origin, .AAAA) == ["2001:db8::1"])
        #expect(result.zone.rrset(at: Self.origin, type: .ALIAS) == nil)
        #expect(result.problems == [AliasProblem(owner: Self.origin, target: Self.elb, family: .v4, reason: .nxdomain,
                                                 action: .leftOut)])
    }

    @Test func keepLastUsesAYoungEnoughLastAnswerAndFailsOtherwise() throws {
        let zone = Self.zone("www 300 IN ALIAS usasearch-elb.ec2.aws.com.\n")
        var table = Self.good()
        table[Self.elb, .v4] = .failed(.timeout)
        table.lastGood[AliasKey(target: Self.elb, family: .v4)] =
            AliasLastGood(addresses: AliasAddresses(rdatas: [Self.a("192.0.2.99")], ttl: 45), resolvedAt: Self.now - 100)

        let kept = try AliasExpander(policy: .keepLast(maxAge: 3600), now: Self.now).expand(zone, with: table)
        #expect(Self.addresses(kept.zone, Self.name("www"), .A) == ["192.0.2.99"])
        #expect(kept.zone.rrset(at: Self.name("www"), type: .A)?.ttl == 45)
        #expect(Self.addresses(kept.zone, Self.name("www"), .AAAA) == ["2001:db8::1"])
        #expect(kept.problems.map(\.action) == [.usedLastGood(age: 100)])

        // Too old: refused, saying why.
        #expect(throws: AliasExpansionError.self) {
            try AliasExpander(policy: .keepLast(maxAge: 99), now: Self.now).expand(zone, with: table)
        }
        // No last answer at all: refused.
        table.lastGood = [:]
        do {
            _ = try AliasExpander(policy: .keepLast(maxAge: 3600), now: Self.now).expand(zone, with: table)
            Issue.record("expansion without a last answer succeeded")
        } catch {
            #expect(error.detail == "no earlier answer to keep")
            #expect(error.reason == .timeout)
        }
    }

    // MARK: Reading resolver answers

    static func response(_ target: DomainName, _ type: RecordType, rcode: RCode = .NOERROR,
                         answers: [ResourceRecord], authority: [ResourceRecord] = []) -> Message {
        var message = Message.query(name: target, type: type, id: 7, recursionDesired: true).makeResponse(rcode: rcode)
        message.answers = answers
        message.authority = authority
        // Through the wire, as a real answer arrives.
        return try! Message(decoding: message.encode())
    }

    static func cname(_ from: DomainName, _ to: DomainName, ttl: UInt32) -> ResourceRecord {
        ResourceRecord(name: from, ttl: ttl, rdata: .cname(CNAME(target: to)))
    }

    @Test func readerFollowsACNAMEChainToTheAddressesWithTheSmallestTTL() {
        let step = try! DomainName("step.ec2.aws.com.")
        let message = Self.response(Self.other, .A, answers: [
            Self.cname(Self.other, step, ttl: 300),
            Self.cname(step, Self.elb, ttl: 40),
            ResourceRecord(name: Self.elb, ttl: 60, rdata: Self.a("203.0.113.1")),
            ResourceRecord(name: Self.elb, ttl: 60, rdata: Self.a("203.0.113.2")),
            // A record for a name off the chain is ignored.
            ResourceRecord(name: Self.origin, ttl: 1, rdata: Self.a("192.0.2.66")),
        ])
        #expect(AliasAnswerReader.read(message, target: Self.other, family: .v4)
            == .resolved(AliasAddresses(rdatas: [Self.a("203.0.113.1"), Self.a("203.0.113.2")], ttl: 40)))
    }

    @Test func readerDetectsCNAMELoopsAndOverlongChains() {
        let loop1 = try! DomainName("loop1.ec2.aws.com.")
        let loop2 = try! DomainName("loop2.ec2.aws.com.")
        let looped = Self.response(loop1, .AAAA, answers: [Self.cname(loop1, loop2, ttl: 60), Self.cname(loop2, loop1, ttl: 60)])
        #expect(AliasAnswerReader.read(looped, target: loop1, family: .v6) == .failed(.cnameLoop([loop1, loop2, loop1])))

        let names = (0...20).map { try! DomainName("c\($0).ec2.aws.com.") }
        let long = Self.response(names[0], .A, answers: (0..<20).map { Self.cname(names[$0], names[$0 + 1], ttl: 60) })
        #expect(AliasAnswerReader.read(long, target: names[0], family: .v4)
            == .failed(.cnameChainTooLong(AliasAnswerReader.maximumChain)))
    }

    @Test func readerMapsRcodesNodataAndWrongQuestions() throws {
        #expect(AliasAnswerReader.read(Self.response(Self.elb, .A, rcode: .NXDOMAIN, answers: []), target: Self.elb, family: .v4)
            == .failed(.nxdomain))
        #expect(AliasAnswerReader.read(Self.response(Self.elb, .A, rcode: .SERVFAIL, answers: []), target: Self.elb, family: .v4)
            == .failed(.serverFailure(.SERVFAIL)))
        var parser = ZoneFileParser(origin: try DomainName("ec2.aws.com."))
        let soa = try parser.parse("@ 900 IN SOA ns1 h 1 2 3 4 120\n")[0]
        #expect(AliasAnswerReader.read(Self.response(Self.elb, .AAAA, answers: [], authority: [soa]), target: Self.elb, family: .v6)
            == .resolved(.nodata(ttl: 120)))
        if case .failed(.badAnswer) = AliasAnswerReader.read(Self.response(Self.other, .A, answers: []), target: Self.elb, family: .v4) {
        } else {
            Issue.record("an answer to another question was used")
        }
    }

    // MARK: Cache

    @Test func cacheExpiresAtTTLAndListsEntriesDueForRefresh() {
        var cache = AliasCache(refreshMargin: 10)
        let v4 = AliasKey(target: Self.elb, family: .v4)
        let v6 = AliasKey(target: Self.elb, family: .v6)
        cache.record(.resolved(AliasAddresses(rdatas: [Self.a("203.0.113.1")], ttl: 60)), for: v4, now: 1000)
        cache.record(.resolved(AliasAddresses(rdatas: [Self.aaaa("2001:db8::1")], ttl: 300)), for: v6, now: 1000)

        #expect(cache.lookup(v4, now: 1020)?.ttl == 40)
        #expect(cache.needsRefresh(now: 1049).isEmpty)
        #expect(cache.needsRefresh(now: 1050) == [v4])
        #expect(cache.lookup(v4, now: 1059) != nil)
        #expect(cache.lookup(v4, now: 1060) == nil)

        // Expired: no current result, but still the last good answer for keep-last.
        let table = cache.table(now: 1060)
        #expect(table.results[v4] == nil)
        #expect(table.results[v6] == .resolved(AliasAddresses(rdatas: [Self.aaaa("2001:db8::1")], ttl: 240)))
        #expect(table.lastGood[v4]?.resolvedAt == 1000)

        // A failed refresh does not hide an answer still within its TTL, but asks for another refresh.
        cache.record(.failed(.timeout), for: v6, now: 1100)
        #expect(cache.table(now: 1100).results[v6] == .resolved(AliasAddresses(rdatas: [Self.aaaa("2001:db8::1")], ttl: 200)))
        #expect(cache.needsRefresh(now: 1100).contains(v6))
        // Past the TTL the failure is what the expander sees, with the old answer as the last good one.
        #expect(cache.table(now: 1300).results[v6] == .failed(.timeout))
        #expect(cache.table(now: 1300).lastGood[v6]?.resolvedAt == 1000)
        // A success clears the failure.
        cache.record(.resolved(.nodata(ttl: 30)), for: v6, now: 1310)
        #expect(cache.table(now: 1310).results[v6] == .resolved(.nodata(ttl: 30)))
        #expect(!cache.needsRefresh(now: 1310).contains(v6))
    }
}
