import Foundation
import Testing

/// Issue 15, item 5: catalogs over TSIG both ways, and the per-member groups of the catalog the signer
/// produces. A followed catalog whose primary (NSD) requires a key is refused without the key or with a
/// wrong one — nothing added, nothing parked — and followed with the right one; the signer's own catalog
/// goes to a Knot secondary over TSIG, each member with its own `group`, which Knot maps to a template.
@Suite(.serialized)
struct CatalogTSIGTests {
    static let catalog = "catalog.invalid."

    static func secret() -> String { Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString() }

    /// NSD serving `catalog` (text) and `zones`, every transfer only with `key` (name, secret).
    static func startNSD(_ harness: TwoTierHarness, catalog text: String, zones: [String], key: (name: String, secret: String),
                         run: Int) throws -> BackgroundProcess {
        try text.write(toFile: harness.dir + "/catalog.zone", atomically: true, encoding: .utf8)
        var config = NSDConfig.server(directory: harness.dir, port: harness.upstreamPort, verbosity: 1) + "\n"
        config += "key:\n    name: \"\(key.name)\"\n    algorithm: hmac-sha256\n    secret: \"\(key.secret)\"\n"
        config += "zone:\n    name: \"\(Self.catalog)\"\n    zonefile: \"catalog.zone\"\n    provide-xfr: 127.0.0.1 \(key.name)\n"
        for zone in zones {
            try CatalogPeersTests.zoneFile(zone, serial: 1, address: "192.0.2.7").write(toFile: harness.dir + "/\(zone)zone", atomically: true, encoding: .utf8)
            config += "zone:\n    name: \"\(zone)\"\n    zonefile: \"\(zone)zone\"\n    provide-xfr: 127.0.0.1 \(key.name)\n"
        }
        try config.write(toFile: harness.dir + "/nsd-tsig.conf", atomically: true, encoding: .utf8)
        return try BackgroundProcess("nsd", ["-d", "-c", harness.dir + "/nsd-tsig.conf"],
                                     log: harness.directory.appendingPathComponent("nsd-tsig-\(run).log"))
    }

    static func catalogText(serial: Int, members: [String]) -> String {
        "$ORIGIN \(catalog)\n$TTL 0\n@ SOA invalid. invalid. \(serial) 3600 600 2147483646 0\n@ NS invalid.\nversion TXT \"2\"\n"
            + members.enumerated().map { "m\($0.offset).zones PTR \($0.element)\n" }.joined()
    }

    /// `catalog show` reports a refusal, and the signer holds none of the catalog's zones.
    static func expectRefusedAndNothingAdded(_ harness: TwoTierHarness, _ zones: [String], _ what: String) throws {
        let refused = TwoTierHarness.poll(20, { (try? harness.signerCLI(["catalog", "show"])) ?? "" }, until: { $0.contains("REFUSED") })
        #expect(refused.ok, "\(what): the catalog was not refused:\n\(refused.output)\n\(harness.logs)")
        Thread.sleep(forTimeInterval: 2)  // more polls of the same catalog
        let listed = try harness.signerCLI(["zone", "list"])
        for zone in zones { #expect(!listed.contains(zone), "\(what): \(zone) was added from a catalog that was refused:\n\(listed)") }
    }

    @Test func aCatalogBehindTSIGIsRefusedWithoutTheRightKeyAndFollowedWithIt() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("dig") else { return }
        let harness = try TwoTierHarness(name: "catalog-tsig-follow")
        var nsd: BackgroundProcess?
        defer {
            nsd?.stop()
            harness.cleanUp()
        }
        let key = (name: "catalog-key.", secret: Self.secret())
        let zones = ["t1.tsig.test.", "t2.tsig.test."]
        nsd = try Self.startNSD(harness, catalog: Self.catalogText(serial: 1, members: zones), zones: zones, key: key, run: 1)
        let follow = ["catalog", "follow", Self.catalog, "--primary", "127.0.0.1:\(harness.upstreamPort)", "--poll", "1s"]

        // No key: NSD refuses the transfer.
        try harness.signerCLI(follow)
        try harness.startSigner()
        try Self.expectRefusedAndNothingAdded(harness, zones, "without a key")
        try harness.signerCLI(["catalog", "unfollow", Self.catalog])

        // The key's name with a wrong secret: NSD refuses the signature.
        try harness.signerCLI(["tsig", "add", key.name, "--secret", Self.secret()])
        try harness.signerCLI(follow + ["--key", key.name])
        try Self.expectRefusedAndNothingAdded(harness, zones, "with a wrong secret")
        let refusals = try ExternalTool.run("sqlite3", [harness.signerDB, "SELECT count(*) FROM outbox_events WHERE kind = 'transfer.refused' AND zone = '\(Self.catalog)'"], timeout: 30)
        #expect(Int(refusals.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 >= 2, "one event per refusal reason: \(refusals)")

        // The right secret: the catalog and its members (transferred with the same key) are followed.
        try harness.signerCLI(["catalog", "unfollow", Self.catalog])
        try harness.signerCLI(["tsig", "delete", key.name])
        try harness.signerCLI(["tsig", "add", key.name, "--secret", key.secret])
        try harness.signerCLI(follow + ["--key", key.name])
        try CatalogPeersTests.servedSigned(harness, zones)
        let shown = try harness.signerCLI(["catalog", "show"])
        #expect(shown.contains("key \(key.name)") && !shown.contains("REFUSED"), "catalog show:\n\(shown)")

        // The primary rotates its key (and drops t2 meanwhile): the signer's key no longer signs right, the
        // catalog is refused, and nothing changes — t2 is not parked on the word of an unauthenticated catalog.
        nsd?.stop()
        nsd = try Self.startNSD(harness, catalog: Self.catalogText(serial: 2, members: [zones[0]]), zones: zones,
                                key: (key.name, Self.secret()), run: 2)
        let refused = TwoTierHarness.poll(20, { (try? harness.signerCLI(["catalog", "show"])) ?? "" }, until: { $0.contains("REFUSED") })
        #expect(refused.ok, "a catalog signed with another secret was not refused:\n\(refused.output)\n\(harness.logs)")
        Thread.sleep(forTimeInterval: 2)
        for zone in zones { #expect(CatalogFollowTests.signed(harness, zone), "\(zone) stopped being served after a refused catalog") }
        #expect(try !harness.signerCLI(["catalog", "show"]).contains("parked"), "a zone was parked on a refused catalog")
    }

    /// The members' node ids and groups in the catalog as `dig AXFR` shows it: zone → groups.
    static func groups(inCatalog text: String) -> [String: [String]] {
        var ids: [String: String] = [:]
        var byID: [String: [String]] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard fields.count >= 5 else { continue }
            let owner = fields[0].lowercased()
            if fields[3] == "PTR", owner.hasSuffix(".zones.\(catalog)") {
                ids[String(owner.dropLast(".zones.\(catalog)".count))] = fields[4].lowercased()
            } else if fields[3] == "TXT", owner.hasPrefix("group.") {
                let id = String(owner.dropFirst("group.".count).dropLast(".zones.\(catalog)".count))
                byID[id, default: []].append(fields[4...].joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
            }
        }
        return Dictionary(uniqueKeysWithValues: ids.map { ($0.value, (byID[$0.key] ?? []).sorted()) })
    }

    @Test func theProducedCatalogGoesToKnotOverTSIGWithEachMembersOwnGroup() throws {
        guard ExternalTool.require("nsd"), ExternalTool.require("knotd"), ExternalTool.require("dig") else { return }
        let harness = try TwoTierHarness(name: "catalog-tsig-fleet")
        var processes: [BackgroundProcess] = []
        defer {
            for process in processes { process.stop() }
            harness.cleanUp()
        }
        let zones = ["g1.group.test.", "g2.group.test.", "g3.group.test."]
        processes.append(try CatalogFleetTests.startNSD(zones, port: harness.upstreamPort, dir: harness.dir))
        let key = (name: "fleet-key.", secret: Self.secret())
        let knotPort = try FreePort.next()
        let knotDir = harness.dir + "/fleet-knot"
        for sub in ["member", "red", "blue"] {
            try FileManager.default.createDirectory(atPath: knotDir + "/" + sub, withIntermediateDirectories: true)
        }

        try harness.signerCLI(["tsig", "add", key.name, "--secret", key.secret])
        try harness.signerCLI(["catalog", "set", Self.catalog, "--group", "red"])
        try harness.signerCLI(["catalog", "downstream", "add", "127.0.0.2:\(knotPort)", "--key", key.name])
        let primary = ["--primary", "127.0.0.1:\(harness.upstreamPort)"]
        try harness.signerCLI(["zone", "add", zones[0], zones[1]] + primary)
        try harness.signerCLI(["zone", "add", zones[2], "--catalog-group", "blue"] + primary)
        let set = try harness.signerCLI(["zone", "set", zones[1], "--catalog-group", "blue"])
        #expect(set.contains("catalog group: the catalog's → blue"), "zone set:\n\(set)")
        let shownGroup = try harness.signerCLI(["zone", "status", zones[1]])
        #expect(shownGroup.contains("blue (in the catalog produced here)"), "zone status:\n\(shownGroup)")
        // Bad input is refused with a reason and changes nothing.
        for (arguments, reason) in [
            (["zone", "set", zones[0], "--catalog-group", ""], "1 to 255 bytes"),
            (["zone", "set", zones[0], "--catalog-group", String(repeating: "g", count: 256)], "1 to 255 bytes"),
            (["zone", "set", "nowhere.group.test.", "--catalog-group", "blue"], "no such zone"),
            (["zone", "set", zones[0], "--catalog-group", "blue", "--no-catalog-group"], "not both"),
        ] {
            let result = try ExternalTool.execute(TwoTierHarness.signerBinary, arguments + ["--db", harness.signerDB], timeout: 60)
            #expect(result.status != 0 && result.output.contains(reason), "\(arguments): \(result.output)")
        }
        let status = try harness.signerCLI(["zone", "status", zones[0], "--json"])
        let settings = ((try? JSONSerialization.jsonObject(with: Data(status.utf8))) as? [String: Any])?["settings"] as? [String: Any]
        #expect(settings?["catalogGroup"] == nil, "the refused changes left a group on \(zones[0]):\n\(status)")

        // Knot, configured only with the catalog and a template per group (plus the default one first).
        var config = SecondaryConfig.knotServer(directory: knotDir, address: "127.0.0.2", port: knotPort, backgroundWorkers: 2)
        config += """
            key:
              - id: \(key.name)
                algorithm: hmac-sha256
                secret: \(key.secret)
            remote:
              - id: signer
                address: 127.0.0.1@\(harness.signerPort)
                via: 127.0.0.2
                key: \(key.name)
            acl:
              - id: notify_from_signer
                address: 127.0.0.0/8
                key: \(key.name)
                action: notify
            template:
              - id: default
                storage: "\(knotDir)"
                zonefile-sync: -1

            """
        for template in ["member", "red", "blue"] {
            config += "  - id: \(template)\n    storage: \"\(knotDir)/\(template)\"\n    zonefile-sync: 0\n    master: signer\n    acl: notify_from_signer\n"
        }
        config += """
            zone:
              - domain: \(Self.catalog)
                master: signer
                acl: notify_from_signer
                catalog-role: interpret
                catalog-template: [member, red, blue]

            """
        try config.write(toFile: knotDir + "/knot.conf", atomically: true, encoding: .utf8)
        processes.append(try BackgroundProcess("knotd", ["-c", knotDir + "/knot.conf"], log: harness.directory.appendingPathComponent("fleet-knot.log")))
        try harness.startSigner()

        // The catalog's bytes: each member with its own group, or the catalog's. Only the fleet's key
        // may transfer it.
        let tsig = "hmac-sha256:\(key.name):\(key.secret)"
        func axfr(_ extra: [String]) -> String {
            (try? ExternalTool.run("dig", ["@127.0.0.1", "-p", "\(harness.signerPort)", "+tcp", "+noall", "+answer", "+time=2", "+tries=1"]
                + extra + [Self.catalog, "AXFR"], timeout: 15, allowFailure: true)) ?? ""
        }
        let wanted = [zones[0]: ["red"], zones[1]: ["blue"], zones[2]: ["blue"]]
        let produced = TwoTierHarness.poll(30, { axfr(["-b", "127.0.0.2", "-y", tsig]) }, until: { Self.groups(inCatalog: $0) == wanted })
        #expect(produced.ok, "the produced catalog's members and groups:\n\(produced.output)\n\(harness.logs)")
        for extra in [["-b", "127.0.0.2"], ["-b", "127.0.0.1"]] {
            let unsigned = axfr(extra)
            #expect(!unsigned.contains("PTR"), "the catalog went out without the fleet's key (\(extra)):\n\(unsigned)")
        }

        // Knot serves every member signed, each from the template its group names.
        let served = TwoTierHarness.poll(60, {
            (try? ExternalTool.run("dig", ["@127.0.0.2", "-p", "\(knotPort)", "+norec", "+dnssec", "+noall", "+answer", "+time=2", "+tries=1"]
                + zones.flatMap { [$0, "SOA"] }, timeout: 30, allowFailure: true)) ?? ""
        }, until: { text in zones.allSatisfy { zone in text.split(separator: "\n").contains { $0.hasPrefix(zone) && $0.contains("RRSIG\tSOA") } } })
        #expect(served.ok, "Knot does not serve every member signed:\n\(served.output)\n\(processes.last?.log.suffix(3000) ?? "")")
        // zonefile-sync 0: Knot writes each member's file at once, into the storage of the template it chose.
        let expected = "member: \nred: \(zones[0])zone\nblue: \(zones[1])zone \(zones[2])zone"
        let files = TwoTierHarness.poll(30, {
            ["member", "red", "blue"].map { sub in
                "\(sub): " + ((try? FileManager.default.contentsOfDirectory(atPath: knotDir + "/" + sub)) ?? []).filter { $0.hasSuffix(".zone") }.sorted().joined(separator: " ")
            }.joined(separator: "\n")
        }, until: { $0 == expected })
        #expect(files.ok, "Knot did not apply each member's template (zone files per template's storage):\n\(files.output)\n\(processes.last?.log.suffix(3000) ?? "")")

        // Clearing a zone's own group: it carries the catalog's again.
        try harness.signerCLI(["zone", "set", zones[2], "--no-catalog-group"])
        let cleared = TwoTierHarness.poll(20, { axfr(["-b", "127.0.0.2", "-y", tsig]) }, until: { Self.groups(inCatalog: $0)[zones[2]] == ["red"] })
        #expect(cleared.ok, "after --no-catalog-group:\n\(cleared.output)")
    }
}
