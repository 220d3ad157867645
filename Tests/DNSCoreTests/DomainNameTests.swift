import Testing
@testable import DNSCore

@Suite("Domain names")
struct DomainNameTests {
    @Test func parsesEscapesAndPrintsThemBack() throws {
        let name = try DomainName("a\\.b.c\\032d.\\065x.example.", origin: nil)
        #expect(name.labels.map { Array($0) } == [Array("a.b".utf8), Array("c d".utf8), Array("Ax".utf8), Array("example".utf8)])
        #expect(name.text == "a\\.b.c\\032d.Ax.example.")
        #expect(try DomainName(name.text, origin: nil) == name)
        let binary = try DomainName(labels: [[0, 255, UInt8(ascii: "@")]])
        #expect(binary.text == "\\000\\255\\@.")
    }

    @Test func relativeNamesAndTheOrigin() throws {
        let origin: DomainName = "example.com."
        #expect(try DomainName("www", origin: origin).text == "www.example.com.")
        #expect(try DomainName("@", origin: origin) == origin)
        #expect(try DomainName(".", origin: origin) == DomainName.root)
        #expect(throws: NameError.relativeWithoutOrigin("www")) { try DomainName("www", origin: nil) }
    }

    @Test func enforcesLimits() throws {
        let label63 = String(repeating: "a", count: 63)
        #expect(try DomainName("\(label63).example.", origin: nil).labelCount == 2)
        #expect(throws: NameError.labelTooLong(length: 64)) { try DomainName("\(label63)a.example.", origin: nil) }
        // 4 labels of 63 bytes = 4 * 64 + 1 = 257 bytes on the wire.
        let long = Array(repeating: label63, count: 4).joined(separator: ".") + "."
        #expect(throws: NameError.nameTooLong(length: 257)) { try DomainName(long, origin: nil) }
        // 253 characters of text is the longest name that fits in 255 wire bytes.
        let fits = Array(repeating: label63, count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 61) + "."
        #expect(try DomainName(fits, origin: nil).wire.count == 255)
        #expect(throws: NameError.emptyLabel) { try DomainName("a..b.", origin: nil) }
        #expect(throws: NameError.badEscape("a\\25")) { try DomainName("a\\25", origin: .root) }
        #expect(throws: NameError.badEscape("a\\256")) { try DomainName("a\\256", origin: .root) }
        // Completing a relative name can push it over the limit.
        let origin = try DomainName(Array(repeating: label63, count: 3).joined(separator: ".") + ".", origin: nil)
        #expect(throws: NameError.nameTooLong(length: 257)) { try DomainName(label63, origin: origin) }
    }

    @Test func equalityAndHashingIgnoreCase() throws {
        let a: DomainName = "WWW.Example.COM."
        let b: DomainName = "www.example.com."
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
        #expect(a.text == "WWW.Example.COM.", "case is kept for printing")
        #expect(a.lowercased().text == "www.example.com.")
    }

    /// The example list of RFC 4034 §6.1, in canonical order.
    @Test func canonicalOrderIsRFC4034() throws {
        let ordered = [
            "example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.", "zABC.a.EXAMPLE.", "z.example.",
            "\\001.z.example.", "*.z.example.", "\\200.z.example.",
        ].map { try! DomainName($0, origin: nil) }
        #expect(ordered.shuffled().sorted() == ordered)
        for (x, y) in zip(ordered, ordered.dropFirst()) {
            #expect(x < y)
            #expect(!(y < x))
        }
    }

    @Test func hierarchy() throws {
        let name: DomainName = "a.b.example.com."
        #expect(name.isSubdomain(of: "example.com."))
        #expect(name.isSubdomain(of: "EXAMPLE.com."))
        #expect(name.isSubdomain(of: name))
        #expect(!name.isSubdomain(of: "ample.com."), "suffix must start on a label boundary")
        #expect(name.parent == "b.example.com.")
        #expect(name.suffix(labels: 2) == "example.com.")
        #expect(DomainName.root.parent == nil)
        #expect(try DomainName("*.wild.example.", origin: nil).isWildcard)
        #expect(DomainName("wild.example.").wildcard == "*.wild.example.")
    }
}

@Suite("SOA serial arithmetic (RFC 1982)")
struct SerialNumberTests {
    @Test func comparesAcrossTheWrap() {
        #expect(SerialNumber(1) < SerialNumber(2))
        #expect(SerialNumber(0xFFFF_FFFF) < SerialNumber(0), "0 follows 2^32-1")
        #expect(SerialNumber(0xFFFF_FFF0) < SerialNumber(5))
        #expect(!(SerialNumber(5) < SerialNumber(5)))
        // Exactly 2^31 apart: undefined, neither is greater.
        #expect(!(SerialNumber(0) < SerialNumber(0x8000_0000)))
        #expect(!(SerialNumber(0x8000_0000) < SerialNumber(0)))
    }

    @Test func additionWrapsAndNextIsAlwaysGreater() {
        #expect(SerialNumber(0xFFFF_FFFF).adding(1) == SerialNumber(0))
        let current = SerialNumber(2024010105)
        #expect(current.next(atLeast: SerialNumber(2024010200)) == SerialNumber(2024010200))
        #expect(current.next(atLeast: SerialNumber(2024010101)) == SerialNumber(2024010106), "a date policy never goes back")
        #expect(SerialNumber(0xFFFF_FFFF).next(atLeast: SerialNumber(3)) == SerialNumber(3))
    }
}
