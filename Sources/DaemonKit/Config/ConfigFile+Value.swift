import DNSCore
import DNSEdge

/// Typed readers: each checks the value and throws a `ConfigError` at the value's line naming the key.
extension ConfigFile.Value {
    /// The single word of a key that takes one (`database /var/lib/...`); quote a value with spaces.
    package func word() throws(ConfigError) -> String {
        guard words.count == 1 else {
            throw error("expected one value, found \(words.count) (quote a value that holds spaces)")
        }
        return words[0]
    }

    /// A whole number within `range`.
    package func integer(in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        let text = try word()
        guard let value = Int(text) else { throw error("'\(text)' is not a whole number") }
        guard range.contains(value) else {
            throw error("\(value) is out of range (\(range.lowerBound)...\(range.upperBound))")
        }
        return value
    }

    /// Seconds, written plainly (`30`) or with units (`5m`, `1h30m`, as TTLs are).
    package func seconds(in range: ClosedRange<Int> = 0...Int(Int32.max)) throws(ConfigError) -> Int {
        let text = try word()
        guard let value = TTLText.parse(text) else { throw error("'\(text)' is not a duration (30, 30s, 5m, 1h)") }
        guard range.contains(Int(value)) else {
            throw error("\(value)s is out of range (\(range.lowerBound)...\(range.upperBound) seconds)")
        }
        return Int(value)
    }

    /// `yes`/`no` (also `true`/`false`, `on`/`off`).
    package func boolean() throws(ConfigError) -> Bool {
        switch try word().lowercased() {
        case "yes", "true", "on": return true
        case "no", "false", "off": return false
        case let other: throw error("'\(other)' is not yes or no")
        }
    }

    /// One of a fixed set of words (`log-format text`).
    package func choice(_ options: [String]) throws(ConfigError) -> String {
        let text = try word()
        guard options.contains(text) else {
            throw error("'\(text)' is not one of: \(options.joined(separator: ", "))")
        }
        return text
    }

    /// `ADDR[:PORT]` or `[v6]:PORT`, `defaultPort` when none is written.
    package func address(defaultPort: Int = 53) throws(ConfigError) -> ListenAddress {
        let text = try word()
        do {
            return try ListenAddress(parsing: text, defaultPort: defaultPort)
        } catch {
            throw self.error("\(error)")
        }
    }
}
