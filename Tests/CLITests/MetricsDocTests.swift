import Foundation
import Testing

/// docs/METRICS.md is the contract: both daemons run (NSD as the upstream, `dns-primary serve`,
/// `dns-signer serve`, each with a webhook channel that works and one that fails), every event the
/// table documents is driven at least once, and each daemon's `/metrics` must then hold every metric
/// the table says it sets, with the table's label names; label values the table enumerates must be
/// among them, and no `countersign_` metric may be exported without a row. The names are read from the
/// doc itself, so the doc and the code cannot drift apart unnoticed.
@Suite(.serialized)
struct MetricsDocTests {
    static let zone = TwoTierHarness.zone
    static let primaryCatalog = "catalog.invalid."
    static let signerCatalog = "fleet.invalid."
    static let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../docs/METRICS.md").standardized.path

    /// One row of a metrics table in docs/METRICS.md.
    struct Documented: CustomStringConvertible {
        var name: String
        /// Label names, in the order documented.
        var labels: [String]
        /// The values the doc lists per label; absent for free-form labels (`zone`, `channel`) and for
        /// open lists (ending in `…`).
        var values: [String: Set<String>]
        var bySigner: Bool
        var byPrimary: Bool
        var description: String { "\(name){\(labels.joined(separator: ","))}" }
    }

    /// Every table row whose first cell is a backquoted `countersign_…` name: `| name | type | labels | set by | meaning |`.
    static func documented() throws -> [Documented] {
        let text = try String(contentsOfFile: doc, encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> Documented? in
            // Split on unescaped pipes (`\|` separates values inside a cell).
            let cells = line.replacingOccurrences(of: "\\|", with: "\u{1}").split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.replacingOccurrences(of: "\u{1}", with: "|").trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 6, cells[1].hasPrefix("`countersign_"), cells[1].hasSuffix("`") else { return nil }
            var row = Documented(name: String(cells[1].dropFirst().dropLast()), labels: [], values: [:], bySigner: false, byPrimary: false)
            if cells[3] != "—" && !cells[3].isEmpty {
                for part in cells[3].split(separator: ",") {
                    let ticks = Self.backquoted(String(part))
                    guard let label = ticks.first else { continue }
                    row.labels.append(label)
                    if part.contains("="), !part.contains("…") { row.values[label] = Set(ticks.dropFirst()) }
                }
            }
            let setBy = cells[4].lowercased()
            row.bySigner = setBy.contains("signer") || setBy.contains("both")
            row.byPrimary = setBy.contains("primary") || setBy.contains("both")
            return row
        }
    }

    static func backquoted(_ text: String) -> [String] {
        text.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    /// One exported series.
    struct Series {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// The Prometheus text exposition: `name{a="x",b="y"} value` and `name value` lines.
    static func parse(_ exposition: String) -> [Series] {
        exposition.split(separator: "\n").compactMap { line -> Series? in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { return nil }
            let head = line[..<space]
            guard let brace = head.firstIndex(of: "{") else { return Series(name: String(head), labels: [:], value: value) }
            var labels: [String: String] = [:]
            let body = head[head.index(after: brace)..<(head.lastIndex(of: "}") ?? head.endIndex)]
            var rest = Substring(body)
            while let equals = rest.firstIndex(of: "=") {
                let key = rest[..<equals].trimmingCharacters(in: CharacterSet(charactersIn: ", "))
                var cursor = rest.index(after: rest.index(after: equals))  // past ="
                var text = ""
                while cursor < rest.endIndex, rest[cursor] != "\"" {
                    if rest[cursor] == "\\" { cursor = rest.index(after: cursor) }
                    if cursor < rest.endIndex { text.append(rest[cursor]) }
                    cursor = rest.index(after: cursor)
                }
                labels[key] = text
                rest = cursor < rest.endIndex ? rest[rest.index(after: cursor)...] : ""
            }
            return Series(name: String(head[..<brace]), labels: labels, value: value)
        }
    }

    static func scrape(_ port: Int) -> [Series] {
        parse((try? ExternalTool.run("curl", ["-sS", "--max-time", "10", "http://127.0.0.1:\(port)/metrics"], timeout: 15)) ?? "")
    }

    /// The upstream NSD with a 3-second TTL on the load balancer, so an ALIAS target stops resolving
    /// within seconds of NSD stopping.
    static func startUpstream(_ harness: TwoTierHarness) throws -> BackgroundProcess {
        try """
            $ORIGIN ec2.aws.com.
            $TTL 3
            @ SOA ns hostmaster 1 3600 600 86400 3
            @ NS ns
            ns A 127.0.0.1
            usasearch-elb 3 A 192.0.2.10
            usasearch-elb 3 AAAA 2001:db8::10

            """.write(toFile: harness.dir + "/ec2.zone", atomically: true, encoding: .utf8)
        try (NSDConfig.server(directory: harness.dir, port: harness.upstreamPort, verbosity: 1)
            + "\nzone:\n    name: \"ec2.aws.com\"\n    zonefile: \"ec2.zone\"\n")
            .write(toFile: harness.dir + "/nsd.conf", atomically: true, encoding: .utf8)
        let nsd = try BackgroundProcess("nsd", ["-d", "-c", harness.dir + "/nsd.conf"],
                                        log: harness.directory.appendingPathComponent("nsd-\(UUID().uuidString.prefix(4)).log"))
        _ = TwoTierHarness.poll(10, { harness.dig(harness.upstreamPort, ["+short", "usasearch-elb.ec2.aws.com", "A"]) },
                                until: { $0.contains("192.0.2.10") })
        return nsd
    }

    /// Two webhook channels: `ok` answers 204, `broken` 500 (each attempt is a failure, retried).
    static func channels(_ receiver: SignerNotificationTests.Receiver) -> String {
        """
        [webhook ok]
        url http://127.0.0.1:\(receiver.port)/ok
        secret "\(SignerNotificationTests.secret)"

        [webhook broken]
        url http://127.0.0.1:\(receiver.port)/status/500
        secret "\(SignerNotificationTests.secret)"

        """
    }

    @Test func everyDocumentedMetricIsExportedWithItsLabels() throws {
        guard SignerNotificationTests.requireTools(["nsd", "dig", "curl", "python3", "sqlite3"]) else { return }
        let rows = try Self.documented()
        #expect(rows.count >= 14, "the doc's metrics tables were not read: \(rows)")
        let harness = try TwoTierHarness(name: "metrics-doc")
        var upstream: BackgroundProcess?
        var primary: BackgroundProcess?
        var signer: BackgroundProcess?
        let receiver = try SignerNotificationTests.Receiver.start(in: harness.directory)
        defer {
            signer?.stop()
            primary?.stop()
            upstream?.stop()
            receiver.stop()
            harness.cleanUp()
        }
        upstream = try Self.startUpstream(harness)
        let primaryMetrics = try FreePort.next()
        let signerMetrics = try FreePort.next()
        try Self.channels(receiver).write(toFile: harness.dir + "/primary.conf", atomically: true, encoding: .utf8)
        try Self.channels(receiver).write(toFile: harness.dir + "/signer.conf", atomically: true, encoding: .utf8)
        try harness.setUpPrimary(notify: true)
        // Catalogs both ways (the catalog metrics): the primary produces one, the signer follows it and
        // produces its own. The primary's zone is held by hand at the signer, so following changes nothing.
        try harness.primaryCLI(["catalog", "set", Self.primaryCatalog])
        try harness.signerCLI(["catalog", "set", Self.signerCatalog])
        try harness.signerCLI(["catalog", "follow", Self.primaryCatalog, "--primary", "127.0.0.1:\(harness.primaryPort)", "--poll", "1s"])
        var primaryRuns = 0
        func startPrimary() throws -> BackgroundProcess {
            primaryRuns += 1
            return try BackgroundProcess(TwoTierHarness.primaryBinary, [
                "serve", "--db", harness.primaryDB, "--config", harness.dir + "/primary.conf", "--listen", "127.0.0.1:\(harness.primaryPort)",
                "--resolver", "127.0.0.1:\(harness.upstreamPort)", "--refresh", "1", "--retry", "1", "--metrics-listen", "127.0.0.1:\(primaryMetrics)",
            ], log: harness.directory.appendingPathComponent("primary-metrics-\(primaryRuns).log"))
        }
        primary = try startPrimary()
        // A shrink limit of 1 % from the start: deleting one record later is refused (set now, not with
        // `zone set` later, which the daemon takes up only within a second: a NOTIFY could beat it).
        try harness.addSignerZone(poll: "1s", extra: ["--shrink-limit", "0.01"])
        signer = try BackgroundProcess(TwoTierHarness.signerBinary, [
            "serve", "--db", harness.signerDB, "--config", harness.dir + "/signer.conf", "--listen", "127.0.0.1:\(harness.signerPort)",
            "--threads", "1", "--metrics-listen", "127.0.0.1:\(signerMetrics)",
        ], log: harness.directory.appendingPathComponent("signer-metrics.log"))
        let signed = TwoTierHarness.poll(30, { harness.askSigner(Self.zone, "SOA") }, until: { $0.contains("status: NOERROR") && $0.contains("RRSIG") })
        try #require(signed.ok, "the zone was not signed and served:\n\(harness.logs)")

        // A change: re-signed (`change`), then unchanged polls every second.
        try harness.primaryCLI(["record", "add", Self.zone, "metrics", "300", "A", "192.0.2.99"])
        #expect(TwoTierHarness.poll(15, { harness.askSigner("metrics.\(Self.zone)", "A") }, until: { $0.contains("192.0.2.99") && $0.contains("RRSIG") }).ok,
                "the change was not signed:\n\(harness.logs)")
        // The primary goes away: the signer's polls fail (an event after three), and work again once it is back.
        primary?.stop()
        primary = nil
        let failing = TwoTierHarness.wait(40, { Self.eventKinds(harness.signerDB) }, until: { $0.contains("transfer.failing") })
        #expect(failing.ok, "the signer did not see the primary fail:\n\(failing.output)\n\(harness.logs)")
        primary = try startPrimary()
        let recovered = TwoTierHarness.wait(40, { Self.eventKinds(harness.signerDB) }, until: { $0.contains("transfer.recovered") })
        #expect(recovered.ok, "the signer did not recover:\n\(recovered.output)\n\(harness.logs)")
        // The load balancer's name stops resolving: the primary's ALIAS fails, an event on its channels (this
        // primary process's counters: the restarted one), and it resolves again.
        upstream?.stop()
        upstream = nil
        let aliasFailing = TwoTierHarness.wait(40, { Self.eventKinds(harness.primaryDB) }, until: { $0.contains("alias.failing") })
        #expect(aliasFailing.ok, "the primary did not report the failing ALIAS target:\n\(aliasFailing.output)\n\(harness.logs)")
        upstream = try Self.startUpstream(harness)
        let aliasBack = TwoTierHarness.wait(40, { Self.eventKinds(harness.primaryDB) }, until: { $0.contains("alias.recovered") })
        #expect(aliasBack.ok, "the primary did not report the recovery:\n\(aliasBack.output)\n\(harness.logs)")
        // A refusal (a shrink past the 1 % limit), then accept-next lets it through.
        try harness.primaryCLI(["record", "delete", Self.zone, "ns2", "AAAA"])
        let refused = TwoTierHarness.wait(20, { Self.eventKinds(harness.signerDB, zone: Self.zone) }, until: { $0.contains("transfer.refused") })
        #expect(refused.ok, "no refusal:\n\(refused.output)\n\(harness.logs)")
        try harness.signerCLI(["zone", "accept-next", Self.zone])
        #expect(TwoTierHarness.poll(15, { harness.askSigner("ns2.\(Self.zone)", "AAAA") }, until: { $0.contains("ANSWER: 0") }).ok)
        // Queries both daemons answer, and a transfer from the primary (besides the signer's).
        _ = harness.dig(harness.primaryPort, [Self.zone, "SOA"])
        _ = harness.dig(harness.primaryPort, ["nothing-here.\(Self.zone)", "A"])
        _ = harness.dig(harness.signerPort, ["nothing-here.\(Self.zone)", "A"])
        // Deliveries: every event to `ok`, a failed attempt on `broken`, on both daemons.
        let delivered = TwoTierHarness.wait(20, { (Self.scrape(primaryMetrics), Self.scrape(signerMetrics)) }, until: { scrapes in
            [scrapes.0, scrapes.1].allSatisfy { series in
                Self.value(series, "countersign_notifications_delivered_total", ["channel": "ok"]) ?? 0 > 0
                    && Self.value(series, "countersign_notification_failures_total", ["channel": "broken"]) ?? 0 > 0
            }
        })
        #expect(delivered.ok, "deliveries and failures are not counted on both daemons:\n\(harness.logs)")

        for (daemon, series) in [("dns-primary", delivered.output.0), ("dns-signer", delivered.output.1)] {
            let expected = rows.filter { daemon == "dns-primary" ? $0.byPrimary : $0.bySigner }
            for row in expected {
                let found = series.filter { $0.name == row.name }
                #expect(!found.isEmpty, "\(daemon) does not export \(row) (docs/METRICS.md)")
                for one in found {
                    #expect(Set(one.labels.keys) == Set(row.labels), "\(daemon): \(row.name) has labels \(one.labels.keys.sorted()), documented \(row.labels)")
                    for (label, allowed) in row.values {
                        if let value = one.labels[label] {
                            #expect(allowed.contains(value), "\(daemon): \(row.name){\(label)=\"\(value)\"} is not documented (\(allowed.sorted()))")
                        }
                    }
                    // The one zone; and the primary's catalog, whose outgoing transfers (to the signer following
                    // it) are transfers like any zone's.
                    if let zone = one.labels["zone"] {
                        let catalogTransfer = daemon == "dns-primary" && row.name == "countersign_zone_last_successful_transfer_timestamp_seconds"
                            && zone == Self.primaryCatalog
                        #expect(zone == Self.zone || catalogTransfer, "\(daemon): \(row.name) zone=\"\(zone)\"")
                    }
                }
            }
            let documentedNames = Set(rows.map(\.name))
            let undocumented = Set(series.map(\.name).filter { $0.hasPrefix("countersign_") }).subtracting(documentedNames)
            #expect(undocumented.isEmpty, "\(daemon) exports metrics docs/METRICS.md does not list: \(undocumented.sorted())")
        }
        // What was driven is counted, not merely declared.
        let signerSeries = delivered.output.1
        let primarySeries = delivered.output.0
        for result in ["changed", "unchanged", "failed", "refused"] {
            #expect(Self.value(signerSeries, "countersign_polls_total", ["result": result]) ?? 0 > 0, "polls \(result)")
        }
        #expect(Self.value(signerSeries, "countersign_transfer_refusals_total", ["reason": "shrink"]) ?? 0 > 0)
        #expect(Self.value(signerSeries, "countersign_signings_total", ["reason": "initial"]) == 1)
        #expect(Self.value(signerSeries, "countersign_zone_expired", [:]) == 0)
        #expect(Self.value(primarySeries, "countersign_alias_resolutions_total", ["result": "resolved"]) ?? 0 > 0)
        #expect(Self.value(primarySeries, "countersign_alias_resolutions_total", ["result": "resolved"]).map { _ in
            primarySeries.filter { $0.name == "countersign_alias_resolutions_total" }.allSatisfy { $0.labels["zone"] == Self.zone }
        } == true, "the primary counts resolutions per zone")
        let unsigned = Self.value(primarySeries, "countersign_zone_serial", ["kind": "unsigned"])
        #expect(unsigned != nil && unsigned == Self.value(signerSeries, "countersign_zone_serial", ["kind": "unsigned"]),
                "the primary's serial is the one the signer transferred")
        #expect((Self.value(primarySeries, "countersign_zone_last_successful_transfer_timestamp_seconds", [:]) ?? 0)
                > Date().timeIntervalSince1970 - 120, "the primary's last outgoing transfer is recent")
        // The catalogs: one member each way; the followed catalog's failed transfers while the primary was down.
        #expect(Self.value(primarySeries, "countersign_catalog_members", ["catalog": Self.primaryCatalog, "role": "produced"]) == 1)
        #expect(Self.value(signerSeries, "countersign_catalog_members", ["catalog": Self.signerCatalog, "role": "produced"]) == 1)
        #expect(Self.value(signerSeries, "countersign_catalog_members", ["catalog": Self.primaryCatalog, "role": "followed"]) == 1)
        #expect(Self.value(signerSeries, "countersign_catalog_serial", ["catalog": Self.primaryCatalog, "role": "followed"])
                == Self.value(primarySeries, "countersign_catalog_serial", ["catalog": Self.primaryCatalog, "role": "produced"]),
                "the signer applied the serial the primary produced")
        #expect(Self.value(signerSeries, "countersign_catalog_refusals_total", ["catalog": Self.primaryCatalog]) ?? 0 > 0,
                "the catalog's transfers failed while the primary was down")
    }

    /// The value of the first series of `name` whose labels include `labels`.
    static func value(_ series: [Series], _ name: String, _ labels: [String: String]) -> Double? {
        series.first { one in one.name == name && labels.allSatisfy { key, value in one.labels[key] == value } }?.value
    }

    /// The kinds of the events recorded, all or those of one zone (the followed catalog's refusals, while
    /// the primary is down, are `transfer.refused` events of their own).
    static func eventKinds(_ database: String, zone: String? = nil) -> [String] {
        let filter = zone.map { " WHERE zone = '\($0)'" } ?? ""
        return ((try? ExternalTool.run("sqlite3", [database, "SELECT kind FROM outbox_events\(filter) ORDER BY seq"], timeout: 10)) ?? "")
            .split(separator: "\n").map(String.init)
    }
}
