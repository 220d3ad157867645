import DNSCore
import Foundation
import Testing

@testable import Primary

/// The pieces of the daemon's refresh that need no network: the cache's refresh schedule (TTL margin,
/// `--refresh` as an upper bound, retry spacing, restored answers), the list of failures the daemon logs,
/// and the rule that a TTL alone never raises a serial.
@Suite("ALIAS refresh")
struct AliasRefreshTests {
    static let elb = try! DomainName("lb.example.net.")
    static let v4 = AliasKey(target: elb, family: .v4)
    static let v6 = AliasKey(target: elb, family: .v6)
    static func a(_ text: String) -> RData { .a(A(IPv4Address(text)!)) }

    static func zone(_ body: String) throws -> Zone {
        try Zone(parsing: "$ORIGIN example.test.\n$TTL 300\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.53\n" + body,
                 origin: DomainName("example.test."), file: "test")
    }

    @Test func answersAreRefreshedBeforeTheirTTLAndAtLeastEveryMaxAge() {
        var cache = AliasCache(refreshMargin: 5)
        cache.record(.resolved(AliasAddresses(rdatas: [Self.a("192.0.2.1")], ttl: 300)), for: Self.v4, now: 1000)
        cache.record(.resolved(AliasAddresses(rdatas: [Self.a("192.0.2.1")], ttl: 4)), for: Self.v6, now: 1000)
        // A 4 s TTL is refreshed at half its life, not on every pass.
        #expect(cache.needsRefresh(now: 1001, maxAge: nil, retryAfter: 5).isEmpty)
        #expect(cache.needsRefresh(now: 1002, maxAge: nil, retryAfter: 5) == [Self.v6])
        // A long TTL is still looked up again after maxAge (`--refresh`).
        #expect(cache.needsRefresh(now: 1029, maxAge: 30, retryAfter: 5) == [Self.v6])
        #expect(cache.needsRefresh(now: 1030, maxAge: 30, retryAfter: 5) == [Self.v4, Self.v6])
        #expect(cache.needsRefresh(now: 1294, maxAge: nil, retryAfter: 5) == [Self.v6])
        #expect(cache.needsRefresh(now: 1295, maxAge: nil, retryAfter: 5) == [Self.v4, Self.v6])
    }

    @Test func failuresAreRetriedAfterAPause() {
        var cache = AliasCache()
        cache.record(.failed(.timeout), for: Self.v4, now: 1000)
        #expect(cache.needsRefresh(now: 1004, maxAge: 30, retryAfter: 5).isEmpty)
        #expect(cache.needsRefresh(now: 1005, maxAge: 30, retryAfter: 5) == [Self.v4])
        #expect(cache.needsRefresh(now: 1000) == [Self.v4], "the old form retries at once")
    }

    @Test func aZeroTTLIsUsableForTheMinimumLifetime() {
        var cache = AliasCache(refreshMargin: 5, minimumLifetime: 5)
        cache.record(.resolved(AliasAddresses(rdatas: [Self.a("192.0.2.1")], ttl: 0)), for: Self.v4, now: 1000)
        #expect(cache.table(now: 1004, countDown: false).results[Self.v4] == .resolved(AliasAddresses(rdatas: [Self.a("192.0.2.1")], ttl: 0)))
        #expect(cache.lookup(Self.v4, now: 1004)?.ttl == 0, "never counted up past the TTL received")
        #expect(cache.table(now: 1005).results[Self.v4] == nil)
    }

    @Test func tableWithoutCountDownKeepsTheTTLReceived() {
        var cache = AliasCache()
        cache.record(.resolved(AliasAddresses(rdatas: [Self.a("192.0.2.1")], ttl: 60)), for: Self.v4, now: 1000)
        #expect(cache.table(now: 1030, countDown: false).results[Self.v4] == .resolved(AliasAddresses(rdatas: [Self.a("192.0.2.1")], ttl: 60)))
        #expect(cache.table(now: 1030).results[Self.v4] == .resolved(AliasAddresses(rdatas: [Self.a("192.0.2.1")], ttl: 30)))
    }

    @Test func restoredAnswersAreLastGoodAndNewerOnesWin() {
        var cache = AliasCache()
        cache.restore(AliasAddresses(rdatas: [Self.a("192.0.2.1")], ttl: 60), for: Self.v4, resolvedAt: 1000)
        // Long expired at 5000: no current result, but the answer for keep-last.
        let table = cache.table(now: 5000, countDown: false)
        #expect(table.results[Self.v4] == nil)
        #expect(table.lastGood[Self.v4]?.resolvedAt == 1000)
        #expect(cache.needsRefresh(now: 5000, maxAge: 30, retryAfter: 5) == [Self.v4])
        cache.record(.resolved(AliasAddresses(rdatas: [Self.a("192.0.2.2")], ttl: 60)), for: Self.v4, now: 5001)
        cache.restore(AliasAddresses(rdatas: [Self.a("192.0.2.1")], ttl: 60), for: Self.v4, resolvedAt: 1000)
        #expect(cache.entries[Self.v4]?.addresses.rdatas == [Self.a("192.0.2.2")])
        cache.retain([Self.v6])
        #expect(cache.entries.isEmpty)
    }

    @Test func failuresListEveryOwnerAndFamilyTheZoneLooksUp() throws {
        let zone = try Self.zone("""
            @ 60 ALIAS lb.example.net.
            *.sites 60 ALIAS lb.example.net.
            www 60 ALIAS other.example.net.
            www 60 AAAA 2001:db8::80

            """)
        #expect(AliasExpander.keys(in: zone) == [Self.v4, Self.v6, AliasKey(target: try DomainName("other.example.net."), family: .v4)],
                "www holds its AAAA explicitly: only its A is looked up")
        var table = AliasResolutionTable()
        table.results[Self.v4] = .failed(.nxdomain)
        table.results[Self.v6] = .resolved(.nodata(ttl: 30))
        let failures = AliasExpander.failures(in: zone, with: table)
        #expect(failures.map { "\($0.owner.text) \($0.family) \($0.reason)" } == [
            "example.test. A NXDOMAIN", "*.sites.example.test. A NXDOMAIN", "www.example.test. A not resolved yet",
        ])
    }

    @Test func aTTLAloneIsNotAChangeAddressesAre() throws {
        let old = try Self.zone("@ 45 A 192.0.2.10\n@ 45 A 192.0.2.11\n")
        let ttl = try Self.zone("@ 30 A 192.0.2.11\n@ 30 A 192.0.2.10\n")
        let moved = try Self.zone("@ 45 A 192.0.2.10\n@ 45 A 192.0.2.12\n")
        let gone = try Self.zone("")
        #expect(ExpandingPublisher.sameRecords(old, ttl))
        #expect(!ExpandingPublisher.sameRecords(old, moved))
        #expect(!ExpandingPublisher.sameRecords(old, gone))
        #expect(!ExpandingPublisher.sameRecords(gone, old))
    }
}
