import Testing
@testable import DNSCore

/// ALIAS targets that must be authentic (issue 16 item 4): with the requirement on, only an answer a
/// validating resolver vouched for (AD) gives addresses; anything else is a failure with a reason the
/// operator can act on, and that failure goes through the zone's policy like any other.
@Suite struct AliasAuthenticityTests {
    static let origin: DomainName = "example.test."
    static let target: DomainName = "lb.signed.test."
    static let now: UInt64 = 1_800_000_000

    static func a(_ text: String) -> RData { .a(A(IPv4Address(text)!)) }

    /// A resolver's response to (target, type), through the wire as a real one arrives; `ede` adds an
    /// Extended DNS Error option with these bytes.
    static func response(_ type: RecordType = .A, rcode: RCode = .NOERROR, ad: Bool, answers: [ResourceRecord] = [],
                         authority: [ResourceRecord] = [], ede: [UInt8]? = nil) -> Message {
        var message = Message.query(name: target, type: type, id: 9, recursionDesired: true, do: true).makeResponse(rcode: rcode)
        message.flags.ad = ad
        message.flags.ra = true
        message.answers = answers
        message.authority = authority
        if let ede { message.edns?.options = [EDNS.Option(code: 15, data: ede)] }
        return try! Message(decoding: message.encode())
    }

    static func addresses(ttl: UInt32 = 300) -> [ResourceRecord] {
        [ResourceRecord(name: target, ttl: ttl, rdata: a("192.0.2.10")), ResourceRecord(name: target, ttl: ttl, rdata: a("192.0.2.11"))]
    }

    static func read(_ response: Message, family: AliasAddressFamily = .v4, required: Bool = true) -> AliasLookup {
        AliasAnswerReader.read(response, target: target, family: family, requireAuthenticated: required)
    }

    static func soa() throws -> ResourceRecord {
        var parser = ZoneFileParser(origin: "signed.test.")
        return try parser.parse("@ 900 IN SOA ns1 h 1 2 3 4 120\n")[0]
    }

    @Test func anAuthenticatedAnswerResolvesAndOneWithoutADIsRefusedWithTheReason() {
        let expected = AliasAddresses(rdatas: [Self.a("192.0.2.10"), Self.a("192.0.2.11")], ttl: 300)
        #expect(Self.read(Self.response(ad: true, answers: Self.addresses())) == .resolved(expected))

        let unvalidated = Self.read(Self.response(ad: false, answers: Self.addresses()))
        #expect(unvalidated == .failed(.unauthenticated("no AD bit")))
        if case .failed(let reason) = unvalidated {
            #expect(reason.description == "answer not authenticated (no AD bit)")
        }
        // Without the requirement the same answer is used, as before.
        #expect(Self.read(Self.response(ad: false, answers: Self.addresses()), required: false) == .resolved(expected))
    }

    @Test func unauthenticatedNoDataAndNXDomainAreFailuresNotEmptyAnswers() throws {
        let soa = try Self.soa()
        // A forged "no AAAA" would take the family out of the zone: without AD it is refused.
        #expect(Self.read(Self.response(.AAAA, ad: false, authority: [soa]), family: .v6)
            == .failed(.unauthenticated("no AD bit")))
        #expect(Self.read(Self.response(.AAAA, ad: true, authority: [soa]), family: .v6) == .resolved(.nodata(ttl: 120)))
        #expect(Self.read(Self.response(rcode: .NXDOMAIN, ad: false, authority: [soa])) == .failed(.unauthenticated("no AD bit")))
        #expect(Self.read(Self.response(rcode: .NXDOMAIN, ad: true, authority: [soa])) == .failed(.nxdomain))
    }

    @Test func aServfailTheResolverExplainsAsADNSSECFailureSaysSo() {
        // unbound with `ede: yes` explains a bogus answer (RFC 8914 code 6).
        let bogus = Self.response(rcode: .SERVFAIL, ad: false, ede: [0, 6] + Array("signature crypto failed".utf8))
        let lookup = Self.read(bogus)
        #expect(lookup == .failed(.unauthenticated("the resolver answered SERVFAIL: EDE 6 DNSSEC Bogus: signature crypto failed")))
        if case .failed(let reason) = lookup {
            #expect(reason.description
                == "answer not authenticated (the resolver answered SERVFAIL: EDE 6 DNSSEC Bogus: signature crypto failed)")
        }
        #expect(Self.read(Self.response(rcode: .SERVFAIL, ad: false, ede: [0, 7])) == .failed(.unauthenticated(
            "the resolver answered SERVFAIL: EDE 7 Signature Expired")))
        // A SERVFAIL for another reason (EDE 22 No Reachable Authority, or none) stays a server failure.
        #expect(Self.read(Self.response(rcode: .SERVFAIL, ad: false, ede: [0, 22])) == .failed(.serverFailure(.SERVFAIL)))
        #expect(Self.read(Self.response(rcode: .SERVFAIL, ad: false)) == .failed(.serverFailure(.SERVFAIL)))
        #expect(Self.read(Self.response(rcode: .REFUSED, ad: false)) == .failed(.serverFailure(.REFUSED)))
    }

    @Test func theResolversErrorTextIsCutAndStrippedOfControlCharacters() {
        let hostile = Self.response(rcode: .SERVFAIL, ad: false, ede: [0, 6] + Array("bad\n\u{1B}[31mred".utf8) + Array(repeating: 0x41, count: 1000))
        guard case .failed(.unauthenticated(let detail)) = Self.read(hostile) else {
            Issue.record("not refused as unauthenticated")
            return
        }
        #expect(!detail.contains("\n") && !detail.contains("\u{1B}"))
        #expect(detail.hasPrefix("the resolver answered SERVFAIL: EDE 6 DNSSEC Bogus: bad[31mredAAA"))
        #expect(detail.count <= "the resolver answered SERVFAIL: EDE 6 DNSSEC Bogus: ".count + AliasAuthenticity.maximumTextLength)
        // An option too short to hold a code is ignored.
        #expect(Self.read(Self.response(rcode: .SERVFAIL, ad: false, ede: [6])) == .failed(.serverFailure(.SERVFAIL)))
    }

    // MARK: Through the cache and the policies

    static let zone: Zone = {
        let text = """
            $TTL 3600
            @ IN SOA ns1 hostmaster 1 7200 900 1209600 300
            @ IN NS ns1
            @ 60 IN ALIAS lb.signed.test.
            @ 60 IN AAAA 2001:db8::1
            ns1 IN A 192.0.2.53

            """
        var parser = ZoneFileParser(origin: origin)
        return Zone(records: try! parser.parse(text), origin: origin)
    }()

    /// A cache that had an authenticated answer, then an answer without AD when it was refreshed.
    static func cacheAfterUnauthenticatedRefresh() -> AliasCache {
        var cache = AliasCache()
        let key = AliasKey(target: target, family: .v4)
        cache.record(read(response(ad: true, answers: addresses(ttl: 60))), for: key, now: now)
        cache.record(read(response(ad: false, answers: [ResourceRecord(name: target, ttl: 60, rdata: a("198.51.100.66"))])),
                     for: key, now: now + 120)
        return cache
    }

    @Test func anUnauthenticatedRefreshFailsUnderFailWithTheReason() {
        let table = Self.cacheAfterUnauthenticatedRefresh().table(now: Self.now + 120)
        do {
            _ = try AliasExpander(policy: .fail, now: Self.now + 120).expand(Self.zone, with: table)
            Issue.record("an unauthenticated answer was expanded under fail")
        } catch {
            #expect(error.description == "ALIAS example.test. -> lb.signed.test. A: answer not authenticated (no AD bit)")
        }
        let failures = AliasExpander.failures(in: Self.zone, with: table)
        #expect(failures.map(\.reason) == [.unauthenticated("no AD bit")])
    }

    @Test func keepLastKeepsTheLastAuthenticatedAddressesAndIgnoreLeavesTheTypeOut() throws {
        let table = Self.cacheAfterUnauthenticatedRefresh().table(now: Self.now + 120)
        let kept = try AliasExpander(policy: .keepLast(maxAge: 3600), now: Self.now + 120).expand(Self.zone, with: table)
        #expect(kept.zone.rrset(at: Self.origin, type: .A)?.rdatas.map(\.presentation) == ["192.0.2.10", "192.0.2.11"])
        #expect(kept.problems.map(\.description)
            == ["ALIAS example.test. -> lb.signed.test. A: answer not authenticated (no AD bit); using the last good answer (120 s old)"])

        let ignored = try AliasExpander(policy: .ignore, now: Self.now + 120).expand(Self.zone, with: table)
        #expect(ignored.zone.rrset(at: Self.origin, type: .A) == nil)
        // The explicit AAAA at the owner is untouched: only the failing type is left out.
        #expect(ignored.zone.rrset(at: Self.origin, type: .AAAA)?.rdatas.map(\.presentation) == ["2001:db8::1"])
        #expect(ignored.problems.map(\.description) == ["ALIAS example.test. -> lb.signed.test. A: answer not authenticated (no AD bit); A left out"])
    }
}
