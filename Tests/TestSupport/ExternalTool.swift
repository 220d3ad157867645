import Foundation
import Testing

/// Runs tools nobody here wrote (dig, named-checkzone, python3 with dnspython, …) as judges.
///
/// A missing tool fails the test: CI installs them (scripts/install-test-deps.sh). Setting
/// COUNTERSIGN_ALLOW_MISSING_TOOLS=1 turns that into a skip-with-message for quick local runs.
public enum ExternalTool {
    public struct Failure: Error, CustomStringConvertible {
        public var command: String
        public var status: Int32
        public var output: String
        public init(command: String, status: Int32, output: String) {
            self.command = command
            self.status = status
            self.output = output
        }
        public var description: String { "\(command) exited \(status): \(output)" }
    }

    public static var allowMissing: Bool { ProcessInfo.processInfo.environment["COUNTERSIGN_ALLOW_MISSING_TOOLS"] == "1" }

    public static func path(of tool: String) -> String? {
        let searchPath = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for dir in searchPath + ["/usr/sbin", "/sbin"] {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// True when the tool exists; records a test issue (failure, or a note when missing tools are
    /// allowed) when it does not.
    public static func require(_ tool: String) -> Bool {
        if path(of: tool) != nil { return true }
        if !allowMissing {
            Issue.record("\(tool) is not installed; run scripts/install-test-deps.sh (or set COUNTERSIGN_ALLOW_MISSING_TOOLS=1)")
        }
        return false
    }

    /// Runs `tool args`, waiting at most `timeout` seconds; returns stdout+stderr, throws on non-zero exit.
    @discardableResult
    public static func run(_ tool: String, _ arguments: [String], timeout: Double = 60, allowFailure: Bool = false) throws -> String {
        let result = try execute(tool, arguments, timeout: timeout)
        if result.status != 0 && !allowFailure {
            throw Failure(command: "\(tool) \(arguments.joined(separator: " "))", status: result.status, output: result.output)
        }
        return result.output
    }

    /// Runs `tool args` (a name on PATH or a path), waiting at most `timeout` seconds; returns the exit
    /// status and stdout+stderr. Throws only when it cannot run or overstays.
    public static func execute(_ tool: String, _ arguments: [String], timeout: Double = 60) throws -> (status: Int32, output: String) {
        guard let executable = tool.hasPrefix("/") ? tool : path(of: tool) else {
            throw Failure(command: tool, status: 127, output: "not installed; run scripts/install-test-deps.sh")
        }
        // Output goes to a file, not a pipe: a chatty tool can never block on a full pipe buffer.
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("tool-\(UUID().uuidString).out")
        FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let handle = try FileHandle(forWritingTo: outputURL)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try ProcessLauncher.launch(process)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw Failure(command: "\(tool) \(arguments.joined(separator: " "))", status: -1, output: "timed out after \(timeout)s")
        }
        process.waitUntilExit()
        let data = (try? Data(contentsOf: outputURL)) ?? Data()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
