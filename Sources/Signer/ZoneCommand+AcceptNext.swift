import ArgumentParser
import DNSCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension ZoneCommand {
    /// `dns-signer zone accept-next`: the operator has looked at what the primary sends and says "take
    /// it". One transfer passes the policy guards (serial decrease, shrink, growth); the structural ones
    /// still refuse a broken zone. Who asked and when is stored, evented and shown by `zone status`.
    struct AcceptNext: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "accept-next",
            abstract: "Take the next transfer once even if it lowers the serial, shrinks or grows the zone past the limits.",
            discussion: """
                For a change you have checked: a restore from backup with a lower serial, a zone that lost or \
                gained many records on purpose. The next transfer that trips the serial-decrease, shrink or \
                growth guard is taken (once); transfers that pass them anyway leave the override pending. \
                Broken transfers (TSIG, semantic errors, out-of-zone data, size limits, unexpanded ALIAS) are \
                refused as always. Your user name and the time are recorded and sent as a \
                transfer.accept-next event.
                """)
        @OptionGroup var store: SignerStoreOptions
        @Argument(help: "The zone.") var zone: String

        /// What `--json` prints.
        struct Output: Encodable {
            var zone: String
            var by: String
            var at: Int64
            var lastRefusal: String?
            var overrides: [String]
        }

        func run() throws {
            let origin = try SignerStore.zoneName(zone)
            let signer = try store.open()
            let request = try signer.requestAcceptNext(origin.text, by: OperatorIdentity.current(), now: Date())
            let config = try signer.zone(origin.text)
            let output = Output(zone: request.zone, by: request.by, at: request.at, lastRefusal: request.lastRefusal,
                                overrides: TransferRefusal.overridableGuardNames)
            try store.emit(output) {
                var text = "\(request.zone): the next transfer is taken once even if \(GuardText.policy(config)); "
                    + "broken transfers are still refused. Recorded as asked by \(request.by) at "
                    + "\(SignerStoreOptions.time(request.at)); `dns-signer zone status` shows it until it is used."
                if let last = request.lastRefusal {
                    let guardName = String(last.prefix { $0 != ":" })
                    text += TransferRefusal.overridableGuardNames.contains(guardName)
                        ? "\nThe last refusal, which this lets through if the primary still sends it: \(last)"
                        : "\nNote: the last refusal (\(last)) is by a guard accept-next does not override; fix the primary's zone."
                }
                return text
            }
        }
    }
}

/// Who runs this command, for the record `accept-next` leaves: the OS user's name (the uid when it has
/// none), and the user behind sudo when root runs it through sudo.
enum OperatorIdentity {
    static func current(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let uid = getuid()
        var name = "uid \(uid)"
        if let entry = getpwuid(uid), let login = entry.pointee.pw_name { name = String(cString: login) }
        if uid == 0, let sudoUser = environment["SUDO_USER"], !sudoUser.isEmpty, sudoUser != name {
            return "\(name) (sudo by \(sudoUser))"
        }
        return name
    }
}
