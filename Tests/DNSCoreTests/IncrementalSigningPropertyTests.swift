import Foundation
import Testing

@testable import DNSCore

/// Issue 14's proof: random sequences of edits, applied one after another through the incremental path
/// (`ZoneSigner.update` + `ZoneSnapshot.patched`, as the signer and the daemon do), give exactly what a
/// full signing and a fresh snapshot give.
///
/// Each run draws a fresh seed per denial mode and prints it. To replay a run:
///
///     COUNTERSIGN_PROPERTY_SEED=0x1234abcd swift test --filter IncrementalSigningPropertyTests
///
/// (`COUNTERSIGN_PROPERTY_STEPS` changes the number of steps.) The keys are generated anew on every run;
/// the edits, and so the zones, depend on the seed alone.
@Suite("Incremental signing property", .serialized)
struct IncrementalSigningPropertyTests {
    typealias F = SigningFixtures

    static let steps = ProcessInfo.processInfo.environment["COUNTERSIGN_PROPERTY_STEPS"].flatMap { Int($0) } ?? 40
    /// External judges run on every `judgeEvery`-th step and on the last.
    static let judgeEvery = 10

    static func seed(for denial: String) -> UInt64 {
        if let text = ProcessInfo.processInfo.environment["COUNTERSIGN_PROPERTY_SEED"] {
            let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
            if trimmed.hasPrefix("0x"), let value = UInt64(trimmed.dropFirst(2), radix: 16) { return value }
            if let value = UInt64(trimmed) { return value }
            Issue.record("COUNTERSIGN_PROPERTY_SEED=\(text) is neither decimal nor 0x-hex; using a random seed")
        }
        return UInt64.random(in: 0...UInt64.max)
    }

    static func hex(_ seed: UInt64) -> String { "0x" + String(seed, radix: 16) }

    @Test("random edit sequences: incremental signing and patched serving equal a full signing and a rebuild",
          arguments: F.denials)
    func randomEditSequences(denial: String) throws {
        let seed = Self.seed(for: denial)
        print("[property] \(denial): seed \(Self.hex(seed)), \(Self.steps) steps "
            + "(replay: COUNTERSIGN_PROPERTY_SEED=\(Self.hex(seed)) swift test --filter IncrementalSigningPropertyTests)")
        var run = try PropertyRun(denial: denial, seed: seed)
        let started = ContinuousClock.now
        try run.execute(steps: Self.steps)
        print("[property] \(denial): seed \(Self.hex(seed)): \(run.stepsDone) steps in \(ContinuousClock.now - started); "
            + "snapshot patched \(run.patched), rebuilt \(run.rebuilt) (of which \(run.fullSignings) after a full signing); "
            + "judged \(run.judged) times; \(run.rejectedEdits) invalid candidate edits skipped")
    }
}

// MARK: The unsigned zone the generator edits

/// The unsigned zone: relative owner ("@" for the apex) → type → TTL and RDATA in presentation form.
/// Rendered to zone text and parsed, so every zone goes through the same parser as real ones.
struct PropertyZoneModel: Equatable {
    struct Entry: Equatable {
        var ttl: UInt32
        var rdatas: [String]
    }

    var serial: UInt32 = 2_024_010_101
    var minimum: UInt32 = 300
    var nodes: [String: [String: Entry]] = [:]

    static let origin: DomainName = "example.test."

    /// Plain data names at several depths: under empty non-terminals (ent, y.ent, q.r.deep, r.deep,
    /// deep), beside a wildcard (x.w), below names that may become cuts (b.a, c.b.a) or a DNAME (x.dn).
    static let dataNames = [
        "www", "mail", "ns1", "txt", "a", "b.a", "c.b.a", "x.y.ent", "m.ent", "p.q.r.deep", "s.q.r.deep",
        "t.deep", "UPPER", "host.web", "zz", "x.w", "x.dn",
    ]
    static let wildcardNames = ["*.w", "*.ent", "*.q.r.deep", "*"]
    /// Where delegations come and go: top level, under empty non-terminals, over existing data (a,
    /// which has b.a and c.b.a below it), and a cut that may itself end up below another (c.b.a).
    static let cutNames = ["sub1", "sub2", "d.ent", "z.q.r.deep", "a", "c.b.a"]
    static let cnameNames = ["alias1", "www", "cn.ent", "*.w"]
    static let dnameNames = ["dn"]
    static let mxTargets = ["mail", "www", "ns.sub1", "mx.example.net.", "foo.w", "x.y.ent"]
    static let cnameTargets = ["www", "mail", "host.web", "nothere", "target.example.net.", "foo.w"]

    static func initial() -> PropertyZoneModel {
        var model = PropertyZoneModel()
        model.put("@", "NS", ["ns1", "ns2.example.net."])
        model.put("@", "MX", ["10 mail"])
        model.put("@", "A", ["192.0.2.1"])
        model.put("ns1", "A", ["192.0.2.53"])
        model.put("mail", "A", ["192.0.2.25"])
        model.put("www", "A", ["192.0.2.80"])
        model.put("m.ent", "AAAA", ["2001:db8::1"])
        model.put("*.w", "TXT", ["\"wild\""])
        model.put("x.w", "A", ["192.0.2.90"])
        model.put("sub1", "NS", ["ns.sub1"])
        model.put("sub1", "DS", [Self.ds(12345)])
        model.put("ns.sub1", "A", ["192.0.2.10"])
        model.put("sub2", "NS", ["ns.example.net."])
        model.put("p.q.r.deep", "A", ["192.0.2.70"])
        // Names no edit touches, so that one step's rewritten records stay a small share of the zone and
        // the served snapshot is patched (past a quarter of replaced bytes it is rebuilt, rightly).
        for index in 0..<Self.fillerCount { model.put("filler\(index)", "TXT", ["\"unchanged\""]) }
        return model
    }

    static let fillerCount = 150

    static func ds(_ tag: Int) -> String {
        "\(tag) 13 2 " + String(repeating: String(format: "%04X", tag & 0xFFFF), count: 16)
    }

    mutating func put(_ name: String, _ type: String, _ rdatas: [String], ttl: UInt32? = nil) {
        let unique = Array(Set(rdatas)).sorted()
        if unique.isEmpty {
            remove(name, type)
            return
        }
        nodes[name, default: [:]][type] = Entry(ttl: ttl ?? nodes[name]?[type]?.ttl ?? 3600, rdatas: unique)
    }

    mutating func add(_ name: String, _ type: String, _ rdata: String) {
        put(name, type, (nodes[name]?[type]?.rdatas ?? []) + [rdata])
    }

    mutating func remove(_ name: String, _ type: String) {
        nodes[name]?[type] = nil
        if nodes[name]?.isEmpty == true { nodes[name] = nil }
    }

    func has(_ name: String, _ type: String) -> Bool { nodes[name]?[type] != nil }

    /// Owners in a fixed order (dictionary order differs from process to process; the seed must not).
    var owners: [String] { nodes.keys.sorted() }

    func sets(where include: (String, String) -> Bool) -> [(String, String)] {
        owners.flatMap { name in nodes[name]!.keys.sorted().filter { include(name, $0) }.map { (name, $0) } }
    }

    var cuts: [String] { owners.filter { $0 != "@" && has($0, "NS") } }

    var text: String {
        var lines = ["$ORIGIN example.test.", "$TTL 3600", "@ 3600 SOA ns1 hostmaster \(serial) 7200 3600 1209600 \(minimum)"]
        for name in owners {
            for type in nodes[name]!.keys.sorted() {
                let set = nodes[name]![type]!
                for rdata in set.rdatas { lines.append("\(name) \(set.ttl) \(type) \(rdata)") }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func zone() throws -> Zone { try Zone(parsing: text, origin: Self.origin) }

    /// Every name the generator can make, their ancestors (empty non-terminals), and names that exist
    /// only through a wildcard, below a cut or below a DNAME: the questions asked of the snapshots.
    static var questionNames: [String] {
        var names: Set<String> = ["@", "nothere", "foo.w", "a.b.w", "foo.ent", "no.q.r.deep", "foo.a", "x.foo.sub1",
                                        "foo.sub1", "foo.d.ent", "foo.dn", "deep.x.y.ent", "foo.z.q.r.deep", "zzz", "ns.a"]
        for cut in cutNames {
            for child in ["ns", "ns2", "hidden"] { names.insert("\(child).\(cut)") }
        }
        for name in dataNames + wildcardNames + cutNames + cnameNames + dnameNames + mxTargets + cnameTargets
        where !name.hasSuffix(".") && name != "*" {
            var labels = name.split(separator: ".")
            while !labels.isEmpty {
                names.insert(labels.joined(separator: "."))
                labels.removeFirst()
            }
        }
        names.remove("*")
        return names.sorted()
    }
}

// MARK: The edits

extension PropertyZoneModel {
    static func address(_ type: String, _ rng: inout SplitMix64) -> String {
        type == "A" ? "192.0.2.\(1 + rng.below(254))" : "2001:db8::\(String(1 + rng.below(0xfffe), radix: 16))"
    }

    static func value(_ type: String, _ rng: inout SplitMix64) -> String {
        switch type {
        case "A", "AAAA": address(type, &rng)
        case "TXT": "\"t\(rng.below(1000))\""
        case "MX": "\(rng.below(50)) \(mxTargets[rng.below(mxTargets.count)])"
        default: fatalError("no value for \(type)")
        }
    }

    static func pick<T>(_ items: [T], _ rng: inout SplitMix64) -> T? { items.isEmpty ? nil : items[rng.below(items.count)] }

    /// One random edit, applied to the model; nil when the chosen kind had nothing to work on. The
    /// caller checks that the result is a valid zone and otherwise tries again.
    mutating func randomEdit(_ rng: inout SplitMix64) -> String? {
        let kinds: [(Int, String)] = [
            (5, "add"), (3, "address"), (3, "removeSet"), (3, "removeName"), (3, "addCut"), (2, "removeCut"), (2, "toggleDS"),
            (2, "addWildcard"), (2, "removeWildcard"), (3, "apex"), (1, "cname"), (1, "dname"), (1, "ttl"), (1, "glue"),
            (1, "minimum"),
        ]
        var roll = rng.below(kinds.reduce(0) { $0 + $1.0 })
        let kind = kinds.first { roll -= $0.0; return roll < 0 }!.1
        switch kind {
        case "add":
            let name = Self.pick(Self.dataNames + Self.wildcardNames, &rng)!
            let type = Self.pick(["A", "AAAA", "TXT", "MX"], &rng)!
            let rdata = Self.value(type, &rng)
            add(name, type, rdata)
            return "add \(name) \(type) \(rdata)"
        case "address":
            guard let (name, type) = Self.pick(sets { _, type in type == "A" || type == "AAAA" }, &rng) else { return nil }
            let rdatas = (0...rng.below(2)).map { _ in Self.address(type, &rng) }
            put(name, type, rdatas)
            return "change \(name) \(type) to \(rdatas.joined(separator: ", "))"
        case "removeSet":
            guard let (name, type) = Self.pick(sets { name, type in name != "@" || !["NS", "SOA"].contains(type) }, &rng)
            else { return nil }
            remove(name, type)
            return "remove \(name) \(type)"
        case "removeName":
            guard let name = Self.pick(owners.filter { $0 != "@" }, &rng) else { return nil }
            nodes[name] = nil
            return "remove name \(name)"
        case "addCut":
            let cut = Self.pick(Self.cutNames, &rng)!
            let candidates = ["ns.\(cut)", "ns2.\(cut)", "ns.example.net."]
            var targets = candidates.filter { _ in rng.below(2) == 0 }
            if targets.isEmpty { targets = [Self.pick(candidates, &rng)!] }
            put(cut, "NS", targets)
            var description = "delegate \(cut) to \(targets.joined(separator: ", "))"
            if rng.below(2) == 0 {
                let ds = Self.ds(1 + rng.below(65000))
                put(cut, "DS", [ds])
                description += " with DS \(ds.prefix(8))…"
            }
            for target in targets where target.hasSuffix(cut) && rng.below(5) != 0 {
                let type = Self.pick(["A", "AAAA"], &rng)!
                let rdata = Self.address(type, &rng)
                put(target, type, [rdata])
                description += ", glue \(target) \(type) \(rdata)"
            }
            if rng.below(5) == 0 {
                add("hidden.\(cut)", "TXT", "\"occluded\"")
                description += ", occluded hidden.\(cut) TXT"
            }
            return description
        case "removeCut":
            guard let cut = Self.pick(cuts, &rng) else { return nil }
            remove(cut, "NS")
            remove(cut, "DS")
            var description = "undelegate \(cut)"
            if rng.below(2) == 0 {
                for child in ["ns", "ns2", "hidden"] { nodes["\(child).\(cut)"] = nil }
                description += " and remove its glue"
            }
            return description
        case "toggleDS":
            guard let cut = Self.pick(cuts, &rng) else { return nil }
            if has(cut, "DS") {
                remove(cut, "DS")
                return "remove DS at \(cut)"
            }
            let ds = Self.ds(1 + rng.below(65000))
            put(cut, "DS", [ds])
            return "add DS at \(cut)"
        case "addWildcard":
            let name = Self.pick(Self.wildcardNames, &rng)!
            let type = Self.pick(["A", "TXT", "MX"], &rng)!
            let rdata = Self.value(type, &rng)
            put(name, type, [rdata])
            return "wildcard \(name) \(type) \(rdata)"
        case "removeWildcard":
            guard let name = Self.pick(owners.filter { $0.hasPrefix("*") }, &rng) else { return nil }
            nodes[name] = nil
            return "remove wildcard \(name)"
        case "apex":
            let type = Self.pick(["A", "AAAA", "MX", "TXT", "NS"], &rng)!
            if type == "NS" {
                if has("@", "NS") && nodes["@"]!["NS"]!.rdatas.count > 1 {
                    put("@", "NS", ["ns1"])
                    return "apex NS down to ns1"
                }
                add("@", "NS", "ns3.example.net.")
                return "apex NS adds ns3.example.net."
            }
            if has("@", type) && rng.below(3) == 0 {
                remove("@", type)
                return "remove apex \(type)"
            }
            let rdata = Self.value(type, &rng)
            if rng.below(2) == 0 { add("@", type, rdata) } else { put("@", type, [rdata]) }
            return "apex \(type) \(rdata)"
        case "cname":
            let name = Self.pick(Self.cnameNames, &rng)!
            if has(name, "CNAME") {
                nodes[name] = nil
                return "remove CNAME \(name)"
            }
            let target = Self.pick(Self.cnameTargets.filter { $0 != name }, &rng)!
            nodes[name] = ["CNAME": Entry(ttl: 3600, rdatas: [target])]
            return "CNAME \(name) → \(target) (replacing its data)"
        case "dname":
            let name = Self.pick(Self.dnameNames, &rng)!
            if has(name, "DNAME") {
                remove(name, "DNAME")
                return "remove DNAME \(name)"
            }
            put(name, "DNAME", ["example.net."])
            return "DNAME \(name) → example.net."
        case "ttl":
            guard let (name, type) = Self.pick(sets { _, _ in true }, &rng) else { return nil }
            let ttl = Self.pick([300, 600, 3600, 86400] as [UInt32], &rng)!
            nodes[name]![type]!.ttl = ttl
            return "TTL of \(name) \(type) to \(ttl)"
        case "glue":
            guard let cut = Self.pick(cuts, &rng) else { return nil }
            let name = Self.pick(["ns", "ns2"], &rng)! + ".\(cut)"
            if nodes[name] != nil {
                nodes[name] = nil
                return "remove glue \(name)"
            }
            let type = Self.pick(["A", "AAAA"], &rng)!
            let rdata = Self.address(type, &rng)
            put(name, type, [rdata])
            return "glue \(name) \(type) \(rdata)"
        case "minimum":
            minimum = minimum == 300 ? 120 : 300
            return "SOA MINIMUM to \(minimum) (every denial TTL changes)"
        default:
            fatalError(kind)
        }
    }
}

// MARK: One run

struct PropertyRun {
    typealias F = SigningFixtures

    let denial: String
    let seed: UInt64
    let policy: SigningPolicy
    let keys: ZoneKeySet
    /// The time of step 0. The external judges check signature times against the real clock.
    let start: UInt32
    var rng: SplitMix64
    var model = PropertyZoneModel.initial()
    var unsigned: Zone
    var signed: SignedZone
    var snapshot: ZoneSnapshot
    var log: [String] = []
    var stepsDone = 0
    var patched = 0
    var rebuilt = 0
    var fullSignings = 0
    var judged = 0
    var rejectedEdits = 0
    let judges: Bool
    let questions: [(DomainName, RecordType)]

    static let questionTypes: [RecordType] = [.A, .AAAA, .MX, .TXT, .NS, .DS, .SOA, .DNSKEY, .NSEC3PARAM]

    init(denial: String, seed: UInt64) throws {
        self.denial = denial
        self.seed = seed
        policy = F.policy(denial)
        keys = try F.keys()
        // Steps are a minute apart and end at the real time: no signature is incepted in the judges' future.
        start = UInt32(Date().timeIntervalSince1970) - UInt32(60 * IncrementalSigningPropertyTests.steps)
        rng = SplitMix64(seed: seed)
        unsigned = try model.zone()
        try unsigned.validate()
        signed = try ZoneSigner.sign(zone: unsigned, keys: keys, policy: policy, now: start)
        snapshot = try ZoneSnapshot(signed.zone)
        judges = ["ldns-verify-zone", "dnssec-verify"].map(ExternalTool.require).allSatisfy { $0 }
        var questions: [(DomainName, RecordType)] = []
        for name in PropertyZoneModel.questionNames {
            let absolute = DomainName(stringLiteral: name == "@" ? "example.test." : name + ".example.test.")
            for type in Self.questionTypes { questions.append((absolute, type)) }
        }
        self.questions = questions
    }

    var header: String { "\(denial), seed \(IncrementalSigningPropertyTests.hex(seed))" }

    func failure(_ step: Int, _ what: String) -> Comment {
        Comment(rawValue: """
            \(header), step \(step): \(what)
            replay: COUNTERSIGN_PROPERTY_SEED=\(IncrementalSigningPropertyTests.hex(seed)) swift test --filter IncrementalSigningPropertyTests
            edits so far:
            \(log.joined(separator: "\n"))
            """)
    }

    /// One step's edits: one most of the time, sometimes two or three at once; every step raises the serial.
    mutating func nextModel() -> (PropertyZoneModel, Zone, [String]) {
        let count = rng.below(5) == 0 ? 2 + rng.below(2) : 1
        var current = model
        var descriptions: [String] = []
        var attempts = 0
        while descriptions.count < count && attempts < 1000 {
            attempts += 1
            var candidate = current
            guard let description = candidate.randomEdit(&rng), candidate.nodes != current.nodes || candidate.minimum != current.minimum
            else { continue }
            guard let zone = try? candidate.zone(), (try? zone.validate()) != nil else {
                rejectedEdits += 1
                continue
            }
            current = candidate
            descriptions.append(description)
        }
        current.serial += UInt32(1 + rng.below(3))
        return (current, try! current.zone(), descriptions)
    }

    mutating func execute(steps: Int) throws {
        for step in 1...steps {
            let (nextModel, next, descriptions) = nextModel()
            log.append("  \(step): " + descriptions.joined(separator: "; ") + "; serial \(nextModel.serial)")
            let now = start + UInt32(step * 60)
            let ok: Bool
            do {
                ok = try self.step(step, from: unsigned, to: next, now: now)
            } catch {
                Issue.record(failure(step, "the step threw \(error)"))
                ok = false
            }
            stepsDone = step
            if ProcessInfo.processInfo.environment["COUNTERSIGN_PROPERTY_VERBOSE"] == "1" { print("[property] \(header):" + log.last!) }
            guard ok else {
                print("[property] \(header): FAILED at step \(step); the unsigned zone before the step:\n\(model.text)"
                    + "\nand after it:\n\(nextModel.text)")
                return
            }
            model = nextModel
            unsigned = next
            if judges && (step % IncrementalSigningPropertyTests.judgeEvery == 0 || step == steps) {
                do {
                    guard try judge(step) else { return }
                } catch {
                    Issue.record(failure(step, "a judge could not run: \(error)"))
                    return
                }
            }
        }
    }

    /// Applies one edit through the incremental path and compares; false (with issues recorded) on a difference.
    mutating func step(_ step: Int, from old: Zone, to new: Zone, now: UInt32) throws -> Bool {
        let previous = signed
        let incremental = try ZoneSigner.update(previous, applying: ZoneDiff(from: old, to: new), keys: keys, policy: policy, now: now)
        let full = try ZoneSigner.sign(zone: new, keys: keys, policy: policy, now: now)
        var ok = true

        // 1. The zone a full signing gives. Signatures kept from earlier steps carry earlier times, so the
        //    zones are compared without signature times and bytes; then every RRSIG set must be either the
        //    previous step's, untouched, or what the full signing made now (all but the ECDSA bytes), and
        //    every signature must verify.
        let lhs = SigningFixtures.withoutSignatureBytes(incremental.zone, times: true)
        let rhs = SigningFixtures.withoutSignatureBytes(full.zone, times: true)
        if lhs != rhs {
            let diff = ZoneDiff(from: rhs, to: lhs)
            Issue.record(failure(step, """
                the incremental zone differs from a full signing.
                only in the incremental zone: \(diff.added.map { "\($0.name.text) \($0.type)\($0.coveredType.map { " (\($0))" } ?? "")" })
                only in the full signing: \(diff.removed.map { "\($0.name.text) \($0.type)\($0.coveredType.map { " (\($0))" } ?? "")" })
                """))
            ok = false
        }
        if incremental.nsec3Digests != full.nsec3Digests {
            Issue.record(failure(step, "the NSEC3 digests kept for the next update differ from a full signing's"))
            ok = false
        }
        var stale: [String] = []
        for set in incremental.zone.rrsets where set.type == .RRSIG {
            let covered = set.coveredType!
            if set == previous.zone.signatures(at: set.name, covering: covered) { continue }
            let fresh = full.zone.signatures(at: set.name, covering: covered).map { F.withoutSignatureBytes(Zone(rrsets: [$0], origin: F.origin)) }
            if fresh != F.withoutSignatureBytes(Zone(rrsets: [set], origin: F.origin)) {
                stale.append("\(set.name.text) \(covered)")
            }
        }
        if !stale.isEmpty {
            Issue.record(failure(step, "RRSIG sets neither kept from the previous step nor made as a full signing would: \(stale)"))
            ok = false
        }
        // What the serving snapshot and the store rely on: every name whose records changed is named.
        if let changedNames = incremental.changedNames {
            let diff = ZoneDiff(from: previous.zone, to: incremental.zone)
            let missing = Set((diff.added + diff.removed).map(\.name)).subtracting(changedNames)
            if !missing.isEmpty {
                Issue.record(failure(step, "changedNames misses names whose records changed: \(missing.map(\.text).sorted())"))
                ok = false
            }
        }
        let failures = ZoneVerifier.verify(incremental.zone, now: now)
        if !failures.isEmpty {
            Issue.record(failure(step, "our verifier rejects the incremental zone: \(failures.prefix(10))"))
            ok = false
        }

        // 2. What the daemon serves: the carried snapshot patched, or rebuilt when the patch is refused.
        let patch = incremental.changedNames.flatMap { snapshot.patched(incremental.zone, changedNames: $0) }
        if incremental.changedNames == nil { fullSignings += 1 }
        if patch != nil { patched += 1 } else { rebuilt += 1 }
        let served = try patch ?? ZoneSnapshot(incremental.zone)
        let fresh = try ZoneSnapshot(incremental.zone)
        if served.makeZone() != incremental.zone {
            let diff = ZoneDiff(from: incremental.zone, to: served.makeZone())
            Issue.record(failure(step, "the \(patch != nil ? "patched" : "rebuilt") snapshot does not hold the zone: "
                + "extra \(diff.added.map { "\($0.name.text) \($0.type)" }), missing \(diff.removed.map { "\($0.name.text) \($0.type)" })"))
            ok = false
        }
        if served.serial != fresh.serial {
            Issue.record(failure(step, "served serial \(served.serial) ≠ \(fresh.serial)"))
            ok = false
        }
        let answers = sameAnswers(served, fresh, zone: incremental.zone)
        if !answers.isEmpty {
            Issue.record(failure(step, "the \(patch != nil ? "patched" : "rebuilt") snapshot answers differently from a fresh one: "
                + "\(answers.prefix(20)) (\(answers.count) in all)"))
            ok = false
        }

        signed = incremental
        snapshot = served
        return ok
    }

    /// Every question (the generator's names and every owner of the zone; DO off and on) answered from
    /// both snapshots, byte for byte.
    func sameAnswers(_ lhs: ZoneSnapshot, _ rhs: ZoneSnapshot, zone: Zone) -> [String] {
        var differences: [String] = []
        let answerer = QueryAnswerer()
        let left = Catalog([lhs])
        let right = Catalog([rhs])
        var all = questions
        for name in zone.names where !name.text.hasPrefix("filler") || name.text.hasPrefix("filler1.") {
            // NSEC3 owners: a few types are enough (each answers NODATA or from the chain).
            let types: [RecordType] = zone.rrset(at: name, type: .NSEC3) != nil ? [.A, .NSEC3] : Self.questionTypes + [.NSEC, .CNAME]
            for type in types { all.append((name, type)) }
        }
        for (name, type) in all {
            for dnssec in [false, true] {
                var query = Message(id: 7, flags: Message.Flags(), questions: [Question(name: name, type: type, dnsClass: .IN)])
                query.edns = EDNS(udpPayloadSize: 4096, dnssecOK: dnssec)
                let bytes = query.encode()
                guard case .bytes(let a) = answerer.respond(to: bytes, transport: .tcp, catalog: left),
                      case .bytes(let b) = answerer.respond(to: bytes, transport: .tcp, catalog: right)
                else {
                    differences.append("\(name.text) \(type) DO=\(dnssec): no answer")
                    continue
                }
                if a != b { differences.append("\(name.text) \(type) DO=\(dnssec)") }
            }
        }
        return differences
    }

    /// 3. Independent judges on the incremental zone: ldns-verify-zone and BIND's dnssec-verify.
    mutating func judge(_ step: Int) throws -> Bool {
        judged += 1
        let directory = ScratchDirectory.make("countersign-property")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/signed.db"
        try ZoneFileWriter.portable.write(signed.zone).write(toFile: path, atomically: true, encoding: .utf8)
        var ok = true
        let ldns = try ExternalTool.execute("ldns-verify-zone", [path])
        if ldns.status != 0 || !ldns.output.contains("Zone is verified and complete") {
            Issue.record(failure(step, "ldns-verify-zone rejects the incremental zone: \(ldns.output)"))
            ok = false
        }
        let bind = try ExternalTool.execute("dnssec-verify", ["-o", F.origin.text, path])
        if bind.status != 0 || !bind.output.contains("Zone fully signed") {
            Issue.record(failure(step, "dnssec-verify rejects the incremental zone: \(bind.output)"))
            ok = false
        }
        if !ok { print("[property] \(header): the zone the judges rejected:\n\(ZoneFileWriter.portable.write(signed.zone))") }
        return ok
    }
}
