import Foundation
import Testing
@testable import DNSCore

private let base = """
    $TTL 3600
    @ SOA ns1 hostmaster 1 7200 3600 1209600 300
    @ NS ns1
    ns1 A 192.0.2.53
    www A 192.0.2.1
    www AAAA 2001:db8::1
    mail MX 10 ns1

    """

private func zone(_ text: String) throws -> Zone { try Zone(parsing: text, origin: "example.com.") }

private func summary(_ sets: [RRset]) -> [String] { sets.flatMap(\.records).map(\.description) }

@Suite struct ZoneDiffTests {
    @Test func identicalZonesHaveAnEmptyDiff() throws {
        let old = try zone(base)
        // Same data written differently (order, relative vs absolute names, case) is no change.
        let new = try zone("""
            $ORIGIN example.com.
            $TTL 1h
            MAIL.example.com. MX 10 ns1.example.com.
            www AAAA 2001:db8:0::1
            www A 192.0.2.1
            ns1 A 192.0.2.53
            @ NS ns1
            @ SOA ns1 hostmaster 1 2h 1h 2w 5m
            """)
        let diff = ZoneDiff(from: old, to: new)
        #expect(diff.isEmpty)
        #expect(old.applying(diff) == new)
    }

    @Test func oneRecordAdded() throws {
        let old = try zone(base)
        let new = try zone(base + "www A 192.0.2.2\n")
        let diff = ZoneDiff(from: old, to: new)
        #expect(summary(diff.removed) == ["www.example.com.\t3600\tIN\tA\t192.0.2.1"])
        #expect(summary(diff.added) == [
            "www.example.com.\t3600\tIN\tA\t192.0.2.1", "www.example.com.\t3600\tIN\tA\t192.0.2.2",
        ])
        #expect(old.applying(diff) == new)
    }

    @Test func newNameAdded() throws {
        let old = try zone(base)
        let new = try zone(base + "ftp A 192.0.2.3\n")
        let diff = ZoneDiff(from: old, to: new)
        #expect(diff.removed.isEmpty)
        #expect(summary(diff.added) == ["ftp.example.com.\t3600\tIN\tA\t192.0.2.3"])
        let applied = old.applying(diff)
        #expect(applied == new)
        #expect(applied.names == new.names)
    }

    @Test func ttlChangeReplacesTheRRset() throws {
        let old = try zone(base)
        let new = try zone(base.replacingOccurrences(of: "www A 192", with: "www 60 A 192"))
        let diff = ZoneDiff(from: old, to: new)
        #expect(summary(diff.removed) == ["www.example.com.\t3600\tIN\tA\t192.0.2.1"])
        #expect(summary(diff.added) == ["www.example.com.\t60\tIN\tA\t192.0.2.1"])
        #expect(old.applying(diff) == new)
    }

    @Test func rrsetRemoved() throws {
        let old = try zone(base)
        let new = try zone(base.replacingOccurrences(of: "www AAAA 2001:db8::1\n", with: ""))
        let diff = ZoneDiff(from: old, to: new)
        #expect(diff.added.isEmpty)
        #expect(summary(diff.removed) == ["www.example.com.\t3600\tIN\tAAAA\t2001:db8::1"])
        #expect(old.applying(diff) == new)
    }

    @Test func nameRemoved() throws {
        let old = try zone(base)
        let new = try zone(base.replacingOccurrences(of: "www A 192.0.2.1\nwww AAAA 2001:db8::1\n", with: ""))
        let diff = ZoneDiff(from: old, to: new)
        #expect(diff.added.isEmpty)
        #expect(diff.removed.map(\.type) == [.A, .AAAA])
        let applied = old.applying(diff)
        #expect(applied == new)
        #expect(!applied.contains("www.example.com."))
        #expect(applied.names == new.names)
    }

    @Test func serialBumpShowsAsSOAChange() throws {
        let old = try zone(base)
        let new = try zone(base.replacingOccurrences(of: "hostmaster 1 ", with: "hostmaster 2 "))
        let diff = ZoneDiff(from: old, to: new)
        #expect(diff.removed.map(\.type) == [.SOA] && diff.added.map(\.type) == [.SOA])
        #expect(old.applying(diff).serial == SerialNumber(2))
    }

    @Test func diffIsInCanonicalOrderAndRoundTrips() throws {
        var oldText = base
        var newText = base
        for i in 0..<300 {
            if i % 3 != 0 { oldText += "h\(i) A 10.0.\(i / 256).\(i % 256)\n" }
            if i % 5 != 0 { newText += "h\(i) A 10.0.\(i / 256).\(i % 256)\n" }
            if i % 7 == 0 { newText += "h\(i) TXT \"seven \(i)\"\n" }
        }
        let old = try zone(oldText)
        let new = try zone(newText)
        let diff = ZoneDiff(from: old, to: new)
        #expect(!diff.isEmpty)
        for list in [diff.added, diff.removed] {
            let names = list.map(\.name)
            #expect(zip(names, names.dropFirst()).allSatisfy { !($1 < $0) })
        }
        let applied = old.applying(diff)
        #expect(applied == new)
        #expect(applied.names == new.names)
        #expect(ZoneDiff(from: new, to: old).added == diff.removed)
        #expect(new.applying(ZoneDiff(from: new, to: old)) == old)
    }

    @Test func removingAndReaddingANameInOneDiff() throws {
        let old = try zone(base)
        let diff = ZoneDiff(
            added: [RRset(name: "www.example.com.", type: .TXT, ttl: 5, rdatas: [.txt(TXT(strings: [[0x61]]))])],
            removed: old.rrsets(at: "www.example.com."))
        let applied = old.applying(diff)
        #expect(applied.rrsets(at: "www.example.com.").map(\.type) == [.TXT])
        #expect(applied.names == old.names)
    }
}
