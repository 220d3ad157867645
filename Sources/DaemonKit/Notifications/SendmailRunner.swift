import Foundation

/// Hands one message to a local `sendmail`-compatible command (`/usr/sbin/sendmail -t -i`): the message
/// on stdin with local (LF) line endings, success when it exits 0. Its output goes to a file rather than
/// a pipe, so a chatty command cannot block; it is killed after `timeout` seconds.
enum SendmailRunner {
    static func run(_ message: EmailMessage, target: SendmailTarget) async -> DeliveryOutcome {
        guard let program = target.command.first else { return .failed("no sendmail command") }
        let directory = FileManager.default.temporaryDirectory
        let token = UUID().uuidString
        let input = directory.appendingPathComponent("countersign-mail-\(token).eml")
        let output = directory.appendingPathComponent("countersign-mail-\(token).out")
        defer {
            try? FileManager.default.removeItem(at: input)
            try? FileManager.default.removeItem(at: output)
        }
        let text = String(decoding: message.rendered(), as: UTF8.self).replacingCRLF
        do {
            try Data(text.utf8).write(to: input)
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let inputHandle = try FileHandle(forReadingFrom: input)
            let outputHandle = try FileHandle(forWritingTo: output)
            defer {
                try? inputHandle.close()
                try? outputHandle.close()
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = Array(target.command.dropFirst())
            process.standardInput = inputHandle
            process.standardOutput = outputHandle
            process.standardError = outputHandle
            try process.run()
            let deadline = Date().addingTimeInterval(Double(max(1, target.timeout)))
            while process.isRunning && Date() < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return .failed("\(program) did not finish within \(target.timeout) s")
            }
            process.waitUntilExit()
            let said = String(decoding: (try? Data(contentsOf: output)) ?? Data(), as: UTF8.self)
                .replacingLineBreaks.trimmingWhitespace()
            guard process.terminationReason == .exit, process.terminationStatus == 0 else {
                let how = process.terminationReason == .exit ? "exited \(process.terminationStatus)" : "was killed by signal \(process.terminationStatus)"
                return .failed("\(program) \(how)" + (said.isEmpty ? "" : ": \(String(said.prefix(300)))"))
            }
            return .delivered("\(program) exited 0")
        } catch {
            return .failed("cannot run \(program): \(error)")
        }
    }
}
