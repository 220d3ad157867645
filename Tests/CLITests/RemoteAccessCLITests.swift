import Foundation
import Testing

@testable import Primary

/// `dns-primary update-acl` and `dns-primary api-key` as an operator types them: what they print, the
/// errors for bad input, and that a refused command changes nothing.
@Suite(.serialized)
struct RemoteAccessCLITests {
    @Test func updateACLCommandsSayWhatTheyDidAndRefuseBadInput() throws {
        let bed = try PrimaryTestBed("update-acl-cli")
        try bed.must(["zone", "create", "example.com.", "--ns", "ns1.example.com.", "--email", "hostmaster@example.com"])
        try bed.must(["tsig", "add", "acme"])
        let before = try bed.must(["zone", "show", "example.com.", "--json"])

        let refusals: [([String], String)] = [
            (["update-acl", "add", "example.com."], "updates need TSIG"),
            (["update-acl", "add", "example.com.", "--unsigned"], "--unsigned needs --from"),
            (["update-acl", "add", "example.com.", "--key", "nobody"], "no such TSIG key"),
            (["update-acl", "add", "example.com.", "--key", "acme", "--unsigned", "--from", "10.0.0.1"], "exclude each other"),
            (["update-acl", "add", "example.com.", "--key", "acme", "--name", "www.example.org."], "outside the zone"),
            (["update-acl", "add", "example.com.", "--key", "acme", "--type", "BOGUS"], "unknown or meta record type"),
            (["update-acl", "add", "example.com.", "--key", "acme", "--from", "10.0.0.999"], "10.0.0.999"),
            (["update-acl", "add", "nothere.test.", "--key", "acme"], "no such zone"),
            (["update-acl", "remove", "example.com.", "--key", "acme"], "no such update ACL entry"),
        ]
        for (arguments, message) in refusals {
            let result = try bed.cli(arguments)
            #expect(result.status != 0, "\(arguments.joined(separator: " ")) succeeded: \(result.output)")
            #expect(result.output.contains(message), "\(arguments.joined(separator: " ")): \(result.output)")
        }
        #expect(try bed.must(["zone", "show", "example.com.", "--json"]) == before, "refused commands changed the zone")
        #expect(try bed.must(["update-acl", "list", "example.com."]).contains("no update ACL entries (updates refused)"))

        let added = try bed.must(["update-acl", "add", "example.com.", "--key", "acme", "--name", "_acme-challenge", "--type", "txt"])
        #expect(added.contains("key acme. from any address: names _acme-challenge.example.com.; types TXT"), "\(added)")
        let duplicate = try bed.cli(["update-acl", "add", "example.com.", "--key", "acme"])
        #expect(duplicate.status != 0 && duplicate.output.contains("exists"))
        let used = try bed.cli(["tsig", "delete", "acme"])
        #expect(used.status != 0 && used.output.contains("update ACL"), "a key in use by an update ACL stays: \(used.output)")
        let listed = try bed.must(["update-acl", "list", "example.com.", "--json"])
        let entries = try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]] ?? []
        #expect(entries.count == 1 && entries[0]["types"] as? [String] == ["TXT"])
        try bed.must(["update-acl", "remove", "example.com.", "--key", "acme"])
        #expect(try bed.must(["update-acl", "list", "example.com."]).contains("no update ACL entries"))
    }

    @Test func apiKeysAreShownOnceAndListedWithoutSecrets() throws {
        let bed = try PrimaryTestBed("api-key-cli")
        let made = try bed.must(["api-key", "add", "octodns", "--zone", "example.com"])
        let secret = String(made.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(made.hasPrefix("api key octodns (example.com.): ") && secret.count >= 40, "\(made)")
        let list = try bed.must(["api-key", "list"])
        #expect(list.contains("octodns\texample.com.") && !list.contains(secret), "the secret is never shown again: \(list)")
        let json = try bed.must(["api-key", "list", "--json"])
        #expect(!json.contains(secret))
        #expect(try bed.store().apiKey(secret: secret)?.name == "octodns")

        for (arguments, message) in [
            (["api-key", "add", "octodns"], "exists"),
            (["api-key", "add", "bad name"], "letters, digits"),
            (["api-key", "add", "k2", "--zone", "bad..zone"], "bad zone name"),
            (["api-key", "remove", "nobody"], "no such API key"),
        ] {
            let result = try bed.cli(arguments)
            #expect(result.status != 0 && result.output.contains(message), "\(arguments.joined(separator: " ")): \(result.output)")
        }
        #expect(try bed.store().apiKeys().map(\.name) == ["octodns"], "refused commands made no key")
        try bed.must(["api-key", "remove", "octodns"])
        #expect(try bed.must(["api-key", "list"]).contains("no API keys"))
        #expect(try bed.store().apiKey(secret: secret) == nil)
    }
}
