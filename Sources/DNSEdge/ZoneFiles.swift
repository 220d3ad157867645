import DNSCore
import Foundation

/// Reading and writing master files on disk for the command-line tools and daemons; DNSCore itself never
/// touches files, so this is where paths, `$INCLUDE` and atomic replacement live.
public enum ZoneFiles {
    /// Why a zone file could not be read or written, naming the path.
    public struct FileError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    public static func readText(_ path: String) throws(FileError) -> String {
        if path == "-" {
            return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path: path, reason: "cannot read the file (missing or not readable)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Parses `path` as the zone `origin`. `$INCLUDE` is honoured only when `allowInclude` is set, with
    /// relative paths taken from the zone file's directory.
    public static func load(_ path: String, origin: DomainName, allowInclude: Bool = false) throws -> Zone {
        let text = try readText(path)
        let directory = (path as NSString).deletingLastPathComponent
        let include: ((String) throws -> String)? = allowInclude
            ? { included in try readText(included.hasPrefix("/") ? included : directory + "/" + included) } : nil
        return try Zone(parsing: text, origin: origin, file: path, include: include)
    }

    /// Writes `text` to `path` through a temporary file and a rename, so a reader never sees half a zone and
    /// a full disk leaves the old file in place.
    public static func writeAtomically(_ text: String, to path: String) throws(FileError) {
        if path == "-" {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
            throw FileError(path: path, reason: "cannot write \(temporary) (directory missing, permissions or a full disk)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw FileError(path: path, reason: "cannot replace the file: \(reason)")
        }
    }
}
