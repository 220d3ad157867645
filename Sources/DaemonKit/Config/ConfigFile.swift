import DNSEdge

/// The settings file both daemons read (`--config FILE`), written and commented by hand.
///
/// The format, line by line:
///
///     # a comment: '#' at the start of a word, outside quotes, runs to the end of the line
///     key value...                 # one setting: a key, whitespace, one or more words; no '='
///     listen 127.0.0.1:53          # repeatable keys are simply given again
///     listen [::1]:53
///     from "Countersign <dns@example.com>"   # double quotes keep spaces and '#'; \" and \\ inside
///
///     [webhook ops]                # a named section: every key below belongs to it, up to the next
///     url https://example.com/hook # section; top-level keys come before the first section
///
/// Why `key value` and not `key = value`: it is how nsd.conf, unbound.conf and sshd_config read, lists
/// need no extra syntax (`allow-transfer 10.0.0.0/8 key xfr` is three words), and an `=` is refused with a
/// hint instead of silently becoming part of a value.
///
/// Parsing checks only the syntax; `validate(allowedKeys:sections:)` refuses unknown keys and sections
/// (a typo must not silently leave a default in force), and the typed readers on `Value` (`word()`,
/// `integer(_:)`, `boolean()`, `choice(_:)`) refuse bad values — every error carrying `file:line`.
package struct ConfigFile: Sendable, Equatable {
    /// One `key value...` line.
    package struct Value: Sendable, Equatable, CustomStringConvertible {
        package var key: String
        /// The words after the key, quotes removed.
        package var words: [String]
        package var file: String
        package var line: Int

        package init(key: String, words: [String], file: String, line: Int) {
            self.key = key
            self.words = words
            self.file = file
            self.line = line
        }

        /// The words joined by single spaces (a quoted value comes back as written inside its quotes).
        package var text: String { words.joined(separator: " ") }

        package var description: String { "\(file):\(line): \(key) \(text)" }

        /// An error located at this line, naming the key.
        package func error(_ reason: String) -> ConfigError {
            ConfigError(file: file, line: line, reason: "\(key): \(reason)")
        }
    }

    /// `[kind name]` and the settings under it, e.g. `[webhook ops]`.
    package struct Section: Sendable, Equatable {
        package var kind: String
        package var name: String
        package var file: String
        /// The line of the `[kind name]` header.
        package var line: Int
        package var entries: [Value]

        package init(kind: String, name: String, file: String, line: Int, entries: [Value] = []) {
            self.kind = kind
            self.name = name
            self.file = file
            self.line = line
            self.entries = entries
        }

        /// Every value of `key` in this section, in file order.
        package func values(_ key: String) -> [Value] { entries.filter { $0.key == key } }

        /// The value of a key that may appear once; nil when absent, an error when repeated.
        package func single(_ key: String) throws(ConfigError) -> Value? { try ConfigFile.single(key, in: entries) }

        /// The value of a key the section cannot do without.
        package func required(_ key: String) throws(ConfigError) -> Value {
            guard let value = try single(key) else {
                throw ConfigError(file: file, line: line, reason: "[\(kind) \(name)] needs '\(key)'")
            }
            return value
        }

        /// Refuses a key this kind of section does not know, at its line.
        package func validate(allowedKeys: Set<String>) throws(ConfigError) {
            for entry in entries where !allowedKeys.contains(entry.key) {
                throw ConfigError(
                    file: file, line: entry.line,
                    reason: "unknown key '\(entry.key)' in [\(kind) \(name)]" + ConfigFile.suggestion(entry.key, allowedKeys))
            }
        }
    }

    /// The path the text came from, used in every error.
    package var file: String
    /// Settings before the first section.
    package var entries: [Value]
    /// Every section, in file order.
    package var sections: [Section]

    package init(file: String = "", entries: [Value] = [], sections: [Section] = []) {
        self.file = file
        self.entries = entries
        self.sections = sections
    }

    /// No file: every setting takes its flag or its default.
    package static let empty = ConfigFile()

    // MARK: Reading

    /// Every top-level value of `key`, in file order (a repeatable key such as `listen`).
    package func values(_ key: String) -> [Value] { entries.filter { $0.key == key } }

    /// The top-level value of a key that may appear once; nil when absent, an error naming both lines
    /// when given twice.
    package func single(_ key: String) throws(ConfigError) -> Value? { try ConfigFile.single(key, in: entries) }

    /// The sections of one kind (`webhook`, `smtp`, ...), in file order.
    package func sections(named kind: String) -> [Section] { sections.filter { $0.kind == kind } }

    /// Refuses top-level keys outside `allowedKeys`, sections whose kind is not in `sections`, and section
    /// keys outside their kind's set; the first problem in file order is thrown.
    package func validate(allowedKeys: Set<String>, sections allowedSections: [String: Set<String>] = [:]) throws(ConfigError) {
        for entry in entries where !allowedKeys.contains(entry.key) {
            throw ConfigError(file: file, line: entry.line,
                              reason: "unknown key '\(entry.key)'" + ConfigFile.suggestion(entry.key, allowedKeys))
        }
        for section in sections {
            guard let keys = allowedSections[section.kind] else {
                let known = allowedSections.keys.sorted()
                throw ConfigError(
                    file: file, line: section.line,
                    reason: "unknown section kind '\(section.kind)'"
                        + (known.isEmpty ? "; this daemon takes no sections" : "; expected one of: \(known.joined(separator: ", "))"))
            }
            try section.validate(allowedKeys: keys)
        }
    }

    /// Reads and parses the file at `path`.
    package static func load(path: String) throws(ConfigError) -> ConfigFile {
        let text: String
        do {
            text = try ZoneFiles.readText(path)
        } catch {
            throw ConfigError(file: path, line: nil, reason: error.reason)
        }
        return try parse(text, file: path)
    }

    // MARK: Helpers

    static func single(_ key: String, in entries: [Value]) throws(ConfigError) -> Value? {
        let matching = entries.filter { $0.key == key }
        if matching.count > 1 {
            throw ConfigError(file: matching[1].file, line: matching[1].line,
                              reason: "'\(key)' given again (first at line \(matching[0].line)); it takes one value")
        }
        return matching.first
    }

    /// " (did you mean 'listen'?)" when a known key is one or two edits away.
    static func suggestion(_ key: String, _ known: Set<String>) -> String {
        let best = known.map { ($0, editDistance(key, $0)) }.min { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        guard let best, best.1 <= 2 else { return "" }
        return " (did you mean '\(best.0)'?)"
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
