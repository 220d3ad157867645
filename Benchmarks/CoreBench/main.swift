// DNSCore's own speed, for `make bench` (release build): message decode/encode rates and zone-file work on
// a generated 100k-name zone. Prints a markdown table. Inputs are made here, deterministically, so every
// run measures the same work; only the clock differs.
import DNSCore

// MARK: Timing

/// Runs `body` in batches until `budget` has passed (after one warm-up batch) and returns operations per
/// second. `body` returns a value folded into `sink` so the optimiser cannot drop the work.
func rate(budget: Duration = .seconds(2), batch: Int, _ body: () -> Int) -> (ops: Int, seconds: Double) {
    let clock = ContinuousClock()
    for _ in 0..<batch { sink &+= body() }
    var ops = 0
    let start = clock.now
    var elapsed = Duration.zero
    while elapsed < budget {
        for _ in 0..<batch { sink &+= body() }
        ops += batch
        elapsed = clock.now - start
    }
    return (ops, elapsed.seconds)
}

/// The best of `runs` timings of `body` (a whole-job measurement, such as parsing the entire zone).
func best<T>(of runs: Int, _ body: () -> T) -> (value: T, seconds: Double) {
    let clock = ContinuousClock()
    var result: T? = nil
    var fastest = Double.infinity
    for _ in 0..<runs {
        var value: T? = nil
        let elapsed = clock.measure { value = body() }
        fastest = min(fastest, elapsed.seconds)
        result = value
    }
    return (result!, fastest)
}

nonisolated(unsafe) var sink = 0

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}

func format(_ value: Double) -> String {
    switch value {
    case 10_000_000...: return "\(Int((value / 1_000_000).rounded())) M"
    case 1_000_000...: return "\(Double(Int((value / 100_000).rounded())) / 10) M"
    case 10_000...: return "\(Int((value / 1000).rounded())) k"
    default: return "\(Int(value.rounded()))"
    }
}

func milliseconds(_ seconds: Double) -> String {
    let ms = seconds * 1000
    return ms >= 100 ? "\(Int(ms.rounded())) ms" : "\(Double(Int((ms * 10).rounded())) / 10) ms"
}

// MARK: Deterministic zone generator (after ../shared/bench/genzone.py: same mix, not the same bytes)

/// SplitMix64: small, fast, and the same sequence on every platform.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct GeneratedZone {
    var text: String
    var names: Int
    var lines: Int
    var records: Int
}

/// A zone `example.test.` with `names` owner names: A, AAAA, CNAME, TXT, MX, SRV, ~1 % delegations with
/// NS and glue (half with DS), a wildcard and names one label deeper (empty non-terminals), written the way
/// genzone.py writes it (relative owners, tab-separated, TTL mostly from `$TTL`).
func generateZone(names target: Int, seed: UInt64 = 42) -> GeneratedZone {
    var rng = SplitMix64(state: seed)
    let syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "po", "da", "fe", "gi", "ho", "ju", "be",
                     "ci", "xo", "wa", "qu", "tre", "ston", "mar", "len", "dor", "bel", "fin", "gar", "hil", "kor"]
    let roles = ["www", "mail", "smtp", "imap", "vpn", "api", "cdn", "db", "git", "ci", "app", "web", "srv", "node",
                 "host", "cache", "proxy", "lb", "mx", "ns", "ldap", "auth", "files", "backup", "mon", "log", "dev",
                 "test", "stage", "prod"]
    let subs = ["eu-west", "eu-central", "us-east", "us-west", "ap-south", "lab", "corp", "office", "dc1", "dc2",
                "k8s", "int", "mgmt", "iot", "guest", "edge"]
    let services = ["_sip._tcp", "_sip._udp", "_xmpp-client._tcp", "_ldap._tcp", "_kerberos._udp", "_imaps._tcp",
                    "_submission._tcp", "_caldav._tcp"]

    func word() -> String { (0..<Int.random(in: 2...3, using: &rng)).map { _ in syllables.randomElement(using: &rng)! }.joined() }
    func ipv4() -> String {
        "\([10, 172, 192, 198, 203].randomElement(using: &rng)!).\(Int.random(in: 0...255, using: &rng)).\(Int.random(in: 0...255, using: &rng)).\(Int.random(in: 1...254, using: &rng))"
    }
    func ipv6() -> String {
        "2001:db8:\(String(Int.random(in: 0...0xFFFF, using: &rng), radix: 16)):\(String(Int.random(in: 0...0xFFFF, using: &rng), radix: 16))::\(String(Int.random(in: 1...0xFFFF, using: &rng), radix: 16))"
    }
    func hex(_ nibbles: Int) -> String {
        String((0..<nibbles).map { _ in "0123456789ABCDEF".randomElement(using: &rng)! })
    }
    func txt() -> String {
        let kind = Double.random(in: 0..<1, using: &rng)
        if kind < 0.4 { return "\"v=spf1 ip4:\(ipv4()) -all\"" }
        if kind < 0.7 { return "\"site-verification=\(hex(32).lowercased())\"" }
        if kind < 0.9 { return "\"owner=\(word())\" \"team=\(roles.randomElement(using: &rng)!)\"" }
        return "\"" + (0..<Int.random(in: 8...20, using: &rng)).map { _ in word() }.joined(separator: " ") + "\""
    }

    var lines: [String] = ["; generated by CoreBench n=\(target) seed=\(seed)", "$ORIGIN example.test.", "$TTL 3600"]
    var used = Set<String>()
    var hosts: [String] = []
    var delegations = 0
    var records = 0
    func add(_ owner: String, _ type: String, _ rdata: String) {
        lines.append("\(owner)\t\tIN\t\(type)\t\(rdata)")
        used.insert(owner)
        records += 1
    }

    add("@", "SOA", "ns1 hostmaster 2024010101 7200 3600 1209600 3600")
    add("@", "NS", "ns1")
    add("@", "NS", "ns2")
    add("@", "MX", "10 mail")
    add("@", "TXT", "\"v=spf1 mx -all\"")
    add("@", "A", "192.0.2.1")
    add("@", "AAAA", "2001:db8::1")
    for (ns, v4, v6) in [("ns1", "192.0.2.53", "2001:db8::53"), ("ns2", "198.51.100.53", "2001:db8:1::53")] {
        add(ns, "A", v4)
        add(ns, "AAAA", v6)
        hosts.append(ns)
    }
    add("mail", "A", ipv4())
    hosts.append("mail")
    add("_dmarc", "TXT", "\"v=DMARC1; p=reject; rua=mailto:dmarc@example.test\"")
    add("*.wild", "A", "192.0.2.80")
    add("*.wild", "TXT", "\"wildcard\"")

    func newName() -> String {
        while true {
            var name = Double.random(in: 0..<1, using: &rng) < 0.85
                ? "\(Bool.random(using: &rng) ? roles.randomElement(using: &rng)! : word())\(Int.random(in: 0...99999, using: &rng))"
                : "\(word())-\(word())"
            if Double.random(in: 0..<1, using: &rng) < 0.2 { name += "." + subs.randomElement(using: &rng)! }
            if !used.contains(name) { return name }
        }
    }

    while used.count < target {
        let x = Double.random(in: 0..<1, using: &rng)
        if x < 0.01 {
            let cut = "sub\(delegations)"
            delegations += 1
            for i in 1...2 {
                add(cut, "NS", "ns\(i).\(cut)")
                add("ns\(i).\(cut)", "A", ipv4())
                add("ns\(i).\(cut)", "AAAA", ipv6())
            }
            add(cut, "NS", "ns.provider.example.")
            if Bool.random(using: &rng) { add(cut, "DS", "\(Int.random(in: 1...65535, using: &rng)) 13 2 \(hex(64))") }
            continue
        }
        let name = newName()
        switch x {
        case ..<0.41:
            add(name, "A", ipv4())
            if Double.random(in: 0..<1, using: &rng) < 0.1 { add(name, "A", ipv4()) }
            hosts.append(name)
        case ..<0.56:
            add(name, "A", ipv4())
            add(name, "AAAA", ipv6())
            hosts.append(name)
        case ..<0.61:
            add(name, "AAAA", ipv6())
        case ..<0.71:
            add(name, "CNAME", Double.random(in: 0..<1, using: &rng) < 0.8
                ? hosts.randomElement(using: &rng)! : "\(word()).cdn.example.net.")
        case ..<0.79:
            add(name, "TXT", txt())
            if Bool.random(using: &rng) {
                add(name, "A", ipv4())
                hosts.append(name)
            }
        case ..<0.84:
            add(name, "A", ipv4())
            add(name, "MX", "10 \(hosts.randomElement(using: &rng)!)")
            hosts.append(name)
        case ..<0.86:
            let owner = "\(services.randomElement(using: &rng)!).\(name)"
            if used.contains(owner) { continue }
            add(owner, "SRV", "\(Int.random(in: 0...20, using: &rng)) \(Int.random(in: 0...100, using: &rng)) \([5060, 5222, 389, 88, 993, 587, 443].randomElement(using: &rng)!) \(hosts.randomElement(using: &rng)!)")
        default:
            add(name, "A", ipv4())
            add(name, "TXT", txt())
            hosts.append(name)
        }
    }
    return GeneratedZone(text: lines.joined(separator: "\n") + "\n", names: used.count, lines: lines.count, records: records)
}

// MARK: Messages

func records(_ text: String) -> [ResourceRecord] {
    var parser = ZoneFileParser(origin: "example.com.", defaultTTL: 300)
    return try! parser.parse(text)
}

// A typical answer: 6 records sharing the zone's suffix, so compression matters.
let query = Message.query(name: "www.example.com.", type: .A, id: 0x1234, do: true)
var response = query.makeResponse()
response.flags.aa = true
response.answers = records("""
    www  CNAME web
    web  A     192.0.2.10
    """)
response.authority = records("""
    @    3600 NS ns1
    @    3600 NS ns2
    """)
response.additional = records("""
    ns1  3600 A    192.0.2.53
    ns2  3600 AAAA 2001:db8::53
    """)

let queryBytes = query.encode()
let responseBytes = response.encode()
// Both must decode back to what was encoded, or the numbers below would measure an error path.
precondition(try! Message(decoding: queryBytes) == query, "query does not round-trip")
precondition(try! Message(decoding: responseBytes) == response, "response does not round-trip")

var rows: [[String]] = []

let decodeResponse = rate(batch: 1000) { (try? Message(decoding: responseBytes))?.answers.count ?? 0 }
rows.append(["decode response (\(response.answers.count + response.authority.count + response.additional.count) RRs + OPT, \(responseBytes.count) B)",
             "\(decodeResponse.ops)", milliseconds(decodeResponse.seconds), "\(format(Double(decodeResponse.ops) / decodeResponse.seconds)) msg/s"])
let encodeResponse = rate(batch: 1000) { response.encode().count }
rows.append(["encode response (compressed, \(responseBytes.count) B)",
             "\(encodeResponse.ops)", milliseconds(encodeResponse.seconds), "\(format(Double(encodeResponse.ops) / encodeResponse.seconds)) msg/s"])
let decodeQuery = rate(batch: 1000) { (try? Message(decoding: queryBytes))?.questions.count ?? 0 }
rows.append(["decode query (\(queryBytes.count) B)",
             "\(decodeQuery.ops)", milliseconds(decodeQuery.seconds), "\(format(Double(decodeQuery.ops) / decodeQuery.seconds)) msg/s"])
let encodeQuery = rate(batch: 1000) { query.encode().count }
rows.append(["encode query (\(queryBytes.count) B)",
             "\(encodeQuery.ops)", milliseconds(encodeQuery.seconds), "\(format(Double(encodeQuery.ops) / encodeQuery.seconds)) msg/s"])

// MARK: Zone files

let generation = best(of: 1) { generateZone(names: 100_000) }
let generated = generation.value
let origin: DomainName = "example.test."

let parse = best(of: 3) { () -> [ResourceRecord] in
    var parser = ZoneFileParser(origin: origin, file: "generated")
    return try! parser.parse(generated.text)
}
precondition(parse.value.count == generated.records, "parsed \(parse.value.count) records, generated \(generated.records)")
rows.append(["parse zone file (\(generated.names / 1000)k names, \(generated.lines) lines, \(generated.text.utf8.count / 1_000_000) MB)",
             "\(generated.lines)", milliseconds(parse.seconds), "\(format(Double(generated.lines) / parse.seconds)) lines/s"])

let build = best(of: 3) { Zone(records: parse.value, origin: origin) }
let zone = build.value
rows.append(["build zone (\(parse.value.count) records → \(zone.rrsetCount) RRsets)",
             "\(parse.value.count)", milliseconds(build.seconds), "\(format(Double(parse.value.count) / build.seconds)) records/s"])

let check = best(of: 3) { zone.check() }
rows.append(["check zone (\(check.value.count) problems)",
             "\(zone.rrsetCount)", milliseconds(check.seconds), "\(format(Double(zone.rrsetCount) / check.seconds)) RRsets/s"])

let write = best(of: 3) { ZoneFileWriter().write(zone) }
rows.append(["write zone file (canonical order)",
             "\(zone.recordCount)", milliseconds(write.seconds), "\(format(Double(zone.recordCount) / write.seconds)) records/s"])
sink &+= write.value.utf8.count

// MARK: The signer's cycle (one A record changed in the 100k-name zone, NSEC3)

let keys = try! ZoneKeySet(zone: origin, keys: [
    SigningKey.generate(flags: SigningKey.keySigningFlags), SigningKey.generate(flags: SigningKey.zoneSigningFlags),
])
var cyclePolicy = SigningPolicy()
cyclePolicy.denial = .nsec3(SigningPolicy.NSEC3Settings())
let signNow: UInt32 = 1_790_000_000
let signed = try! ZoneSigner.sign(zone: zone, keys: keys, policy: cyclePolicy, now: signNow)
let reparsed = Zone(records: parse.value, origin: origin)
let unchangedDiff = best(of: 3) { ZoneDiff(from: zone, to: reparsed) }
precondition(unchangedDiff.value.isEmpty)
rows.append(["diff two equal transfers (separate copies)", "\(zone.rrsetCount)", milliseconds(unchangedDiff.seconds),
             "\(format(Double(zone.rrsetCount) / unchangedDiff.seconds)) RRsets/s"])
let mailName: DomainName = "mail.example.test."
let oldMail = zone.rrset(at: mailName, type: .A)!
var edited = reparsed
edited.insert(RRset(name: mailName, type: .A, dnsClass: .IN, ttl: oldMail.ttl, rdatas: [.a(A(IPv4Address("203.0.113.9")!))]))
let changeDiff = ZoneDiff(from: zone, to: edited)
precondition(changeDiff.added.count == 1)
let guardWhole = best(of: 3) { TransferGuard().check(edited, current: zone) }
let guardChanged = best(of: 3) { TransferGuard().check(edited, current: zone, changedNames: [mailName]) }
precondition(guardWhole.value == guardChanged.value)
rows.append(["guard a one-record change: whole-zone check / changed names only", "1",
             "\(milliseconds(guardWhole.seconds)) / \(milliseconds(guardChanged.seconds))", "-"])
let update = best(of: 3) { try! ZoneSigner.update(signed, applying: changeDiff, keys: keys, policy: cyclePolicy, now: signNow + 60) }
rows.append(["incremental re-sign of one changed RRset", "1", milliseconds(update.seconds), "-"])
let signedDiff = best(of: 3) { ZoneDiff(from: signed.zone, to: update.value.zone) }
rows.append(["diff the signed zones (shared storage)", "\(signed.zone.rrsetCount)", milliseconds(signedDiff.seconds), "-"])
let changedNames = Set((signedDiff.value.added + signedDiff.value.removed).map(\.name))
let verifyChanged = best(of: 3) { ZoneVerifier.verifyChanges(update.value.zone, names: changedNames, now: signNow + 60) }
precondition(verifyChanged.value.isEmpty, "\(verifyChanged.value)")
rows.append(["verify the changed names (\(changedNames.count))", "\(changedNames.count)", milliseconds(verifyChanged.seconds), "-"])
let snapshot = best(of: 3) { try! ZoneSnapshot(update.value.zone) }
rows.append(["serving snapshot of the signed zone", "\(update.value.zone.rrsetCount)", milliseconds(snapshot.seconds),
             "\(format(Double(update.value.zone.rrsetCount) / snapshot.seconds)) RRsets/s"])


// The served snapshot brought up to date after each kind of change, as the daemon does it: patched in
// place (a copy of the flat arrays with the changed names rewritten) instead of rebuilt.
let baseSnapshot = try! ZoneSnapshot(signed.zone)
let newName: DomainName = "brandnew.example.test."
var withNewName = reparsed
withNewName.insert(RRset(name: newName, type: .A, dnsClass: .IN, ttl: 300, rdatas: [.a(A(IPv4Address("203.0.113.10")!))]))
var withoutMail = reparsed
for set in reparsed.rrsets where set.name == mailName { _ = withoutMail.removeRRset(at: mailName, type: set.type) }
for (kind, target) in [("an address changed", edited), ("a new name added", withNewName), ("a name removed", withoutMail)] {
    let diff = ZoneDiff(from: zone, to: target)
    let resigned = best(of: 3) { try! ZoneSigner.update(signed, applying: diff, keys: keys, policy: cyclePolicy, now: signNow + 60) }
    let names = resigned.value.changedNames!
    let patch = best(of: 3) { baseSnapshot.patched(resigned.value.zone, changedNames: names) }
    precondition(patch.value != nil, "\(kind): the snapshot was not patched")
    rows.append(["\(kind): incremental re-sign / patch the snapshot (\(names.count) names)", "1",
                 "\(milliseconds(resigned.seconds)) / \(milliseconds(patch.seconds))", "-"])
}

print("| benchmark | operations | time | rate |")
print("|---|---:|---:|---:|")
for row in rows { print("| " + row.joined(separator: " | ") + " |") }
print("")
print("Release build, one thread, best of 3 for whole-zone rows; zone generated in \(milliseconds(generation.seconds)). (checksum \(sink & 0xFFFF))")
