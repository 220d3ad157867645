import Testing
@testable import DNSCore

/// Helpers shared by the query-answering tests: build a catalog from zone text, ask through the bytes
/// path the edge uses, and print sections compactly.
enum Serving {
    static let zoneText = """
        $TTL 3600
        @           SOA    ns1 hostmaster 2024010101 7200 3600 1209600 300
        @           NS     ns1
        @           NS     ns2.example.net.
        @           MX     10 mail
        ns1         A      192.0.2.53
        ns1         AAAA   2001:db8::53
        mail        A      192.0.2.25
        www         A      192.0.2.80
        www         TXT    "hello"
        alias       CNAME  www
        chain1      CNAME  chain2
        chain2      CNAME  www
        loop1       CNAME  loop2
        loop2       CNAME  loop1
        dangling    CNAME  nothere
        external    CNAME  www.example.net.
        _sip._tcp   SRV    0 5 5060 www
        *.wild      A      192.0.2.99
        *.wild      TXT    "wild"
        sub.wild    A      192.0.2.100
        *.wc        CNAME  www
        *.ent       A      192.0.2.1
        x.y.ent     A      192.0.2.2
        dept        DNAME  example.org.
        old         DNAME  new.example.com.
        www.new     A      192.0.2.81
        long        DNAME  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc.example.net.
        deleg       NS     ns.deleg
        deleg       NS     ns.example.net.
        ns.deleg    A      192.0.2.200
        secure      NS     ns.example.net.
        secure      DS     12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF

        """

    static func zone(_ text: String = zoneText, origin: DomainName = "example.com.") throws -> Zone {
        try Zone(parsing: text, origin: origin)
    }

    static func catalog(_ text: String = zoneText, origin: DomainName = "example.com.") throws -> Catalog {
        Catalog([try ZoneSnapshot(zone(text, origin: origin))])
    }

    /// Sends `query` through `respond(to:)` and decodes what comes back.
    static func send(
        _ query: Message, catalog: Catalog, transport: QueryAnswerer.Transport = .udp,
        answerer: QueryAnswerer = QueryAnswerer()
    ) throws -> Message {
        let bytes = query.encode()
        guard case .bytes(let reply) = answerer.respond(to: bytes, transport: transport, catalog: catalog) else {
            throw TestFailure("no reply bytes for \(query.questions)")
        }
        return try Message(decoding: reply)
    }

    static func ask(
        _ name: DomainName, _ type: RecordType, catalog: Catalog, do dnssecOK: Bool = false,
        payload: UInt16? = 1232, transport: QueryAnswerer.Transport = .udp, id: UInt16 = 0x4242
    ) throws -> Message {
        try send(
            Message.query(name: name, type: type, id: id, do: dnssecOK, udpPayloadSize: payload), catalog: catalog,
            transport: transport)
    }

    /// `owner TTL TYPE rdata` per record.
    static func lines(_ records: [ResourceRecord]) -> [String] {
        records.map { "\($0.name.text.lowercased()) \($0.ttl) \($0.type) \($0.rdata.presentation)" }
    }

    /// `owner TYPE` per record (for DNSSEC sections, where RDATA is long).
    static func shapes(_ records: [ResourceRecord]) -> [String] {
        records.map { record in
            if case .rrsig(let sig) = record.rdata { return "\(record.name.text.lowercased()) RRSIG \(sig.typeCovered)" }
            return "\(record.name.text.lowercased()) \(record.type)"
        }
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

@Suite struct QueryAnswererTests {
    let catalog: Catalog

    init() throws { catalog = try Serving.catalog() }

    func ask(_ name: DomainName, _ type: RecordType, payload: UInt16? = 1232) throws -> Message {
        try Serving.ask(name, type, catalog: catalog, payload: payload)
    }

    // MARK: Exact matches

    @Test func exactMatchIsAnsweredAuthoritatively() throws {
        let response = try ask("www.example.com.", .A)
        #expect(response.id == 0x4242)
        #expect(response.flags.qr && response.flags.aa && !response.flags.tc && !response.flags.ad)
        #expect(response.rcode == .NOERROR)
        #expect(Serving.lines(response.answers) == ["www.example.com. 3600 A 192.0.2.80"])
        #expect(response.authority.isEmpty)
        #expect(response.additional.isEmpty)
    }

    @Test func questionIsEchoedWithTheClientsCaseAndFlags() throws {
        var query = Message.query(name: "WwW.ExAmPlE.cOm.", type: .A, id: 7, recursionDesired: true)
        query.flags.cd = true
        let response = try Serving.send(query, catalog: catalog)
        #expect(response.questions.map(\.name.text) == ["WwW.ExAmPlE.cOm."])
        #expect(response.answers.map(\.name.text) == ["WwW.ExAmPlE.cOm."])
        #expect(response.flags.rd && response.flags.cd && !response.flags.ra)
    }

    @Test func missingTypeIsNoDataWithTheSOAAtItsNegativeTTL() throws {
        let response = try ask("www.example.com.", .MX)
        #expect(response.rcode == .NOERROR && response.flags.aa)
        #expect(response.answers.isEmpty)
        // min(SOA TTL 3600, MINIMUM 300) (RFC 2308 §3).
        #expect(Serving.lines(response.authority) == [
            "example.com. 300 SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300",
        ])
    }

    @Test func missingNameIsNXDOMAINWithTheSOA() throws {
        let response = try ask("nope.example.com.", .A)
        #expect(response.rcode == .NXDOMAIN && response.flags.aa)
        #expect(response.answers.isEmpty)
        #expect(Serving.shapes(response.authority) == ["example.com. SOA"])
        #expect(response.authority.first?.ttl == 300)
    }

    // MARK: CNAME and DNAME

    @Test func cnameIsFollowedWithinTheZone() throws {
        let response = try ask("alias.example.com.", .A)
        #expect(response.rcode == .NOERROR && response.flags.aa)
        #expect(Serving.lines(response.answers) == [
            "alias.example.com. 3600 CNAME www.example.com.", "www.example.com. 3600 A 192.0.2.80",
        ])
    }

    @Test func cnameChainIsFollowedToTheEnd() throws {
        let response = try ask("chain1.example.com.", .TXT)
        #expect(Serving.lines(response.answers) == [
            "chain1.example.com. 3600 CNAME chain2.example.com.", "chain2.example.com. 3600 CNAME www.example.com.",
            "www.example.com. 3600 TXT \"hello\"",
        ])
    }

    @Test func askingForTheCNAMEItselfDoesNotFollowIt() throws {
        let response = try ask("alias.example.com.", .CNAME)
        #expect(Serving.lines(response.answers) == ["alias.example.com. 3600 CNAME www.example.com."])
    }

    @Test func cnameLoopEndsAfterEachNameOnce() throws {
        let response = try ask("loop1.example.com.", .A)
        #expect(response.rcode == .NOERROR)
        #expect(Serving.lines(response.answers) == [
            "loop1.example.com. 3600 CNAME loop2.example.com.", "loop2.example.com. 3600 CNAME loop1.example.com.",
        ])
    }

    @Test func cnameToAMissingNameIsNXDOMAIN() throws {
        // RFC 6604 §3: the RCODE describes the last name of the chain.
        let response = try ask("dangling.example.com.", .A)
        #expect(response.rcode == .NXDOMAIN && response.flags.aa)
        #expect(Serving.lines(response.answers) == ["dangling.example.com. 3600 CNAME nothere.example.com."])
        #expect(Serving.shapes(response.authority) == ["example.com. SOA"])
    }

    @Test func cnameOutOfTheZoneIsLeftToTheResolver() throws {
        let response = try ask("external.example.com.", .A)
        #expect(response.rcode == .NOERROR)
        #expect(Serving.lines(response.answers) == ["external.example.com. 3600 CNAME www.example.net."])
        #expect(response.authority.isEmpty)
    }

    @Test func dnameSynthesizesACNAME() throws {
        let response = try ask("Host.dept.example.com.", .A)
        #expect(response.rcode == .NOERROR && response.flags.aa)
        #expect(Serving.lines(response.answers) == [
            "dept.example.com. 3600 DNAME example.org.", "host.dept.example.com. 3600 CNAME Host.example.org.",
        ])
    }

    @Test func dnameSubstituteInTheZoneIsFollowed() throws {
        let response = try ask("www.old.example.com.", .A)
        #expect(Serving.lines(response.answers) == [
            "old.example.com. 3600 DNAME new.example.com.", "www.old.example.com. 3600 CNAME www.new.example.com.",
            "www.new.example.com. 3600 A 192.0.2.81",
        ])
    }

    @Test func dnameOwnerItselfIsAnOrdinaryName() throws {
        let response = try ask("dept.example.com.", .A)
        #expect(response.rcode == .NOERROR && response.answers.isEmpty)
        #expect(Serving.shapes(response.authority) == ["example.com. SOA"])
    }

    @Test func dnameSubstituteTooLongIsYXDOMAIN() throws {
        let label = String(repeating: "q", count: 50)
        let response = try ask(DomainName("\(label).long.example.com."), .A)
        #expect(response.rcode == .YXDOMAIN)
        #expect(Serving.shapes(response.answers) == ["long.example.com. DNAME"])
    }

    // MARK: Wildcards (RFC 4592)

    @Test func wildcardMatchesAMissingNameWithTheQueryNameAsOwner() throws {
        let response = try ask("anything.wild.example.com.", .A)
        #expect(response.rcode == .NOERROR && response.flags.aa)
        #expect(Serving.lines(response.answers) == ["anything.wild.example.com. 3600 A 192.0.2.99"])
    }

    @Test func wildcardMatchesSeveralLabelsDown() throws {
        let response = try ask("a.b.c.wild.example.com.", .TXT)
        #expect(Serving.lines(response.answers) == ["a.b.c.wild.example.com. 3600 TXT \"wild\""])
    }

    @Test func wildcardWithoutTheTypeIsNoData() throws {
        let response = try ask("anything.wild.example.com.", .MX)
        #expect(response.rcode == .NOERROR && response.answers.isEmpty)
        #expect(Serving.shapes(response.authority) == ["example.com. SOA"])
    }

    @Test func existingNameIsNotReplacedByTheWildcard() throws {
        let response = try ask("sub.wild.example.com.", .TXT)
        #expect(response.answers.isEmpty)
        #expect(response.rcode == .NOERROR)
    }

    @Test func wildcardDoesNotApplyBelowAnExistingChild() throws {
        // The closest encloser of a.sub.wild is sub.wild, which has no wildcard (RFC 4592 §3.3.1).
        let response = try ask("a.sub.wild.example.com.", .A)
        #expect(response.rcode == .NXDOMAIN)
        #expect(response.answers.isEmpty)
    }

    @Test func emptyNonTerminalBlocksTheWildcardAbove() throws {
        // y.ent exists (as the parent of x.y.ent), so it is z.y.ent's closest encloser: *.ent does not match.
        let below = try ask("z.y.ent.example.com.", .A)
        #expect(below.rcode == .NXDOMAIN)
        // The empty non-terminal itself exists: NODATA, not the wildcard and not NXDOMAIN.
        let itself = try ask("y.ent.example.com.", .A)
        #expect(itself.rcode == .NOERROR && itself.answers.isEmpty)
        #expect(Serving.shapes(itself.authority) == ["example.com. SOA"])
        // A sibling of the empty non-terminal is covered by the wildcard.
        let sibling = try ask("q.ent.example.com.", .A)
        #expect(Serving.lines(sibling.answers) == ["q.ent.example.com. 3600 A 192.0.2.1"])
    }

    @Test func wildcardCNAMEIsExpandedAndFollowed() throws {
        let response = try ask("foo.wc.example.com.", .A)
        #expect(Serving.lines(response.answers) == [
            "foo.wc.example.com. 3600 CNAME www.example.com.", "www.example.com. 3600 A 192.0.2.80",
        ])
    }

    @Test func wildcardNameAskedLiterallyIsAnExactMatch() throws {
        let response = try ask("*.wild.example.com.", .A)
        #expect(Serving.lines(response.answers) == ["*.wild.example.com. 3600 A 192.0.2.99"])
    }

    // MARK: Delegations

    @Test func nameBelowACutGetsAReferralWithGlue() throws {
        let response = try ask("www.deleg.example.com.", .A)
        #expect(response.rcode == .NOERROR)
        #expect(!response.flags.aa)
        #expect(response.answers.isEmpty)
        #expect(Serving.lines(response.authority) == [
            "deleg.example.com. 3600 NS ns.deleg.example.com.", "deleg.example.com. 3600 NS ns.example.net.",
        ])
        #expect(Serving.lines(response.additional) == ["ns.deleg.example.com. 3600 A 192.0.2.200"])
    }

    @Test func theCutItselfAndItsGlueAreReferredToo() throws {
        for (name, type) in [("deleg.example.com.", RecordType.NS), ("deleg.example.com.", .A), ("ns.deleg.example.com.", .A)] {
            let response = try ask(DomainName(name), type)
            #expect(!response.flags.aa && response.answers.isEmpty, "\(name) \(type)")
            #expect(Serving.shapes(response.authority) == ["deleg.example.com. NS", "deleg.example.com. NS"])
        }
    }

    @Test func dsAtACutIsAnsweredByTheParentSide() throws {
        let present = try ask("secure.example.com.", .DS)
        #expect(present.flags.aa)
        #expect(Serving.shapes(present.answers) == ["secure.example.com. DS"])
        let absent = try ask("deleg.example.com.", .DS)
        #expect(absent.flags.aa && absent.rcode == .NOERROR && absent.answers.isEmpty)
        #expect(Serving.shapes(absent.authority) == ["example.com. SOA"])
    }

    @Test func dsQueryForAChildApexGoesToTheParentWhenWeServeBoth() throws {
        let child = try Serving.zone(
            """
            $TTL 60
            @ SOA ns hostmaster 1 2 3 4 5
            @ NS ns.example.net.
            www A 192.0.2.9
            """, origin: "secure.example.com.")
        let both = catalog.replacing(try ZoneSnapshot(child))
        let ds = try Serving.ask("secure.example.com.", .DS, catalog: both)
        #expect(Serving.shapes(ds.answers) == ["secure.example.com. DS"])
        let www = try Serving.ask("www.secure.example.com.", .A, catalog: both)
        #expect(www.flags.aa && Serving.lines(www.answers) == ["www.secure.example.com. 60 A 192.0.2.9"])
    }

    @Test func referralTruncatesWhenInDomainGlueDoesNotFit() throws {
        var text = Serving.zoneText
        for i in 1...8 {
            text += "fat NS nameserver-number-\(i).fat\nnameserver-number-\(i).fat A 192.0.2.\(i)\n"
            text += "nameserver-number-\(i).fat AAAA 2001:db8::\(i)\n"
        }
        let catalog = try Serving.catalog(text)
        let small = try Serving.ask("www.fat.example.com.", .A, catalog: catalog, payload: nil)
        #expect(small.flags.tc)
        let tcp = try Serving.ask("www.fat.example.com.", .A, catalog: catalog, payload: nil, transport: .tcp)
        #expect(!tcp.flags.tc && tcp.authority.count == 8 && tcp.additional.count == 16)
        // The NS RRset alone fits in 512 bytes: it is the glue that forces TC (RFC 9471).
        #expect(small.authority.count == 8 || small.authority.isEmpty)
    }

    // MARK: Additional section, ANY

    @Test func mxSRVAndNSTargetsInTheZoneGetTheirAddresses() throws {
        let mx = try ask("example.com.", .MX)
        #expect(Serving.lines(mx.additional) == ["mail.example.com. 3600 A 192.0.2.25"])
        let srv = try ask("_sip._tcp.example.com.", .SRV)
        #expect(Serving.lines(srv.additional) == ["www.example.com. 3600 A 192.0.2.80"])
        let ns = try ask("example.com.", .NS)
        #expect(Serving.lines(ns.answers).count == 2)
        #expect(Serving.lines(ns.additional) == [
            "ns1.example.com. 3600 A 192.0.2.53", "ns1.example.com. 3600 AAAA 2001:db8::53",
        ])
    }

    @Test func anyIsAnsweredWithOneRRset() throws {
        // RFC 8482: the RRset with the lowest type code (A before TXT here; NS before SOA at the apex).
        let www = try ask("www.example.com.", .ANY)
        #expect(www.flags.aa && Serving.lines(www.answers) == ["www.example.com. 3600 A 192.0.2.80"])
        let apex = try ask("example.com.", .ANY)
        #expect(Serving.shapes(apex.answers) == ["example.com. NS", "example.com. NS"])
    }

    // MARK: Refusals and errors

    @Test func nameOutsideOurZonesIsRefused() throws {
        let response = try ask("www.example.net.", .A)
        #expect(response.rcode == .REFUSED && !response.flags.aa)
        #expect(response.questions.map(\.name) == ["www.example.net."])
        #expect(response.answers.isEmpty && response.authority.isEmpty)
    }

    @Test func otherClassIsRefused() throws {
        let response = try Serving.send(
            Message.query(name: "version.bind.", type: .TXT, dnsClass: DNSClass(3), id: 1), catalog: catalog)
        #expect(response.rcode == .REFUSED)
        let inZone = try Serving.send(
            Message.query(name: "www.example.com.", type: .A, dnsClass: DNSClass(3), id: 1), catalog: catalog)
        #expect(inZone.rcode == .REFUSED)
    }

    @Test func unknownOpcodesAreNotImplemented() throws {
        for opcode in [Opcode.IQUERY, .STATUS, .UPDATE, .DSO, Opcode(9)] {
            var query = Message.query(name: "www.example.com.", type: .A, id: 99)
            query.flags.opcode = opcode
            let response = try Serving.send(query, catalog: catalog)
            #expect(response.rcode == .NOTIMP, "\(opcode)")
            #expect(response.flags.opcode == opcode && response.id == 99)
            #expect(response.answers.isEmpty)
        }
    }

    @Test func metaTypesAreRefusedAsTheyShouldBe() throws {
        #expect(try ask("www.example.com.", RecordType(254)).rcode == .NOTIMP)  // MAILA
        #expect(try ask("www.example.com.", .OPT).rcode == .FORMERR)
        // An unassigned data type is just a type the name does not have.
        let unknown = try ask("www.example.com.", RecordType(65535))
        #expect(unknown.rcode == .NOERROR && unknown.answers.isEmpty && unknown.flags.aa)
    }

    @Test func malformedQueriesGetFORMERRWithTheirID() throws {
        let answerer = QueryAnswerer()
        var none = Message.query(name: "www.example.com.", type: .A, id: 0x0101)
        none.questions = []
        var two = Message.query(name: "www.example.com.", type: .A, id: 0x0202)
        two.questions.append(Question(name: "mail.example.com.", type: .A))
        var withAnswer = Message.query(name: "www.example.com.", type: .A, id: 0x0303)
        withAnswer.answers = [ResourceRecord(name: "www.example.com.", ttl: 1, rdata: .a(A(IPv4Address("192.0.2.1")!)))]
        for query in [none, two, withAnswer] {
            let response = try Serving.send(query, catalog: catalog, answerer: answerer)
            #expect(response.rcode == .FORMERR && response.id == query.id && response.flags.qr)
        }

        // Bytes that do not decode: header readable, question garbage.
        var garbage = Message.query(name: "www.example.com.", type: .A, id: 0x0404, udpPayloadSize: nil).encode()
        garbage[12] = 0xC0
        garbage[13] = 0xFF
        guard case .bytes(let reply) = answerer.respond(to: garbage, transport: .udp, catalog: catalog) else {
            Issue.record("no reply")
            return
        }
        let decoded = try Message(decoding: reply)
        #expect(decoded.rcode == .FORMERR && decoded.id == 0x0404 && decoded.questions.isEmpty)

        // Trailing bytes: the question is readable and echoed.
        let trailing = Message.query(name: "www.example.com.", type: .A, id: 0x0505, udpPayloadSize: nil).encode() + [1, 2, 3]
        guard case .bytes(let trailingReply) = answerer.respond(to: trailing, transport: .udp, catalog: catalog) else {
            Issue.record("no reply")
            return
        }
        let echoed = try Message(decoding: trailingReply)
        #expect(echoed.rcode == .FORMERR && echoed.id == 0x0505)
        #expect(echoed.questions.map(\.name) == ["www.example.com."])
    }

    @Test func twoOPTRecordsAreFORMERR() throws {
        // RFC 6891 §6.1.1. The decoder rejects the message; the answerer maps that to FORMERR.
        var bytes = Message.query(name: "www.example.com.", type: .A, id: 0x0606).encode()
        let opt: [UInt8] = [0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]
        bytes += opt
        bytes[11] = 2
        guard case .bytes(let reply) = QueryAnswerer().respond(to: bytes, transport: .udp, catalog: catalog) else {
            Issue.record("no reply")
            return
        }
        let response = try Message(decoding: reply)
        #expect(response.rcode == .FORMERR && response.id == 0x0606)
        #expect(response.questions.map(\.name) == ["www.example.com."])
    }

    @Test func responsesAndRuntsAreDropped() throws {
        let answerer = QueryAnswerer()
        var response = Message.query(name: "www.example.com.", type: .A, id: 1)
        response.flags.qr = true
        if case .drop = answerer.respond(to: response.encode(), transport: .udp, catalog: catalog) {} else {
            Issue.record("a message with QR set was answered")
        }
        for length in 0..<12 {
            if case .drop = answerer.respond(to: Array(repeating: 0, count: length), transport: .udp, catalog: catalog) {
            } else {
                Issue.record("\(length)-byte message was answered")
            }
        }
    }

    // MARK: Routing to the edge

    @Test func notifyAndTransfersAreHandedToTheEdge() throws {
        let answerer = QueryAnswerer()
        var notify = Message.query(name: "example.com.", type: .SOA, id: 5, udpPayloadSize: nil)
        notify.flags.opcode = .NOTIFY
        notify.flags.aa = true
        guard case .notify(let routed) = answerer.respond(to: notify.encode(), transport: .udp, catalog: catalog) else {
            Issue.record("NOTIFY not routed")
            return
        }
        #expect(routed.id == 5)

        let axfr = Message.query(name: "example.com.", type: .AXFR, id: 6, udpPayloadSize: nil)
        guard case .transfer = answerer.respond(to: axfr.encode(), transport: .tcp, catalog: catalog) else {
            Issue.record("AXFR over TCP not routed")
            return
        }
        let ixfr = Message.query(name: "example.com.", type: .IXFR, id: 7, udpPayloadSize: nil)
        guard case .transfer = answerer.respond(to: ixfr.encode(), transport: .tcp, catalog: catalog) else {
            Issue.record("IXFR over TCP not routed")
            return
        }
    }

    @Test func transfersOverUDPAreRefusedOrToldToUseTCP() throws {
        let axfr = try Serving.ask("example.com.", .AXFR, catalog: catalog)
        #expect(axfr.rcode == .REFUSED && axfr.answers.isEmpty)
        // RFC 1995 §2: an IXFR that does not fit in UDP is answered with the current SOA alone.
        let ixfr = try Serving.ask("example.com.", .IXFR, catalog: catalog)
        #expect(ixfr.rcode == .NOERROR && ixfr.flags.aa)
        #expect(Serving.shapes(ixfr.answers) == ["example.com. SOA"])
    }

    @Test func signedQueriesAreHandedBackForTSIG() throws {
        var query = Message.query(name: "www.example.com.", type: .A, id: 8)
        query.tsig = MessageFixtures.tsigRecord(originalID: 8)
        guard case .signedQuery(let routed) = QueryAnswerer().respond(to: query.encode(), transport: .udp, catalog: catalog)
        else {
            Issue.record("TSIG query not routed")
            return
        }
        // The edge verifies, then answers the decoded message itself.
        guard case .response(let response, _) = QueryAnswerer().answer(routed, transport: .udp, catalog: catalog) else {
            Issue.record("no response")
            return
        }
        #expect(Serving.lines(response.answers) == ["www.example.com. 3600 A 192.0.2.80"])
    }

    // MARK: EDNS(0)

    @Test func optIsEchoedWithOurPayloadSizeOnlyWhenAskedWithOne() throws {
        let withEDNS = try ask("www.example.com.", .A, payload: 4096)
        #expect(withEDNS.edns?.udpPayloadSize == 1232)
        #expect(withEDNS.edns?.version == 0 && withEDNS.edns?.dnssecOK == false)
        let without = try ask("www.example.com.", .A, payload: nil)
        #expect(without.edns == nil)
        let custom = try Serving.send(
            Message.query(name: "www.example.com.", type: .A, id: 1), catalog: catalog,
            answerer: QueryAnswerer(maxUDPPayload: 1400))
        #expect(custom.edns?.udpPayloadSize == 1400)
        // DO is echoed (RFC 3225 §3); an unsigned zone has nothing more to add.
        let dnssec = try Serving.ask("nope.example.com.", .A, catalog: catalog, do: true)
        #expect(dnssec.edns?.dnssecOK == true)
        #expect(Serving.shapes(dnssec.authority) == ["example.com. SOA"])
    }

    @Test func unknownEDNSVersionIsBADVERS() throws {
        var query = Message.query(name: "www.example.com.", type: .A, id: 3)
        query.edns?.version = 1
        let response = try Serving.send(query, catalog: catalog)
        #expect(response.rcode == .BADVERS)
        #expect(response.edns?.version == 0)
        #expect(response.answers.isEmpty)
    }

    @Test func udpAnswersAreTruncatedToThePayloadSize() throws {
        var text = Serving.zoneText
        for i in 10..<40 { text += "big TXT \"record \(i) \(String(repeating: "x", count: 90))\"\n" }
        let catalog = try Serving.catalog(text)
        func raw(_ payload: UInt16?, _ transport: QueryAnswerer.Transport) -> [UInt8] {
            let query = Message.query(name: "big.example.com.", type: .TXT, id: 1, udpPayloadSize: payload)
            guard case .bytes(let bytes) = QueryAnswerer().respond(to: query.encode(), transport: transport, catalog: catalog)
            else { return [] }
            return bytes
        }
        // No EDNS: 512 bytes. A payload below 512 counts as 512. Above ours, ours (1232) wins.
        for (payload, limit) in [(nil, 512), (100, 512), (800, 800), (4096, 1232)] as [(UInt16?, Int)] {
            let bytes = raw(payload, .udp)
            let response = try Message(decoding: bytes)
            #expect(bytes.count <= limit, "payload \(String(describing: payload))")
            #expect(response.flags.tc, "payload \(String(describing: payload))")
            #expect(response.answers.count < 30)
            #expect((response.edns != nil) == (payload != nil))
        }
        let tcp = try Message(decoding: raw(1232, .tcp))
        #expect(!tcp.flags.tc && tcp.answers.count == 30)
    }

    // MARK: Snapshots and catalogs

    @Test func snapshotGivesBackTheWholeZone() throws {
        let zone = try Serving.zone()
        let snapshot = try ZoneSnapshot(zone)
        #expect(snapshot.makeZone() == zone)
        #expect(snapshot.serial == SerialNumber(2024010101))
        #expect(snapshot.rrsets(at: "WWW.example.com.").map(\.type) == [.A, .TXT])
        // Names that exist only as parents of others are nodes too.
        // Names that exist only as parents of others are nodes too: _tcp, wild, wc, ent, y.ent, new.
        #expect(snapshot.nodeCount == zone.nameCount + 6)
    }

    @Test func zoneWithoutSOACannotBeServed() throws {
        let zone = Zone(rrsets: [RRset(name: "example.com.", type: .NS, ttl: 1, rdatas: [.ns(NS(target: "ns.example.net."))])],
                        origin: "example.com.")
        #expect(throws: ZoneSnapshotError.missingSOA(zone: "example.com.")) { try ZoneSnapshot(zone) }
    }

    @Test func catalogPicksTheLongestOriginAndSwapsAsAWhole() throws {
        let sub = try ZoneSnapshot(Serving.zone(
            """
            $TTL 60
            @ SOA ns hostmaster 7 2 3 4 5
            @ NS ns.example.net.
            www A 192.0.2.7
            """, origin: "deleg.example.com."))
        let old = catalog
        let new = old.replacing(sub)
        #expect(new.zone(for: "www.deleg.example.com.")?.origin == "deleg.example.com.")
        #expect(new.zone(for: "www.example.com.")?.origin == "example.com.")
        #expect(new.zone(for: "example.org.") == nil)
        // The old catalog is untouched: queries that hold it keep their view.
        #expect(try Serving.ask("www.deleg.example.com.", .A, catalog: old).flags.aa == false)
        let answered = try Serving.ask("www.deleg.example.com.", .A, catalog: new)
        #expect(answered.flags.aa && Serving.lines(answered.answers) == ["www.deleg.example.com. 60 A 192.0.2.7"])
        #expect(new.removing("deleg.example.com.").zone(for: "www.deleg.example.com.")?.origin == "example.com.")
        // Many zones take the hashed path.
        var many: [ZoneSnapshot] = [sub]
        for i in 0..<10 {
            many.append(try ZoneSnapshot(Serving.zone("$TTL 1\n@ SOA a b 1 2 3 4 5\n@ NS ns.example.net.\n", origin: DomainName("z\(i).test."))))
        }
        let big = Catalog(many + (try Catalog(zones: [Serving.zone()])).zones)
        #expect(big.zone(for: "A.WWW.deleg.example.com.")?.origin == "deleg.example.com.")
        #expect(big.zone(for: "x.z3.test.")?.origin == "z3.test.")
        #expect(big.zone(for: "test.") == nil)
    }

    @Test func namesAreCompressedAtLeastAsWellAsByTheMessageEncoder() throws {
        // Owner names, NS targets and SOA names all point back into the packet.
        for (name, type) in [("example.com.", RecordType.NS), ("www.deleg.example.com.", .A), ("nope.example.com.", .A)]
            as [(DomainName, RecordType)] {
            let query = Message.query(name: name, type: type, id: 1)
            guard case .bytes(let bytes) = QueryAnswerer().respond(to: query.encode(), transport: .tcp, catalog: catalog)
            else {
                Issue.record("no reply")
                continue
            }
            let reencoded = try Message(decoding: bytes).encode()
            #expect(bytes.count <= reencoded.count, "\(name) \(type): \(bytes.count) > \(reencoded.count)")
        }
    }

    @Test func messageAndBytesPathsGiveTheSameAnswer() throws {
        let answerer = QueryAnswerer()
        let questions: [(DomainName, RecordType)] = [
            ("www.example.com.", .A), ("alias.example.com.", .A), ("nope.example.com.", .A),
            ("x.wild.example.com.", .TXT), ("www.deleg.example.com.", .A), ("example.com.", .MX),
            ("h.dept.example.com.", .A), ("example.com.", .NS),
        ]
        for (name, type) in questions {
            let query = Message.query(name: name, type: type, id: 77)
            let viaBytes = try Serving.send(query, catalog: catalog, answerer: answerer)
            guard case .response(let viaMessage, let maxSize) = answerer.answer(query, transport: .udp, catalog: catalog)
            else {
                Issue.record("no response for \(name) \(type)")
                continue
            }
            #expect(maxSize == 1232)
            #expect(viaMessage == viaBytes, "\(name) \(type)")
        }
    }
}
