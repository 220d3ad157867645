import Foundation
import Testing

@testable import DaemonKit

/// The config file as operators write it: comments, quotes, repeated keys, channel sections, and every
/// mistake reported with file:line.
struct ConfigFileTests {
    static let sample = """
        # the signer
        database /var/lib/countersign/signer.db   # trailing comment
        listen 127.0.0.1:53
        listen [::1]:5353
        threads 4

        [webhook ops]
        url https://hooks.example.com/x#frag
        secret "two words # not a comment \\" quote \\\\ slash"
        zones example.com. example.org.

        [smtp mail]
          host smtp.example.com
        \tto a@example.com
          to b@example.com
        """

    @Test func readsKeysValuesAndSectionsWithLineNumbers() throws {
        let config = try ConfigFile.parse(Self.sample, file: "signer.conf")
        #expect(try config.single("database")?.word() == "/var/lib/countersign/signer.db")
        let listens = config.values("listen")
        #expect(listens.map(\.text) == ["127.0.0.1:53", "[::1]:5353"])
        #expect(listens.map(\.line) == [3, 4])
        #expect(try listens[1].address().port == 5353)
        #expect(try config.single("threads")?.integer(in: 1...64) == 4)
        #expect(try config.single("refresh") == nil)

        let hooks = config.sections(named: "webhook")
        #expect(hooks.count == 1)
        let hook = try #require(hooks.first)
        #expect(hook.name == "ops" && hook.line == 7)
        #expect(try hook.single("url")?.word() == "https://hooks.example.com/x#frag", "a # inside a word is not a comment")
        #expect(try hook.single("secret")?.word() == "two words # not a comment \" quote \\ slash")
        #expect(hook.values("zones").first?.words == ["example.com.", "example.org."])
        let mail = try #require(config.sections(named: "smtp").first)
        #expect(mail.values("to").map(\.text) == ["a@example.com", "b@example.com"])
        #expect(mail.values("to").map(\.line) == [14, 15])
        #expect(config.sections(named: "sendmail").isEmpty)
        #expect(config.values("url").isEmpty, "section keys are not top-level keys")
        try config.validate(allowedKeys: ConfigFile.signerKeys, sections: ConfigFile.signerSections)
    }

    @Test(arguments: [
        ("listen = 127.0.0.1:53", 1, "write 'listen value' without '='"),
        ("listen=127.0.0.1:53", 1, "write 'listen value' without '='"),
        ("listen", 1, "'listen' needs a value"),
        ("# ok\nfrom \"unterminated", 2, "a quoted value is not closed on its line"),
        ("from \"a\"b", 1, "a closing quote must be followed by a space"),
        ("from a\"b\"", 1, "a quote inside 'a…'"),
        ("secret \"a\\nb\"", 1, "unknown escape '\\n'"),
        ("\n\n[webhook]", 3, "a section header is '[kind name]'"),
        ("[webhook ops", 1, "section header without ']'"),
        ("[webhook ops] url x", 1, "unexpected text after the section header"),
        ("[webhook ops]\n[webhook ops]", 2, "section [webhook ops] given again (first at line 1)"),
        ("\"quoted\" key", 1, "a key cannot be quoted"),
        ("lis/ten x", 1, "'lis/ten' is not a key"),
    ])
    func syntaxErrorsNameFileAndLine(text: String, line: Int, message: String) {
        #expect(throws: ConfigError.self) { try ConfigFile.parse(text, file: "p.conf") }
        do {
            _ = try ConfigFile.parse(text, file: "p.conf")
        } catch {
            #expect(error.file == "p.conf")
            #expect(error.line == line, "\(error)")
            #expect(error.description.contains(message), "\(error)")
            #expect(error.description.hasPrefix("p.conf:\(line): "))
        }
    }

    @Test func unknownKeysAndSectionsAreRefusedWithASuggestion() throws {
        func problem(_ text: String) throws -> ConfigError? {
            let config = try ConfigFile.parse(text, file: "x.conf")
            do {
                try config.validate(allowedKeys: ConfigFile.signerKeys, sections: ConfigFile.signerSections)
                return nil
            } catch { return error }
        }
        #expect(try problem("database a\nlisen 127.0.0.1:53")?.description
                == "x.conf:2: unknown key 'lisen' (did you mean 'listen'?)")
        #expect(try problem("wibble 1")?.description == "x.conf:1: unknown key 'wibble'")
        #expect(try problem("[webhook a]\nurl x\nsecert y")?.description
                == "x.conf:3: unknown key 'secert' in [webhook a] (did you mean 'secret'?)")
        #expect(try problem("[pager a]\nurl x")?.description
                == "x.conf:1: unknown section kind 'pager'; expected one of: sendmail, smtp, webhook")
        #expect(try problem("[smtp a]\nhost h\nport 25") == nil)
        // The primary takes no sections.
        let sections = try ConfigFile.parse("[webhook a]\nurl x", file: "p.conf")
        #expect(throws: ConfigError(file: "p.conf", line: 1, reason: "unknown section kind 'webhook'; this daemon takes no sections")) {
            try sections.validate(allowedKeys: ConfigFile.primaryKeys)
        }
    }

    @Test func singleValuedKeysAndTypedReadersReportTheLine() throws {
        let config = try ConfigFile.parse("""
            database a
            threads many
            refresh 5m
            database b
            log-format xml
            listen 1.2.3.4:99999
            listen two words
            starttls maybe
            [smtp m]
            port 25
            """, file: "c.conf")
        #expect(throws: ConfigError(file: "c.conf", line: 4, reason: "'database' given again (first at line 1); it takes one value")) {
            try config.single("database")
        }
        #expect(throws: ConfigError(file: "c.conf", line: 2, reason: "threads: 'many' is not a whole number")) {
            try config.single("threads")?.integer(in: 1...64)
        }
        #expect(try config.single("refresh")?.seconds() == 300)
        #expect(throws: ConfigError(file: "c.conf", line: 5, reason: "log-format: 'xml' is not one of: text, json")) {
            try config.single("log-format")?.choice(ConfigFile.logFormats)
        }
        let listens = config.values("listen")
        #expect(throws: ConfigError.self) { try listens[0].address() }
        #expect(throws: ConfigError(file: "c.conf", line: 7, reason: "listen: expected one value, found 2 (quote a value that holds spaces)")) {
            try listens[1].address()
        }
        #expect(throws: ConfigError(file: "c.conf", line: 8, reason: "starttls: 'maybe' is not yes or no")) {
            try config.single("starttls")?.boolean()
        }
        let smtp = try #require(config.sections(named: "smtp").first)
        #expect(try smtp.single("port")?.integer(in: 1...65535) == 25)
        #expect(throws: ConfigError(file: "c.conf", line: 9, reason: "[smtp m] needs 'host'")) { try smtp.required("host") }
        #expect(throws: ConfigError(file: "c.conf", line: 10, reason: "port: 25 is out of range (1000...2000)")) {
            try smtp.single("port")?.integer(in: 1000...2000)
        }
    }

    @Test func flagsWinOverTheFileAndReplaceWholeLists() throws {
        let config = try ConfigFile.parse("threads 4\nlisten 127.0.0.1:53\nlisten [::1]:53\nrefresh bad", file: "m.conf")
        let integer: (ConfigFile.Value) throws(ConfigError) -> Int = { value throws(ConfigError) in try value.integer(in: 1...64) }
        let text: (ConfigFile.Value) throws(ConfigError) -> String = { value throws(ConfigError) in try value.word() }
        #expect(try config.setting("threads", flag: nil, default: 2, integer) == 4)
        #expect(try config.setting("threads", flag: 8, default: 2, integer) == 8)
        #expect(try ConfigFile.empty.setting("threads", flag: nil, default: 2, integer) == 2)
        #expect(try config.list("listen", flags: [], default: ["x"], text) == ["127.0.0.1:53", "[::1]:53"])
        #expect(try config.list("listen", flags: ["127.0.0.1:5300"], default: ["x"], text) == ["127.0.0.1:5300"])
        #expect(try config.list("resolver", flags: [], default: ["system"], text) == ["system"])
        // A bad value in the file is reported even while a flag overrides it.
        #expect(throws: ConfigError(file: "m.conf", line: 4, reason: "refresh: 'bad' is not a whole number")) {
            try config.setting("refresh", flag: 5, default: 30, integer)
        }
    }

    @Test func loadNamesAMissingFile() throws {
        #expect(throws: ConfigError(file: "/nonexistent/x.conf", line: nil,
                                    reason: "cannot read the file (missing or not readable)")) {
            try ConfigFile.load(path: "/nonexistent/x.conf")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).conf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "listen 127.0.0.1:5300\r\nthreads 3\r\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try ConfigFile.load(path: path)
        #expect(config.file == path)
        #expect(try config.single("threads")?.integer(in: 1...64) == 3, "CRLF line ends are accepted")
    }

    /// The example files in deploy/ are the configuration reference: with their settings uncommented they
    /// must parse and validate, and every key the code accepts must be documented there.
    @Test(arguments: [
        ("primary.conf.example", ConfigFile.primaryKeys, ConfigFile.primarySections),
        ("signer.conf.example", ConfigFile.signerKeys, ConfigFile.signerSections),
    ])
    func exampleFilesDocumentExactlyTheAcceptedKeys(name: String, keys: Set<String>, sections: [String: Set<String>]) throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../deploy/\(name)").standardized.path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        // Settings are commented out as `#key value` / `#[kind name]`; prose comments are `# ...`.
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("#") && line.dropFirst().first.map({ $0 == "[" || $0.isLetter }) == true ? line.dropFirst() : line
        }.joined(separator: "\n")
        let config = try ConfigFile.parse(uncommented, file: path)
        try config.validate(allowedKeys: keys, sections: sections)
        #expect(Set(config.entries.map(\.key)) == keys, "every top-level key is documented")
        for (kind, allowed) in sections {
            let documented = Set(config.sections(named: kind).flatMap { $0.entries.map(\.key) })
            #expect(documented == allowed, "[\(kind)] documents \(allowed.subtracting(documented).sorted()) too")
        }
        // The examples are valid values, not only valid keys.
        for value in config.values("listen") + config.values("metrics-listen") + config.values("resolver") {
            _ = try value.address()
        }
        _ = try config.single("log-format")?.choice(ConfigFile.logFormats)
        _ = try config.single("threads")?.integer(in: 1...64)
    }
}
