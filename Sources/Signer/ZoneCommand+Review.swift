import ArgumentParser
import DNSCore
import Foundation

extension ZoneCommand {
    /// `dns-signer zone approve ZONE SERIAL`: publish the version waiting for manual review.
    struct Approve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve the version waiting for review (the serial `zone status` shows); the daemon publishes it.",
            discussion: """
                SERIAL is the unsigned serial at the unsigned review and the signed serial at the signed review, so \
                a version that arrived after you looked is not approved by mistake. An approved unsigned version \
                goes on to the signed review if there is one. Your user name is recorded in a review.approved event.
                """)
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The zone.") var zone: String
        @Argument(help: "The serial waiting for review.") var serial: UInt32

        func run() throws { try ZoneCommand.decide(store, zone, serial, approve: true) }
    }

    /// `dns-signer zone reject ZONE SERIAL`: keep serving the previous version.
    struct Reject: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reject the version waiting for review; the previous version stays served.",
            discussion: """
                The rejected version is not offered again: the next review is of other content from the primary. \
                Your user name is recorded in a review.rejected event.
                """)
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The zone.") var zone: String
        @Argument(help: "The serial waiting for review.") var serial: UInt32

        func run() throws { try ZoneCommand.decide(store, zone, serial, approve: false) }
    }

    /// What `--json` prints for a decision.
    struct ReviewDecision: Encodable {
        var zone: String
        var stage: String
        var serial: UInt32
        var decision: String
        var by: String
    }

    static func decide(_ options: SignerStoreOptions, _ zone: String, _ serial: UInt32, approve: Bool) throws {
        let origin = try SignerStore.zoneName(zone)
        let by = OperatorIdentity.current()
        let record = try options.open().decideReview(zone: origin.text, serial: serial, approve: approve, by: by, now: Date())
        let output = ReviewDecision(zone: origin.text, stage: record.stage.rawValue, serial: serial,
                                    decision: approve ? "approved" : "rejected", by: by)
        try options.emit(output) {
            approve
                ? "\(origin.text): approved the \(record.stage.rawValue) version with serial \(serial); the running daemon takes it on within a second"
                : "\(origin.text): rejected the \(record.stage.rawValue) version with serial \(serial); the previous version stays served"
        }
    }

    /// `zone status`'s view of the review row.
    struct PendingReview: Encodable {
        var stage: String
        var status: String
        var serial: UInt32
        var unsignedSerial: UInt32
        var signedSerial: UInt32
        var since: Int64
        var zoneFile: String?
        var reason: String?
        var decidedBy: String?

        init(_ record: SignerStore.ReviewRecord) {
            stage = record.stage.rawValue
            status = record.status.rawValue
            serial = record.serial
            unsignedSerial = record.candidate.unsignedSerial
            signedSerial = record.candidate.signedSerial
            since = record.createdAt
            zoneFile = record.zoneFile
            reason = record.reason
            decidedBy = record.decidedBy
        }

        func text(zone: String, now: Date) -> String {
            let what = "the \(stage) version with serial \(serial)"
            switch status {
            case "pending":
                return "\(what) waits since \(SignerStoreOptions.time(since, now: now)): `dns-signer zone approve \(zone) \(serial)` "
                    + "or `dns-signer zone reject \(zone) \(serial)`" + (zoneFile.map { "; zone file \($0)" } ?? "")
            case "approved":
                return "\(what) approved by \(decidedBy ?? "-"); published at the next poll"
            default:
                return "\(what) rejected: \(reason ?? "-") (kept until the primary sends other content)"
            }
        }
    }
}
