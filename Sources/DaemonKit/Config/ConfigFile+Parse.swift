extension ConfigFile {
    /// Parses `text` (the syntax only; see the type's documentation). `file` names the source in errors.
    package static func parse(_ text: String, file: String) throws(ConfigError) -> ConfigFile {
        var config = ConfigFile(file: file)
        var seenSections: [String: Int] = [:]
        var lineNumber = 0
        // Split on line feeds, keeping empty lines so numbers match what an editor shows. "\r\n" is one
        // Character in Swift, so a CRLF file needs its own case; a stray CR is whitespace below.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            let line = Array(rawLine)
            func fail(_ reason: String) -> ConfigError { ConfigError(file: file, line: lineNumber, reason: reason) }

            var index = 0
            skipSpace(line, &index)
            guard index < line.count, line[index] != "#" else { continue }

            if line[index] == "[" {
                guard let close = line[index...].firstIndex(of: "]") else { throw fail("section header without ']'") }
                var rest = close + 1
                skipSpace(line, &rest)
                guard rest == line.count || line[rest] == "#" else {
                    throw fail("unexpected text after the section header; write '[kind name]' alone on its line")
                }
                let words = String(line[(index + 1)..<close]).split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                guard words.count == 2 else {
                    throw fail("a section header is '[kind name]', e.g. '[webhook ops]'; found '[\(String(line[(index + 1)..<close]))]'")
                }
                for word in words where !isKeyWord(word) {
                    throw fail("'\(word)' in a section header: use letters, digits, '-' and '_'")
                }
                let identity = "\(words[0]) \(words[1])"
                if let first = seenSections[identity] {
                    throw fail("section [\(identity)] given again (first at line \(first))")
                }
                seenSections[identity] = lineNumber
                config.sections.append(Section(kind: words[0], name: words[1], file: file, line: lineNumber))
                continue
            }

            let words = try tokens(line, from: index, fail: fail)
            guard let key = words.first else { continue }
            if key.quoted { throw fail("a key cannot be quoted") }
            if let equals = key.text.firstIndex(of: "=") {
                let name = key.text[..<equals]
                throw fail("write '\(name) value' without '=' (the format is 'key value...')")
            }
            guard isKeyWord(key.text) else {
                throw fail("'\(key.text)' is not a key: keys are letters, digits and '-'")
            }
            let values = Array(words.dropFirst())
            if values.first.map({ !$0.quoted && $0.text == "=" }) == true {
                throw fail("write '\(key.text) value' without '=' (the format is 'key value...')")
            }
            guard !values.isEmpty else { throw fail("'\(key.text)' needs a value") }
            let value = Value(key: key.text, words: values.map(\.text), file: file, line: lineNumber)
            if config.sections.isEmpty {
                config.entries.append(value)
            } else {
                config.sections[config.sections.count - 1].entries.append(value)
            }
        }
        return config
    }

    private struct Word {
        var text: String
        var quoted: Bool
    }

    private static func isSpace(_ c: Character) -> Bool { c == " " || c == "\t" || c == "\r" }

    private static func skipSpace(_ line: [Character], _ index: inout Int) {
        while index < line.count, isSpace(line[index]) { index += 1 }
    }

    private static func isKeyWord(_ word: String) -> Bool {
        guard let first = word.unicodeScalars.first, first.properties.isAlphabetic else { return false }
        return word.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "_" }
    }

    /// The words of one line from `index`, stopping at a comment.
    private static func tokens(_ line: [Character], from start: Int, fail: (String) -> ConfigError) throws(ConfigError) -> [Word] {
        var words: [Word] = []
        var index = start
        while true {
            skipSpace(line, &index)
            guard index < line.count, line[index] != "#" else { return words }
            if line[index] == "\"" {
                var text = ""
                index += 1
                var closed = false
                while index < line.count {
                    let c = line[index]
                    if c == "\\" {
                        guard index + 1 < line.count else { break }
                        let next = line[index + 1]
                        guard next == "\"" || next == "\\" else {
                            throw fail("unknown escape '\\\(next)' in a quoted value (only \\\" and \\\\)")
                        }
                        text.append(next)
                        index += 2
                    } else if c == "\"" {
                        index += 1
                        closed = true
                        break
                    } else {
                        text.append(c)
                        index += 1
                    }
                }
                guard closed else { throw fail("a quoted value is not closed on its line") }
                guard index == line.count || isSpace(line[index]) else {
                    throw fail("a closing quote must be followed by a space or the end of the line")
                }
                words.append(Word(text: text, quoted: true))
            } else {
                var text = ""
                while index < line.count, !isSpace(line[index]) {
                    if line[index] == "\"" {
                        throw fail("a quote inside '\(text)…': quote the whole value (\"…\")")
                    }
                    text.append(line[index])
                    index += 1
                }
                words.append(Word(text: text, quoted: false))
            }
        }
    }
}
