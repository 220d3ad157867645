import ArgumentParser
import DNSCore
import Foundation

/// The review-before-publishing settings, shared by `zone add` and `zone set` (only those given change).
struct ReviewOptions: ParsableArguments {
    @Option(name: .customLong("review-unsigned"), help: "Review of each new unsigned version (after the guards): off (default), command or manual.")
    var reviewUnsigned: String?
    @Option(name: .customLong("review-signed"), help: "Review of each new signed version (after self-verification): off (default), command or manual.")
    var reviewSigned: String?
    @Option(name: .customLong("review-command"), help: "The program a command review runs (absolute path): ZONE STAGE UNSIGNED_SERIAL SIGNED_SERIAL ZONE_FILE; exit 0 publishes. 'none' forgets it.")
    var reviewCommand: String?
    @Option(name: .customLong("review-timeout"), help: "A review command still running after this long rejects the version (default 5m).")
    var reviewTimeout: String?

    func apply(to changes: inout SignerZoneChanges, zone: String) throws {
        let parse = ZoneCommand.SettingsParser(zone: zone)
        func mode(_ text: String, _ flag: String) throws -> ReviewGate.Mode {
            guard let mode = ReviewGate.Mode(rawValue: text) else { throw parse.bad("\(flag) \(text)", "use off, command or manual") }
            return mode
        }
        if let reviewUnsigned { changes.reviewUnsigned = try mode(reviewUnsigned, "--review-unsigned") }
        if let reviewSigned { changes.reviewSigned = try mode(reviewSigned, "--review-signed") }
        if let reviewCommand {
            if reviewCommand == "none" {
                changes.reviewCommand = .some(nil)
            } else {
                guard reviewCommand.hasPrefix("/") else {
                    throw parse.bad("--review-command \(reviewCommand)", "give the program's absolute path (it is run without a shell)")
                }
                guard FileManager.default.isExecutableFile(atPath: reviewCommand) else {
                    throw parse.bad("--review-command \(reviewCommand)", "not an executable file")
                }
                changes.reviewCommand = .some(reviewCommand)
            }
        }
        if let reviewTimeout {
            changes.reviewTimeout = try KeyPolicyOptions.duration(reviewTimeout, "--review-timeout", parse, zero: false)
        }
    }

    /// For `zone set`'s report: one line per changed review setting.
    static func describe(from old: SignerZoneConfig, to new: SignerZoneConfig) -> [String] {
        let before = text(old), after = text(new)
        return before == after ? [] : ["review: \(before) → \(after) (from the next new version; one waiting is reviewed afresh)"]
    }

    /// "unsigned off, signed manual", with the command and its timeout when one is used.
    static func text(_ config: SignerZoneConfig) -> String {
        var text = "unsigned \(config.reviewUnsigned.rawValue), signed \(config.reviewSigned.rawValue)"
        if config.reviewUnsigned == .command || config.reviewSigned == .command {
            text += "; command \(config.reviewCommand ?? "none"), timeout \(SignerStoreOptions.duration(config.reviewTimeout))"
        }
        return text
    }
}
