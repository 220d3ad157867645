import DNSCore
import DNSEdge
import Foundation
import Logging
import Testing

@testable import Primary

/// The gate in front of the router: while a zone's ALIAS expansion fails under `fail`, an allowed
/// transfer gets SERVFAIL (signed when the request was); who may not transfer is refused as always, and
/// queries are answered from the zone still served.
@Suite("Primary request handler")
struct PrimaryRequestHandlerTests {
    static let origin = try! DomainName("example.test.")
    static let key = try! TSIGKey(name: "xfr.", base64Secret: "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0")
    static let loopback = PeerAddress(ip: IPAddress("127.0.0.1")!, port: 40000)
    static let outsider = PeerAddress(ip: IPAddress("192.0.2.99")!, port: 40000)

    static func handler(zoneACL: TransferACL? = nil) throws -> PrimaryRequestHandler {
        let zone = try Zone(parsing: "$ORIGIN example.test.\n$TTL 300\n@ SOA ns1 h 7 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.53\n@ A 192.0.2.1\n",
                            origin: origin, file: "test")
        let served = try ServedZones([zone])
        let transfers = ZoneTransferResponder(zones: served, acl: .loopbackOnly, zoneACLs: zoneACL.map { [origin: $0] } ?? [:])
        let router = DNSRequestRouter(served: served, transfers: transfers, tsig: TSIGVerifier(keys: [key]))
        return PrimaryRequestHandler(router: router, logger: Logger(label: "test"))
    }

    static func rcode(_ action: DNSResponseAction) -> RCode? {
        guard case .reply(let bytes) = action else { return nil }
        return try? Message(decoding: bytes).rcode
    }

    static func axfr(signed: Bool = false) -> (bytes: [UInt8], mac: [UInt8]?) {
        let query = Message.query(name: origin, type: .AXFR, id: 9, udpPayloadSize: nil)
        guard signed else { return (query.encode(), nil) }
        let signedQuery = TSIGSigner(key: key).signRequest(query, now: UInt64(Date().timeIntervalSince1970))
        return (signedQuery.bytes, signedQuery.mac)
    }

    @Test func blockedZoneTransfersGetServfailQueriesStillAnswered() throws {
        let handler = try Self.handler()
        guard case .stream = handler.handle(DNSRequest(bytes: Self.axfr().bytes, source: Self.loopback, transport: .tcp)) else {
            Issue.record("a zone that expands transfers normally")
            return
        }
        handler.setBlocked([Self.origin: "ALIAS @ -> lb.example.net. A: NXDOMAIN"])
        #expect(Self.rcode(handler.handle(DNSRequest(bytes: Self.axfr().bytes, source: Self.loopback, transport: .tcp))) == .SERVFAIL)
        let ixfr = Message.query(name: Self.origin, type: .IXFR, id: 10, udpPayloadSize: nil).encode()
        #expect(Self.rcode(handler.handle(DNSRequest(bytes: ixfr, source: Self.loopback, transport: .tcp))) == .SERVFAIL)
        // Not allowed by the ACL: refused, as if nothing failed.
        #expect(Self.rcode(handler.handle(DNSRequest(bytes: Self.axfr().bytes, source: Self.outsider, transport: .tcp))) == .REFUSED)
        // Queries keep the zone still published.
        let query = Message.query(name: Self.origin, type: .A, id: 11).encode()
        let answer = handler.handle(DNSRequest(bytes: query, source: Self.outsider, transport: .udp))
        guard case .reply(let bytes) = answer else { Issue.record("no answer"); return }
        let message = try Message(decoding: bytes)
        #expect(message.rcode == .NOERROR)
        #expect(message.answers.map(\.rdata.presentation) == ["192.0.2.1"])
        handler.setBlocked([:])
        guard case .stream = handler.handle(DNSRequest(bytes: Self.axfr().bytes, source: Self.loopback, transport: .tcp)) else {
            Issue.record("transfers resume when the expansion succeeds again")
            return
        }
    }

    @Test func signedTransferOfABlockedZoneGetsASignedServfail() throws {
        let handler = try Self.handler(zoneACL: TransferACL(rules: [TransferACL.Rule(prefix: .loopbackV4, key: Self.key.name)]))
        handler.setBlocked([Self.origin: "failing"])
        // Unsigned, where the zone's ACL wants the key: refused.
        #expect(Self.rcode(handler.handle(DNSRequest(bytes: Self.axfr().bytes, source: Self.loopback, transport: .tcp))) == .REFUSED)
        let (bytes, mac) = Self.axfr(signed: true)
        guard case .reply(let reply) = handler.handle(DNSRequest(bytes: bytes, source: Self.loopback, transport: .tcp)) else {
            Issue.record("one reply")
            return
        }
        #expect(try Message(decoding: reply).rcode == .SERVFAIL)
        #expect((try? TSIGVerifier.verifyResponse(reply, key: Self.key, requestMAC: mac!, now: UInt64(Date().timeIntervalSince1970))) != nil,
                "the SERVFAIL carries a TSIG that verifies")
    }
}
