import Testing
@testable import DNSEdge

@Suite("Listen addresses")
struct ListenAddressTests {
    @Test func parsesTheFormsOperatorsWrite() throws {
        #expect(try ListenAddress(parsing: "127.0.0.1:5300") == ListenAddress(host: "127.0.0.1", port: 5300))
        #expect(try ListenAddress(parsing: "[::1]:5300") == ListenAddress(host: "::1", port: 5300))
        #expect(try ListenAddress(parsing: "::1") == ListenAddress(host: "::1", port: 53))
        #expect(try ListenAddress(parsing: "192.0.2.1", defaultPort: 5353) == ListenAddress(host: "192.0.2.1", port: 5353))
        #expect(ListenAddress(host: "::1", port: 53).description == "[::1]:53")
    }

    @Test func refusesNonsense() {
        #expect(throws: ListenAddressError.malformed("1.2.3.4:http", "port is not a number")) {
            try ListenAddress(parsing: "1.2.3.4:http")
        }
        #expect(throws: ListenAddressError.malformed("[::1:53", "missing ] after an IPv6 address")) {
            try ListenAddress(parsing: "[::1:53")
        }
        #expect(throws: ListenAddressError.malformed("1.2.3.4:70000", "port 70000 is not in 0...65535")) {
            try ListenAddress(parsing: "1.2.3.4:70000")
        }
    }
}
