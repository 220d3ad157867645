/// Why a config file was refused: the file, the line (when the problem is on one) and what is wrong, so an
/// operator can go straight to it (`/etc/countersign/signer.conf:12: unknown key 'lisen' (did you mean
/// 'listen'?)`). A daemon that gets one does not start.
package struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    package var file: String
    /// 1-based; nil when the problem is the whole file (it cannot be read).
    package var line: Int?
    package var reason: String

    package init(file: String, line: Int?, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    package var description: String {
        line.map { "\(file):\($0): \(reason)" } ?? "\(file): \(reason)"
    }
}
