@testable import DaemonKit
import Foundation
import Testing

/// The rules of `/healthz`, evaluated purely: each problem appears exactly when the operator should be
/// paged, and the body names the zone and what is wrong.
struct HealthReportTests {
    static let now: Int64 = 1_700_000_000
    static let day: Int64 = 86_400

    /// A signer zone in good shape: signatures 10 days out, polled a minute ago.
    static func healthy(_ zone: String = "example.com.") -> ZoneHealthInput {
        ZoneHealthInput(zone: zone, earliestSignatureExpiry: now + 10 * day, refreshMargin: 7 * day, dangerMargin: 2 * day,
                        expired: false, lastSuccess: now - 60, since: now - 3_600, maxSilence: 3_600)
    }

    @Test func healthyZonesGiveAnOkReport() {
        let report = HealthReport.evaluate(zones: [Self.healthy(), Self.healthy("example.org.")], now: Self.now)
        #expect(report.isHealthy)
        #expect(report.zonesChecked == 2)
        #expect(report.text == "ok: 2 zones\n")
    }

    @Test func withinTheRefreshMarginButOutsideTheDangerMarginIsStillHealthy() {
        var zone = Self.healthy()
        zone.earliestSignatureExpiry = Self.now + 5 * Self.day  // re-sign due (below 7 days), not late yet
        #expect(HealthReport.evaluate(zones: [zone], now: Self.now).isHealthy)
    }

    @Test func signaturesInsideTheDangerMarginAreAProblemNamingTheZoneAndTheTime() {
        var zone = Self.healthy()
        zone.earliestSignatureExpiry = Self.now + Self.day + 3 * 3_600
        let report = HealthReport.evaluate(zones: [zone], now: Self.now)
        #expect(report.problems == [.signaturesInDangerMargin(
            zone: "example.com.", expiry: Self.now + Self.day + 3 * 3_600, remaining: Self.day + 3 * 3_600,
            dangerMargin: 2 * Self.day, refreshMargin: 7 * Self.day)])
        let line = report.problems[0].description
        #expect(line.contains("example.com."))
        #expect(line.contains("1d 3h"), "\(line)")
        #expect(line.contains("2023-11-16T01:13:20Z"), "the expiry time, in UTC: \(line)")
    }

    @Test func theDangerMarginBoundaryIsExclusive() {
        var zone = Self.healthy()
        zone.earliestSignatureExpiry = Self.now + 2 * Self.day
        #expect(HealthReport.evaluate(zones: [zone], now: Self.now).isHealthy, "exactly the margin left is not yet inside it")
        zone.earliestSignatureExpiry = Self.now + 2 * Self.day - 1
        #expect(!HealthReport.evaluate(zones: [zone], now: Self.now).isHealthy)
    }

    @Test func expiredSignaturesAreTheirOwnProblem() {
        var zone = Self.healthy()
        zone.earliestSignatureExpiry = Self.now - 10
        #expect(HealthReport.evaluate(zones: [zone], now: Self.now).problems == [.signaturesExpired(zone: "example.com.", expiry: Self.now - 10)])
    }

    @Test func theDangerMarginDefaultsToHalfTheRefreshMargin() {
        let zone = ZoneHealthInput(zone: "example.com.", earliestSignatureExpiry: Self.now + 3 * Self.day, refreshMargin: 7 * Self.day)
        #expect(zone.dangerMargin == 7 * Self.day / 2)
        #expect(!HealthReport.evaluate(zones: [zone], now: Self.now).isHealthy, "3 days left is under 3.5")
    }

    @Test func anExpiredZoneIsReportedOnceNotAlsoAsAMissedPoll() {
        var zone = Self.healthy()
        zone.expired = true
        zone.lastSuccess = Self.now - 30 * Self.day
        let report = HealthReport.evaluate(zones: [zone], now: Self.now)
        #expect(report.problems == [.zoneExpired(zone: "example.com.")])
        #expect(report.text.contains("example.com.: expired"))
    }

    @Test func noSuccessfulPollForLongerThanTheLimit() {
        var zone = Self.healthy()
        zone.lastSuccess = Self.now - 3_601
        #expect(HealthReport.evaluate(zones: [zone], now: Self.now).problems
            == [.noSuccessfulPoll(zone: "example.com.", lastSuccess: Self.now - 3_601, silence: 3_601, limit: 3_600)])
        zone.lastSuccess = Self.now - 3_600
        #expect(HealthReport.evaluate(zones: [zone], now: Self.now).isHealthy, "exactly the limit is fine")
    }

    @Test func aZoneNeverPolledIsJudgedFromWhenItWasAdded() {
        var zone = Self.healthy()
        zone.lastSuccess = nil
        zone.since = Self.now - 60
        #expect(HealthReport.evaluate(zones: [zone], now: Self.now).isHealthy, "just added: give it time")
        zone.since = Self.now - 7_200
        let report = HealthReport.evaluate(zones: [zone], now: Self.now)
        #expect(report.problems == [.noSuccessfulPoll(zone: "example.com.", lastSuccess: nil, silence: 7_200, limit: 3_600)])
        #expect(report.problems[0].description.contains("no successful poll yet"), "\(report.problems[0])")
        zone.since = nil
        #expect(!HealthReport.evaluate(zones: [zone], now: Self.now).isHealthy, "never polled and no start time: a problem")
    }

    @Test func unpolledUnsignedZonesOfThePrimaryAreNotJudgedOnPollsOrSignatures() {
        let zone = ZoneHealthInput(zone: "example.com.")
        #expect(HealthReport.evaluate(zones: [zone], now: Self.now).isHealthy)
    }

    @Test func problemsAreInZoneOrderAndEveryZoneIsNamed() {
        var b = Self.healthy("b.example.")
        b.expired = true
        var a = Self.healthy("a.example.")
        a.earliestSignatureExpiry = Self.now + 60
        let report = HealthReport.evaluate(zones: [b, Self.healthy("c.example."), a], now: Self.now)
        #expect(report.problems.map(\.zone) == ["a.example.", "b.example."])
        let lines = report.text.split(separator: "\n")
        #expect(lines.first == "unhealthy: 2 problems")
        #expect(lines.count == 3)
        #expect(lines[1].hasPrefix("- a.example.: signatures expire in 1m"), "\(lines[1])")
    }

    @Test func theJSONBodyParsesAndCarriesCodesAndZones() throws {
        var zone = Self.healthy()
        zone.expired = true
        let report = HealthReport.evaluate(zones: [zone], now: Self.now).adding([.daemon("database unreadable: disk I/O error")])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(object["status"] as? String == "unhealthy")
        #expect(object["zones"] as? Int == 1)
        let problems = try #require(object["problems"] as? [[String: Any]])
        #expect(problems.map { $0["code"] as? String } == ["daemon", "zone-expired"])
        #expect(problems[1]["zone"] as? String == "example.com.")
        #expect(problems[0]["zone"] == nil)
        #expect((problems[0]["message"] as? String)?.contains("disk I/O error") == true)
        let ok = try #require(try JSONSerialization.jsonObject(with: Data(HealthReport(zonesChecked: 3).json.utf8)) as? [String: Any])
        #expect(ok["status"] as? String == "ok")
    }

    @Test func spansReadAsTheTwoLargestUnits() {
        #expect(HealthReport.span(0) == "0s")
        #expect(HealthReport.span(59) == "59s")
        #expect(HealthReport.span(3_600) == "1h")
        #expect(HealthReport.span(3 * 86_400 + 4 * 3_600 + 5 * 60) == "3d 4h")
        #expect(HealthReport.span(2 * 3_600 + 5 * 60 + 9) == "2h 5m")
    }
}
