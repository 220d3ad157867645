import Foundation

/// A fresh directory under the system's temporary directory for one test (its databases, zone files
/// and logs), named `LABEL-UUID` so parallel tests never share one.
public enum ScratchDirectory {
    public static func make(_ label: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
