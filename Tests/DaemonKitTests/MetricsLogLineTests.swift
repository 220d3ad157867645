@testable import DaemonKit
import Foundation
import Logging
import Testing

/// Log lines as an operator or a log shipper reads them: one line per event, zone and reason up front in
/// text, a parseable object per line in JSON.
struct MetricsLogLineTests {
    /// Collects what a handler writes.
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        func append(_ line: String) { lock.lock(); stored.append(line); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return stored }
    }

    static let fixed = Date(timeIntervalSince1970: 1_700_000_000.25)

    static func logger(_ format: LogFormat, level: Logger.Level = .info, into lines: Lines) -> Logger {
        Logger(label: "countersign.signer") { label in
            CountersignLogHandler(label: label, format: format, level: level, metadataProvider: nil, clock: { fixed },
                                  write: lines.append)
        }
    }

    @Test func textIsOneLineWithZoneAndReasonFirst() {
        let lines = Lines()
        let logger = Self.logger(.text, into: lines)
        logger.warning("transfer refused", metadata: [
            "serial": "42", "reason": "shrunk by 80% (12 of 60 RRsets)", "zone": "example.com.", "primary": "10.53.0.1:53",
        ])
        #expect(lines.all == [
            #"2023-11-14T22:13:20.250Z warning countersign.signer: transfer refused zone=example.com. reason="shrunk by 80% (12 of 60 RRsets)" primary=10.53.0.1:53 serial=42"#,
        ])
    }

    @Test func textEscapesLineBreaksAndQuotesSoAnEventStaysOneLine() {
        let lines = Lines()
        let logger = Self.logger(.text, into: lines)
        logger.error("signing failed\nsecond line", metadata: ["zone": "a.example.", "reason": "verifier said \"bad\"\nRRSIG missing", "empty": ""])
        let line = try! #require(lines.all.first)
        #expect(lines.all.count == 1)
        #expect(!line.contains("\n"))
        #expect(line.contains(#"signing failed\nsecond line"#))
        #expect(line.contains(#"reason="verifier said \"bad\"\nRRSIG missing""#), "\(line)")
        #expect(line.hasSuffix(#"empty="""#), "an empty value is visible, not missing: \(line)")
    }

    @Test func levelsBelowTheConfiguredOneAreNotWritten() {
        let lines = Lines()
        let logger = Self.logger(.text, level: .notice, into: lines)
        logger.info("polled", metadata: ["zone": "example.com."])
        logger.debug("detail")
        logger.notice("re-signed", metadata: ["zone": "example.com."])
        #expect(lines.all.count == 1)
        #expect(lines.all.first?.contains("notice countersign.signer: re-signed zone=example.com.") == true)
    }

    @Test func jsonLinesParseWithEveryFieldAndNestedMetadata() throws {
        let lines = Lines()
        var logger = Self.logger(.json, into: lines)
        logger[metadataKey: "daemon"] = "signer"
        logger.info("re-signed \"example.com.\"\nserial up", metadata: [
            "zone": "example.com.", "reason": "change", "serials": ["1", "2"], "counts": ["added": "3", "removed": "1"],
            "message": "clash",
        ])
        logger.error("poll failed", metadata: ["zone": "example.org.", "reason": "connection refused"])
        #expect(lines.all.count == 2)
        for line in lines.all { #expect(!line.contains("\n"), "one event, one line") }
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines.all[0].utf8)) as? [String: Any])
        #expect(first["time"] as? String == "2023-11-14T22:13:20.250Z")
        #expect(first["level"] as? String == "info")
        #expect(first["logger"] as? String == "countersign.signer")
        #expect(first["message"] as? String == "re-signed \"example.com.\"\nserial up")
        #expect(first["zone"] as? String == "example.com.")
        #expect(first["reason"] as? String == "change")
        #expect(first["daemon"] as? String == "signer", "the logger's own metadata is included")
        #expect(first["serials"] as? [String] == ["1", "2"])
        #expect((first["counts"] as? [String: String]) == ["added": "3", "removed": "1"])
        #expect(first["meta.message"] as? String == "clash", "metadata never overwrites the message")
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines.all[1].utf8)) as? [String: Any])
        #expect(second["level"] as? String == "error")
        #expect(second["reason"] as? String == "connection refused")
    }

    @Test func bootstrapHappensOnceAndLaterCallsAreHarmless() {
        // Whichever test reaches it first bootstraps; a second call must neither crash nor re-bootstrap.
        LogSetup.bootstrap(format: .text, level: .critical)
        #expect(LogSetup.bootstrap(format: .text, level: .debug) == false)
    }
}
