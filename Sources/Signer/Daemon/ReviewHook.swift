import Foundation

/// Runs a zone's review command on one candidate: `COMMAND ZONE STAGE UNSIGNED_SERIAL SIGNED_SERIAL
/// ZONE_FILE`, with the same facts in `COUNTERSIGN_REVIEW_*` variables. Exit 0 passes; any other exit, a
/// signal, or a program that cannot be started rejects; one still running at the timeout is killed and
/// rejects. Its output goes to a file (a pipe could fill and block it) and the first lines of it go
/// into the rejection's reason, so the operator sees what the command said.
enum ReviewHook {
    struct Invocation: Sendable {
        var command: String
        var zone: String
        var stage: ReviewGate.Stage
        var candidate: ReviewGate.Candidate
        var zoneFile: String
        var timeout: Int64
    }

    static func run(_ invocation: Invocation) async -> ReviewGate.HookResult {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-review-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: output) }
        let candidate = invocation.candidate
        let process = Process()
        process.executableURL = URL(fileURLWithPath: invocation.command)
        process.arguments = [invocation.zone, invocation.stage.rawValue, "\(candidate.unsignedSerial)", "\(candidate.signedSerial)",
                             invocation.zoneFile]
        var environment = ProcessInfo.processInfo.environment
        environment["COUNTERSIGN_REVIEW_ZONE"] = invocation.zone
        environment["COUNTERSIGN_REVIEW_STAGE"] = invocation.stage.rawValue
        environment["COUNTERSIGN_REVIEW_UNSIGNED_SERIAL"] = "\(candidate.unsignedSerial)"
        environment["COUNTERSIGN_REVIEW_SIGNED_SERIAL"] = "\(candidate.signedSerial)"
        environment["COUNTERSIGN_REVIEW_PREVIOUS_SIGNED_SERIAL"] = candidate.previousSignedSerial.map { "\($0)" } ?? ""
        environment["COUNTERSIGN_REVIEW_ZONE_FILE"] = invocation.zoneFile
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        do {
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            defer { try? handle.close() }
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        } catch {
            return .failed("cannot run the review command \(invocation.command): \(error)")
        }
        let deadline = Date().addingTimeInterval(Double(invocation.timeout))
        while process.isRunning && Date() < deadline {
            try? await Task.sleep(for: .milliseconds(25))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return .timedOut(seconds: invocation.timeout)
        }
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let said = String(decoding: (try? Data(contentsOf: output)) ?? Data(), as: UTF8.self)
                .split(whereSeparator: \.isNewline).prefix(5).joined(separator: "; ")
            let how = process.terminationReason == .exit ? "exited \(process.terminationStatus)" : "was killed by signal \(process.terminationStatus)"
            return .failed("the review command \(how)" + (said.isEmpty ? "" : ": \(String(said.prefix(300)))"))
        }
        return .passed
    }
}
