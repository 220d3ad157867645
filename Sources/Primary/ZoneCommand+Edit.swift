import ArgumentParser
import DNSCore
import DNSEdge
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ZoneCommand {
    /// `zone edit ZONE`: the zone in `$VISUAL`/`$EDITOR`, as crontab -e and visudo do it. The file is
    /// parsed and checked by DNSCore when the editor exits; a mistake is shown and, at a terminal, the
    /// file reopened; without a terminal the command fails and nothing changes. The result is committed
    /// as one edit (atomic, serial raised by the zone's policy); a file saved unchanged changes nothing.
    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Edit a zone in $VISUAL or $EDITOR (default vi); it is checked before it is saved.",
            discussion: """
                The zone is written to a private temporary file and the editor started on it. Save and quit \
                to apply: the file is parsed and checked, and the change committed at once with a new serial \
                (or the serial you wrote, when higher). On an error the problem is printed and, when standard \
                input is a terminal, you are asked whether to edit again; otherwise nothing is changed and the \
                exit status is 1. Quit the editor with an error (vim: :cq) to abandon. If the zone was changed \
                by someone else meanwhile, nothing is committed and your file is kept.
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "The zone.") var zone: String

        func run() throws {
            let db = try store.open()
            let origin = try PrimaryStore.zoneName(zone)
            let original = try db.exportZone(zone)
            let header = """
                ; dns-primary zone edit \(origin.text)
                ; Save and quit to apply; the SOA serial rises by itself. Quit with an error (vim :cq) to abandon.
                ; Comments and the layout are not kept: the zone is stored record by record.

                """
            let originalText = header + ZoneFileWriter().write(original)
            let directory = try Self.privateDirectory()
            let path = directory + "/" + origin.text + "zone"
            var keepFile = false
            defer {
                if !keepFile { try? FileManager.default.removeItem(atPath: directory) }
            }
            guard FileManager.default.createFile(atPath: path, contents: Data(originalText.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw ZoneCommandError(zone: origin.text, reason: "cannot write the temporary file \(path)")
            }
            let editor = Self.editorCommand(ProcessInfo.processInfo.environment)
            let interactive = isatty(STDIN_FILENO) == 1

            while true {
                let status = try Self.runEditor(editor, file: path)
                guard status == 0 else {
                    throw ZoneCommandError(zone: origin.text, reason: "the editor (\(editor)) \(Self.describe(status)); nothing changed")
                }
                let text = try ZoneFiles.readText(path)
                if text == originalText {
                    print("zone \(origin.text): no changes")
                    return
                }
                do {
                    let edited = try Zone(parsing: text, origin: origin, file: path)
                    let diff = ZoneDiff(from: original, to: edited)
                    if diff.isEmpty {
                        print("zone \(origin.text): no changes")
                        return
                    }
                    try edited.validate()
                    for warning in edited.check() where warning.severity != .error {
                        FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
                    }
                    let saved: Zone
                    do {
                        saved = try db.edit(zone: zone, record: nil, now: Date()) { current in
                            // The serve daemon raises the serial when ALIAS targets move; any other change
                            // since the export is someone else's edit, which this one must not undo.
                            guard ZoneDiff(from: Self.withSerial(of: original, current), to: original).isEmpty else {
                                throw ZoneCommandError(
                                    zone: origin.text,
                                    reason: "changed by someone else while you were editing; nothing committed, your version is kept in \(path)")
                            }
                            current = edited
                        }
                    } catch let error as ZoneCommandError {
                        keepFile = true
                        throw error
                    }
                    print("zone \(origin.text): saved, serial \(saved.serial.map { "\($0)" } ?? "-"); "
                        + "\(diff.removed.count) RRsets removed, \(diff.added.count) added")
                    return
                } catch let error as ZoneFileError {
                    try Self.refuse(origin: origin, problem: error.description, interactive: interactive)
                } catch let error as ZoneCheckError {
                    try Self.refuse(origin: origin, problem: error.errors.map(\.description).joined(separator: "\n"), interactive: interactive)
                } catch let error as StoreError where error.kind == .zoneCheckFailed {
                    try Self.refuse(origin: origin, problem: error.reason, interactive: interactive)
                }
            }
        }

        /// Prints the problem; returns to reopen the editor when the operator says so at a terminal,
        /// throws (nothing changed) otherwise.
        static func refuse(origin: DomainName, problem: String, interactive: Bool) throws {
            FileHandle.standardError.write(Data("\(problem)\n".utf8))
            guard interactive else {
                throw ZoneCommandError(zone: origin.text, reason: "the edited zone has errors (above); nothing changed")
            }
            FileHandle.standardError.write(Data("Edit again? [Y/n] ".utf8))
            let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
            guard let answer, answer.isEmpty || answer.hasPrefix("y") else {
                throw ZoneCommandError(zone: origin.text, reason: "edit abandoned; nothing changed")
            }
        }

        /// `current` with the SOA serial of `reference`, so that a serial raised meanwhile is not a conflict.
        static func withSerial(of reference: Zone, _ current: Zone) -> Zone {
            guard let serial = reference.serial, var soa = current.soa,
                  let set = current.rrset(at: current.origin, type: .SOA) else { return current }
            var copy = current
            soa.serial = serial
            copy.insert(RRset(name: set.name, type: .SOA, dnsClass: set.dnsClass, ttl: set.ttl, rdatas: [.soa(soa)]))
            return copy
        }

        /// `$VISUAL`, else `$EDITOR`, else `vi` (empty values count as unset).
        static func editorCommand(_ environment: [String: String]) -> String {
            for name in ["VISUAL", "EDITOR"] {
                if let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty { return value }
            }
            return "vi"
        }

        /// A directory only we can read (the zone may hold names not meant to be public yet).
        static func privateDirectory() throws -> String {
            var base = NSTemporaryDirectory()
            while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
            var template = Array((base + "/dns-primary-edit-XXXXXX").utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
                throw ZoneCommandError(zone: "-", reason: "cannot create a temporary directory: \(String(cString: strerror(errno)))")
            }
            return String(cString: made)
        }

        /// Runs `sh -c '<editor> "$1"' sh FILE` in our process group, so a terminal editor owns the terminal
        /// (Foundation's Process puts children in a group of their own, where reading the terminal stops
        /// them), with a clean signal mask; like system(3) we ignore SIGINT/SIGQUIT while it runs.
        /// Returns the raw wait status.
        static func runEditor(_ editor: String, file: String) throws -> Int32 {
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var mask = sigset_t()
            sigemptyset(&mask)
            posix_spawnattr_setsigmask(&attributes, &mask)
            var defaults = sigset_t()
            sigemptyset(&defaults)
            for signal in [SIGINT, SIGQUIT, SIGPIPE, SIGTERM] { sigaddset(&defaults, signal) }
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

            let arguments = ["/bin/sh", "-c", editor + " \"$1\"", "sh", file]
            var argv = arguments.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }

            let previousInterrupt = signal(SIGINT, SIG_IGN)
            let previousQuit = signal(SIGQUIT, SIG_IGN)
            defer {
                signal(SIGINT, previousInterrupt)
                signal(SIGQUIT, previousQuit)
            }
            var pid = pid_t()
            let result = posix_spawn(&pid, "/bin/sh", nil, &attributes, &argv, environ)
            guard result == 0 else {
                throw ZoneCommandError(zone: "-", reason: "cannot start the editor: \(String(cString: strerror(result)))")
            }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 {
                guard errno == EINTR else {
                    throw ZoneCommandError(zone: "-", reason: "lost the editor: \(String(cString: strerror(errno)))")
                }
            }
            return status
        }

        static func describe(_ status: Int32) -> String {
            status & 0x7f == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(status & 0x7f)"
        }
    }
}
