import DNSCore
import Foundation
import Testing
@testable import DNSEdge
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Validators we did not write — BIND's `delv` and a real `unbound` — given our KSK as their only trust
/// anchor, check the answers our server gives for a zone our signer signed (issue 4, "Proof it works").
/// Each kind of answer must validate: positive, CNAME, wildcard, NXDOMAIN, NODATA, wildcard NODATA,
/// NODATA at an empty non-terminal, DS at a secure delegation and the proof that an insecure one has
/// none. A zone with one RRSIG byte flipped is the control: the validators must then refuse it.
@Suite("Validators accept our signed answers")
struct ValidationInteropTests {
    @Test(arguments: ValidationDenial.allCases)
    func delvFullyValidatesEveryKindOfAnswer(_ denial: ValidationDenial) async throws {
        guard ExternalTool.require("delv") else { return }
        let signed = try ValidationFixtures.sign(denial)
        try await ValidationFixtures.serving(signed.zone) { port in
            let delv = try ValidationDelv(anchor: signed.delvAnchor, port: port)
            defer { delv.cleanUp() }
            for question in ValidationFixtures.questions {
                let output = try delv.ask(question.name, question.type)
                let verdict = question.isNegative ? "; negative response, fully validated" : "; fully validated"
                let details = output.contains(verdict) ? "" : try delv.ask(question.name, question.type, ["+vtrace"])
                #expect(output.contains(verdict), "\(denial) \(question): delv did not say \"\(verdict)\":\n\(output)\n\(details)")
                #expect(!output.contains("unsigned answer") && !output.contains("validation failed"), "\(denial) \(question):\n\(output)")
                for expected in question.expectedData {
                    #expect(output.contains(expected), "\(denial) \(question): \(expected) missing:\n\(output)")
                }
                if let negative = question.negativeKind {
                    // delv reports a negative answer as a failed resolution of that kind, then the
                    // validated negative cache entry (`;-$NXDOMAIN` / `;-$NXRRSET`) with its proof.
                    #expect(output.contains(";; resolution failed: \(negative.delvReason)") && output.contains(negative.delvMarker),
                            "\(denial) \(question): not \(negative):\n\(output)")
                } else {
                    #expect(!output.contains("resolution failed") && !output.contains("negative response"), "\(denial) \(question):\n\(output)")
                }
            }
        }
    }

    @Test(arguments: ValidationDenial.allCases)
    func unboundSetsADOnEveryKindOfAnswer(_ denial: ValidationDenial) async throws {
        guard ExternalTool.require("unbound"), ExternalTool.require("dig") else { return }
        let signed = try ValidationFixtures.sign(denial)
        try await ValidationFixtures.serving(signed.zone) { port in
            let unbound = try ValidationUnbound.start(anchor: signed.unboundAnchor, authorityPort: port)
            defer { unbound.stop() }
            for question in ValidationFixtures.questions {
                let answer = try unbound.dig(question.name, question.type)
                let context = "\(denial) \(question) via unbound:\n\(answer)\nunbound log:\n\(unbound.daemon.log.suffix(4000))"
                #expect(answer.status == question.expectedStatus, "\(context)")
                #expect(answer.flags.contains("ad"), "no AD flag: \(context)")
                let answerData = answer.records("ANSWER").map { $0.joined(separator: " ") }.joined(separator: "\n")
                for expected in question.expectedData {
                    #expect(answerData.contains(expected), "\(expected) missing: \(context)")
                }
                if question.isNegative {
                    #expect(answer.data("ANSWER", type: question.type).isEmpty, "\(context)")
                }
            }
        }
    }

    /// The control: the same zone with one byte of the RRSIG over `www A` flipped. If the validators
    /// accepted this, the results above would prove nothing.
    @Test(arguments: ValidationDenial.allCases)
    func aFlippedSignatureByteIsRejected(_ denial: ValidationDenial) async throws {
        guard ExternalTool.require("unbound"), ExternalTool.require("dig"), ExternalTool.require("delv") else { return }
        let signed = try ValidationFixtures.sign(denial)
        let www = try DomainName("www", origin: ValidationFixtures.origin)
        let corrupted = try ValidationFixtures.flippingSignatureByte(in: signed.zone, at: www, covering: .A)
        try await ValidationFixtures.serving(corrupted) { port in
            let unbound = try ValidationUnbound.start(anchor: signed.unboundAnchor, authorityPort: port)
            defer { unbound.stop() }
            let bogus = try unbound.dig(www.text, "A")
            #expect(bogus.status == "SERVFAIL", "\(denial): unbound accepted a corrupted RRSIG:\n\(bogus)\n\(unbound.daemon.log.suffix(4000))")
            #expect(bogus.data("ANSWER", type: "A").isEmpty, "\(bogus)")
            // With checking disabled unbound hands the data over, unvalidated: the server did serve it.
            let unchecked = try unbound.dig(www.text, "A", ["+cd"])
            #expect(unchecked.status == "NOERROR" && unchecked.data("ANSWER", type: "A") == ["192.0.2.1"], "\(unchecked)")
            #expect(!unchecked.flags.contains("ad"), "\(unchecked)")
            // Everything else in the zone still validates, so the SERVFAIL is about that one signature.
            let other = try unbound.dig("nope.signed.test.", "A")
            #expect(other.status == "NXDOMAIN" && other.flags.contains("ad"), "\(other)\n\(unbound.daemon.log.suffix(4000))")
            let cname = try unbound.dig("alias.signed.test.", "CNAME")
            #expect(cname.status == "NOERROR" && cname.flags.contains("ad"), "\(cname)")

            let delv = try ValidationDelv(anchor: signed.delvAnchor, port: port)
            defer { delv.cleanUp() }
            let delvOutput = try delv.ask(www.text, "A")
            #expect(!delvOutput.contains("fully validated") && delvOutput.contains("resolution failed"),
                    "\(denial): delv accepted a corrupted RRSIG:\n\(delvOutput)")
        }
    }
}

/// The denial-of-existence variants each test runs with.
enum ValidationDenial: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case nsec
    /// RFC 9276 defaults: no salt, no extra iterations.
    case nsec3
    /// A salt and a few iterations, so the validators' hashing has to agree with ours on both.
    case nsec3Salted

    var policy: SigningPolicy {
        switch self {
        case .nsec: SigningPolicy(denial: .nsec)
        case .nsec3: SigningPolicy(denial: .nsec3)
        case .nsec3Salted: SigningPolicy(denial: .nsec3(.init(iterations: 5, salt: [0xAB, 0xCD, 0xEF, 0x01])))
        }
    }

    var testDescription: String { rawValue }
}

/// The zone, its signing and the questions asked about it.
enum ValidationFixtures {
    static let origin: DomainName = "signed.test."

    /// One name per kind of answer: `*.wild` (wildcard), `ent` (empty non-terminal above
    /// `host.ent`), `alias` (CNAME), `secure` (delegation with DS) and `insecure` (delegation without).
    static func zoneText(secureDS: DS) -> String {
        """
        $ORIGIN signed.test.
        $TTL 3600
        @              SOA    ns1 hostmaster 2024 7200 3600 1209600 300
        @              NS     ns1
        @              MX     10 mail
        ns1            A      192.0.2.53
        mail           A      192.0.2.25
        www            A      192.0.2.1
        www            AAAA   2001:db8::1
        alias          CNAME  www
        *.wild         A      192.0.2.80
        *.wild         AAAA   2001:db8::80
        host.ent       A      192.0.2.7
        secure         NS     ns.secure
        secure         DS     \(secureDS.presentation)
        ns.secure      A      192.0.2.98
        insecure       NS     ns.insecure
        ns.insecure    A      192.0.2.99

        """
    }

    struct Signed {
        var zone: Zone
        var ksk: SigningKey

        private var keyText: String { "257 3 \(ksk.algorithm.rawValue) \"\(Data(ksk.publicKeyBytes).base64EncodedString())\"" }
        /// BIND's `trust-anchors` statement (delv reads static-key and initial-key alike).
        var delvAnchor: String { "trust-anchors {\n    \"\(origin.text)\" static-key \(keyText);\n};\n" }
        /// unbound's `trust-anchor:` value: the KSK's DNSKEY record.
        var unboundAnchor: String {
            "\(origin.text) DNSKEY 257 3 \(ksk.algorithm.rawValue) \(Data(ksk.publicKeyBytes).base64EncodedString())"
        }
    }

    /// The zone signed by our signer with a fresh KSK and ZSK (ECDSA P-256), `now` being the clock.
    static func sign(_ denial: ValidationDenial) throws -> Signed {
        let ksk = try SigningKey.generate(algorithm: .ECDSAP256SHA256, flags: SigningKey.keySigningFlags)
        let zsk = try SigningKey.generate(algorithm: .ECDSAP256SHA256, flags: SigningKey.zoneSigningFlags)
        // The child's key only exists to give the secure delegation a real DS.
        let childKey = try SigningKey.generate(algorithm: .ECDSAP256SHA256, flags: SigningKey.keySigningFlags)
        let ds = try childKey.dnskey.ds(owner: try DomainName("secure", origin: origin), digestType: .sha256)
        let zone = try Zone(parsing: zoneText(secureDS: ds), origin: origin)
        let keys = try ZoneKeySet(zone: origin, keys: [ksk, zsk])
        let signed = try ZoneSigner.sign(zone: zone, keys: keys, policy: denial.policy, now: UInt32(Date().timeIntervalSince1970))
        return Signed(zone: signed.zone, ksk: ksk)
    }

    /// `zone` with one byte in the middle of the (single) signature over `type` at `name` flipped.
    static func flippingSignatureByte(in zone: Zone, at name: DomainName, covering type: RecordType) throws -> Zone {
        let set = try #require(zone.signatures(at: name, covering: type), "no RRSIG over \(name) \(type)")
        try #require(set.count == 1, "expected one signature (one ZSK) over \(name) \(type), found \(set.count)")
        guard case .rrsig(var signature) = set.rdatas[0] else { throw ExternalTool.Failure(command: "corrupt", status: -1, output: "not an RRSIG") }
        signature.signature[signature.signature.count / 2] ^= 0x01
        var corrupted = zone
        corrupted.insert(RRset(name: name, type: .RRSIG, dnsClass: set.dnsClass, ttl: set.ttl, rdatas: [.rrsig(signature)]))
        #expect(corrupted != zone)
        return corrupted
    }

    /// Runs `body` with `zone` served by our DNSServer on 127.0.0.1 (an ephemeral port); the server is
    /// stopped whether `body` returns or throws.
    static func serving(_ zone: Zone, _ body: (Int) async throws -> Void) async throws {
        let harness = try await EdgeServerHarness.start(zones: [zone])
        do {
            try await body(harness.port)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    enum NegativeKind: String {
        case nxdomain, nodata
        var delvMarker: String { self == .nxdomain ? ";-$NXDOMAIN" : ";-$NXRRSET" }
        var delvReason: String { self == .nxdomain ? "ncache nxdomain" : "ncache nxrrset" }
    }

    struct Question: CustomStringConvertible {
        var label: String
        var name: String
        var type: String
        var negativeKind: NegativeKind?
        /// RDATA text that must appear in the answer.
        var expectedData: [String] = []

        var isNegative: Bool { negativeKind != nil }
        var expectedStatus: String { negativeKind == .nxdomain ? "NXDOMAIN" : "NOERROR" }
        var description: String { "\(label) (\(name) \(type))" }
    }

    static let questions: [Question] = [
        Question(label: "positive answer", name: "www.signed.test.", type: "A", expectedData: ["192.0.2.1"]),
        Question(label: "apex DNSKEY", name: "signed.test.", type: "DNSKEY", expectedData: ["257 3 13"]),
        Question(label: "NXDOMAIN", name: "nope.signed.test.", type: "A", negativeKind: .nxdomain),
        Question(label: "NXDOMAIN below an existing name", name: "deep.www.signed.test.", type: "A", negativeKind: .nxdomain),
        Question(label: "NODATA", name: "www.signed.test.", type: "MX", negativeKind: .nodata),
        Question(label: "wildcard answer", name: "host.wild.signed.test.", type: "A", expectedData: ["192.0.2.80"]),
        Question(label: "wildcard answer two labels down", name: "a.b.wild.signed.test.", type: "AAAA", expectedData: ["2001:db8::80"]),
        Question(label: "wildcard NODATA", name: "host.wild.signed.test.", type: "TXT", negativeKind: .nodata),
        Question(label: "empty non-terminal NODATA", name: "ent.signed.test.", type: "A", negativeKind: .nodata),
        Question(label: "CNAME answer", name: "alias.signed.test.", type: "A", expectedData: ["www.signed.test.", "192.0.2.1"]),
        Question(label: "DS at the secure delegation", name: "secure.signed.test.", type: "DS", expectedData: ["13 2"]),
        Question(label: "no DS at the insecure delegation", name: "insecure.signed.test.", type: "DS", negativeKind: .nodata),
    ]
}

/// `delv` with our KSK as its trust anchor, asking our server directly.
struct ValidationDelv {
    let anchorURL: URL
    let port: Int

    init(anchor: String, port: Int) throws {
        anchorURL = FileManager.default.temporaryDirectory.appendingPathComponent("delv-anchor-\(UUID().uuidString).conf")
        try anchor.write(to: anchorURL, atomically: true, encoding: .utf8)
        self.port = port
    }

    func ask(_ name: String, _ type: String, _ extra: [String] = []) throws -> String {
        try ExternalTool.run(
            "delv",
            ["@127.0.0.1", "-p", String(port), "-a", anchorURL.path, "+root=\(ValidationFixtures.origin.text)"]
                + extra + [name, type],
            timeout: 30, allowFailure: true)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: anchorURL) }
}

/// A validating unbound on 127.0.0.1 (a free high port) whose only trust anchor is our KSK and which
/// reaches our zone through a stub-zone pointing at our server.
final class ValidationUnbound: @unchecked Sendable {
    let daemon: BackgroundProcess
    let port: Int
    let directory: URL

    private init(daemon: BackgroundProcess, port: Int, directory: URL) {
        self.daemon = daemon
        self.port = port
        self.directory = directory
    }

    static func configuration(port: Int, directory: URL, anchor: String, authorityPort: Int) -> String {
        """
        server:
            interface: 127.0.0.1
            port: \(port)
            do-ip6: no
            do-daemonize: no
            username: ""
            chroot: ""
            directory: "\(directory.path)"
            pidfile: "\(directory.appendingPathComponent("unbound.pid").path)"
            use-syslog: no
            logfile: ""
            verbosity: 1
            val-log-level: 2
            num-threads: 1
            access-control: 127.0.0.0/8 allow
            module-config: "validator iterator"
            do-not-query-localhost: no
            # unbound answers RFC 6761 names such as .test itself unless told not to.
            local-zone: "test." nodefault
            trust-anchor: "\(anchor)"
        remote-control:
            control-enable: no
        stub-zone:
            name: "\(ValidationFixtures.origin.text)"
            stub-addr: 127.0.0.1@\(authorityPort)

        """
    }

    /// Starts unbound and waits (at most 15 s) until it answers; retries on another port if the one
    /// picked was taken in between.
    static func start(anchor: String, authorityPort: Int) throws -> ValidationUnbound {
        let directory = try EdgeFixtures.temporaryDirectory("unbound")
        var started = false
        defer { if !started { try? FileManager.default.removeItem(at: directory) } }
        var lastLog = ""
        for _ in 0..<3 {
            let port = try EdgePorts.pick()
            let config = directory.appendingPathComponent("unbound.conf")
            try configuration(port: port, directory: directory, anchor: anchor, authorityPort: authorityPort)
                .write(to: config, atomically: true, encoding: .utf8)
            if ExternalTool.path(of: "unbound-checkconf") != nil {
                try ExternalTool.run("unbound-checkconf", [config.path], timeout: 20)
            }
            let daemon = try BackgroundProcess("unbound", ["-d", "-c", config.path], log: directory.appendingPathComponent("unbound.log"))
            let unbound = ValidationUnbound(daemon: daemon, port: port, directory: directory)
            if unbound.waitUntilAnswering(seconds: 15) {
                started = true
                return unbound
            }
            lastLog = daemon.log
            unbound.stop(removeDirectory: false)
        }
        throw ExternalTool.Failure(command: "unbound", status: -1, output: "did not start answering:\n\(lastLog)")
    }

    private func waitUntilAnswering(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard daemon.process.isRunning else { return false }
            // unbound answers id.server itself, without asking anyone.
            if let reply = try? dig("id.server.", "TXT", ["CH", "+time=1"]), reply.status != nil { return true }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return false
    }

    /// `dig @127.0.0.1 -p PORT +dnssec NAME TYPE` with recursion desired (unbound is the resolver).
    func dig(_ name: String, _ type: String, _ extra: [String] = []) throws -> DigOutput {
        DigOutput(try ExternalTool.run(
            "dig", ["@127.0.0.1", "-p", String(port), "+dnssec", "+time=5", "+tries=1"] + extra + [name, type],
            timeout: 30, allowFailure: true))
    }

    /// SIGTERM by PID; SIGKILL if it is still running 2 s later (a process started from a test worker
    /// thread can inherit a blocked SIGTERM), then a bounded wait for it to be gone.
    func stop(removeDirectory: Bool = true) {
        daemon.stop(grace: 2)
        if removeDirectory { try? FileManager.default.removeItem(at: directory) }
    }
}
