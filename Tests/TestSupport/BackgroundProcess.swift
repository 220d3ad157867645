import Foundation

/// A daemon started by a test: output to a file, stopped by PID, every wait bounded.
public final class BackgroundProcess: @unchecked Sendable {
    public let process: Process
    public let logURL: URL
    public let name: String

    /// `tool` is a name on PATH or an absolute path.
    public init(_ tool: String, _ arguments: [String], log: URL) throws {
        guard let executable = tool.hasPrefix("/") ? tool : ExternalTool.path(of: tool) else {
            throw ExternalTool.Failure(command: tool, status: 127, output: "not installed; run scripts/install-test-deps.sh")
        }
        name = tool
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        logURL = log
        try ProcessLauncher.launch(process)
        try? handle.close()
    }

    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    public var isRunning: Bool { process.isRunning }

    /// SIGTERM by PID, at most `grace` seconds to exit, then SIGKILL and a bounded wait.
    public func stop(grace: Double = 5) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            let hard = Date().addingTimeInterval(5)
            while process.isRunning && Date() < hard { Thread.sleep(forTimeInterval: 0.02) }
        }
    }

    /// SIGKILL by PID, as a crash or `kill -9` would end it; waits (bounded) until it is gone.
    public func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }
}
