import DaemonKit
import DNSCore
import Foundation
import Testing

@testable import Primary

/// The PowerDNS-compatible API as a client sees it, request by request, over a real store: keys,
/// zones listed, read, created and deleted, RRsets replaced and deleted in one commit, and PowerDNS's
/// error form with its statuses for everything refused (which changes nothing).
@Suite struct PowerDNSAPITests {
    static let base = "/api/v1/servers/localhost"

    final class Fixture {
        let temporary: TemporaryStore
        let api: PowerDNSAPI
        let secret = "full-access-secret"
        let scopedSecret = "scoped-secret"

        init() throws {
            temporary = try TemporaryStore()
            try temporary.store.importZone("example.com.", zoneText: RemoteEditStoreTests.zoneText, now: noon)
            try temporary.store.importZone("other.test.", zoneText: """
                $ORIGIN other.test.
                @ 3600 SOA ns1 hostmaster 1 3600 600 86400 300
                @ 3600 NS ns1
                ns1 300 A 192.0.2.53

                """, now: noon)
            try temporary.store.addAPIKey(name: "all", secret: secret, zones: [], now: noon)
            try temporary.store.addAPIKey(name: "one", secret: scopedSecret, zones: ["example.com."], now: noon)
            var api = PowerDNSAPI(store: temporary.store)
            api.clock = { noon }
            self.api = api
        }

        var store: PrimaryStore { temporary.store }

        func call(_ method: String, _ path: String, _ body: String? = nil, key: String? = nil, query: [String: String] = [:]) -> APIResponse {
            var headers: [String: String] = [:]
            if let key = key ?? Optional(secret) { headers["x-api-key"] = key }
            return api.handle(APIRequest(method: method, path: path, query: query, headers: headers, body: Array((body ?? "").utf8)))
        }

        func json(_ response: APIResponse) -> Any? { try? JSONSerialization.jsonObject(with: Data(response.body)) }

        func error(_ response: APIResponse) -> String { (json(response) as? [String: Any])?["error"] as? String ?? "" }
    }

    @Test func requestsWithoutAValidKeyGet401() throws {
        let fixture = try Fixture()
        for key in ["", "wrong"] {
            let response = fixture.call("GET", Self.base + "/zones", key: key)
            #expect(response.status == 401)
            #expect(fixture.error(response).contains("Unauthorized"))
        }
    }

    @Test func zonesAreListedAndReadWithTheirRRsets() throws {
        let fixture = try Fixture()
        let server = fixture.json(fixture.call("GET", Self.base)) as? [String: Any]
        #expect((server?["version"] as? String)?.hasPrefix("4.") == true, "clients read a PowerDNS version")
        let list = fixture.json(fixture.call("GET", Self.base + "/zones")) as? [[String: Any]] ?? []
        #expect(list.map { $0["name"] as? String } == ["example.com.", "other.test."])
        #expect(list.allSatisfy { $0["rrsets"] == nil })
        let zone = fixture.json(fixture.call("GET", Self.base + "/zones/example.com.")) as? [String: Any]
        #expect(zone?["serial"] as? Int == 10 && zone?["kind"] as? String == "Master")
        let rrsets = zone?["rrsets"] as? [[String: Any]] ?? []
        let www = rrsets.first { $0["name"] as? String == "www.example.com." && $0["type"] as? String == "A" }
        #expect((www?["records"] as? [[String: Any]])?.first?["content"] as? String == "192.0.2.1")
        #expect(fixture.call("GET", Self.base + "/zones/nothere.test.").status == 404)
        // PowerDNS's =2F-style escapes in zone ids.
        #expect(fixture.call("GET", Self.base + "/zones/example=2Ecom.").status == 200)
    }

    @Test func aPatchReplacesAndDeletesInOneCommit() throws {
        let fixture = try Fixture()
        let patch = """
            {"rrsets": [
              {"name": "www.example.com.", "type": "A", "ttl": 60, "changetype": "REPLACE",
               "records": [{"content": "192.0.2.7", "disabled": false}, {"content": "192.0.2.8", "disabled": false}]},
              {"name": "example.com.", "type": "ALIAS", "ttl": 60, "changetype": "REPLACE",
               "records": [{"content": "lb.example.net.", "disabled": false}]},
              {"name": "txt.example.com.", "type": "TXT", "ttl": 300, "changetype": "REPLACE",
               "records": [{"content": "\\"v=spf1 -all\\"", "disabled": false}]},
              {"name": "ns1.example.com.", "type": "AAAA", "changetype": "DELETE"}
            ]}
            """
        #expect(fixture.call("PATCH", Self.base + "/zones/example.com.", patch).status == 204)
        let zone = try fixture.store.exportZone("example.com.")
        #expect(zone.serial == SerialNumber(11), "one serial increase for the whole PATCH")
        #expect(zone.rrset(at: try DomainName("www.example.com."), type: .A)?.count == 2)
        #expect(zone.rrset(at: try DomainName("example.com."), type: .ALIAS)?.rdatas.first?.presentation == "lb.example.net.")
        // The same PATCH again changes nothing and keeps the serial.
        #expect(fixture.call("PATCH", Self.base + "/zones/example.com.", patch).status == 204)
        #expect(try fixture.store.exportZone("example.com.").serial == SerialNumber(11))
        let delete = #"{"rrsets": [{"name": "www.example.com.", "type": "A", "changetype": "DELETE"}]}"#
        #expect(fixture.call("PATCH", Self.base + "/zones/example.com.", delete).status == 204)
        #expect(try fixture.store.exportZone("example.com.").rrset(at: try DomainName("www.example.com."), type: .A) == nil)
    }

    @Test func badPatchesGetPowerDNSErrorsAndChangeNothing() throws {
        let fixture = try Fixture()
        let before = try dump(fixture.store)
        func rrset(_ fields: String) -> String { #"{"rrsets": [{"# + fields + "}]}" }
        let cases: [(body: String, status: Int, says: String)] = [
            ("{\"rrsets\": [", 400, "not valid JSON"),
            ("[1, 2]", 422, "wrong type"),
            ("{}", 422, "missing field 'rrsets'"),
            (rrset(#""name": "www.example.com.", "type": "A", "ttl": "sixty", "changetype": "REPLACE", "records": []"#), 422, "rrsets[0].ttl"),
            (rrset(#""name": "www", "type": "A", "ttl": 60, "changetype": "REPLACE", "records": [{"content": "192.0.2.1"}]"#), 422, "not canonical"),
            (rrset(#""name": "www.example.org.", "type": "A", "ttl": 60, "changetype": "REPLACE", "records": [{"content": "192.0.2.1"}]"#), 422, "out of zone"),
            (rrset(#""name": "www.example.com.", "type": "BOGUS", "ttl": 60, "changetype": "REPLACE", "records": []"#), 422, "record type"),
            (rrset(#""name": "www.example.com.", "type": "A", "ttl": 60, "changetype": "EXTEND", "records": []"#), 422, "Changetype"),
            (rrset(#""name": "www.example.com.", "type": "A", "ttl": 60, "records": [{"content": "192.0.2.1"}]"#), 422, "Changetype"),
            (rrset(#""name": "www.example.com.", "type": "A", "ttl": 60, "changetype": "REPLACE", "records": [{"content": "not-an-address"}]"#), 422, "not-an-address"),
            (rrset(#""name": "www.example.com.", "type": "A", "ttl": 60, "changetype": "REPLACE", "records": [{"content": "192.0.2.1", "disabled": true}]"#), 422, "disabled"),
            (rrset(#""name": "www.example.com.", "type": "A", "ttl": 60, "changetype": "REPLACE", "records": [{"content": "192.0.2.1"}], "comments": [{"content": "hi"}]"#), 422, "comments"),
            (rrset(#""name": "www.example.com.", "type": "CNAME", "ttl": 60, "changetype": "REPLACE", "records": [{"content": "other.example.com."}]"#), 422, "CNAME"),
            (rrset(#""name": "example.com.", "type": "SOA", "changetype": "DELETE""#), 422, "SOA"),
            (#"{"rrsets": [{"name": "a.example.com.", "type": "A", "changetype": "DELETE"}, {"name": "A.example.com.", "type": "A", "changetype": "DELETE"}]}"#, 422, "Duplicate"),
        ]
        for item in cases {
            let response = fixture.call("PATCH", Self.base + "/zones/example.com.", item.body)
            #expect(response.status == item.status, "\(item.body): \(response.status) \(fixture.error(response))")
            #expect(fixture.error(response).contains(item.says), "\(item.body): \(fixture.error(response))")
        }
        #expect(try dump(fixture.store) == before)
    }

    @Test func zonesAreCreatedAndDeleted() throws {
        let fixture = try Fixture()
        let created = fixture.call("POST", Self.base + "/zones", #"""
            {"name": "new.test.", "kind": "Native", "nameservers": [], "masters": [], "soa_edit_api": "DEFAULT", "serial": 0,
             "rrsets": [{"name": "new.test.", "type": "NS", "ttl": 3600, "changetype": "REPLACE",
                         "records": [{"content": "ns1.new.test.", "disabled": false}]},
                        {"name": "ns1.new.test.", "type": "A", "ttl": 300, "changetype": "REPLACE",
                         "records": [{"content": "192.0.2.1", "disabled": false}]}]}
            """#)
        #expect(created.status == 201, "\(fixture.error(created))")
        let zone = try fixture.store.exportZone("new.test.")
        #expect(zone.soa?.mname == (try DomainName("ns1.new.test.")), "an SOA is made from the first name server")
        #expect(fixture.call("POST", Self.base + "/zones", #"{"name": "new.test.", "nameservers": ["ns1.new.test."]}"#).status == 409)
        #expect(fixture.call("POST", Self.base + "/zones", #"{"name": "sec.test.", "kind": "Slave", "masters": ["192.0.2.1"]}"#).status == 422)
        #expect(fixture.call("POST", Self.base + "/zones", #"{"name": "nons.test."}"#).status == 422)
        #expect(fixture.call("DELETE", Self.base + "/zones/new.test.").status == 204)
        #expect(throws: StoreError.self) { try fixture.store.exportZone("new.test.") }
        #expect(fixture.call("DELETE", Self.base + "/zones/new.test.").status == 404)
    }

    @Test func aScopedKeySeesAndChangesOnlyItsZones() throws {
        let fixture = try Fixture()
        let list = fixture.json(fixture.call("GET", Self.base + "/zones", key: fixture.scopedSecret)) as? [[String: Any]] ?? []
        #expect(list.map { $0["name"] as? String } == ["example.com."])
        #expect(fixture.call("GET", Self.base + "/zones/other.test.", key: fixture.scopedSecret).status == 403)
        #expect(fixture.call("DELETE", Self.base + "/zones/other.test.", key: fixture.scopedSecret).status == 403)
        #expect(fixture.call("POST", Self.base + "/zones", #"{"name": "x.test.", "nameservers": ["ns.x.test."]}"#,
                             key: fixture.scopedSecret).status == 403)
        #expect(try fixture.store.listZones().count == 2)
    }

    @Test func unsupportedRequestsGetPowerDNSErrors() throws {
        let fixture = try Fixture()
        #expect(fixture.call("GET", "/api/v1/servers/other/zones").status == 404)
        #expect(fixture.call("GET", Self.base + "/zones/example.com./metadata").status == 404)
        #expect(fixture.call("POST", Self.base + "/zones/example.com.").status == 405)
        let put = fixture.call("PUT", Self.base + "/zones/example.com.", #"{"kind": "Slave"}"#)
        #expect(put.status == 422 && fixture.error(put).contains("not supported"))
        #expect(fixture.call("GET", "/nothing").status == 404)
    }
}
