import Foundation
import Testing

@testable import DNSCore

/// Signed zones judged by validators nobody here wrote: BIND's `dnssec-verify`, ldns's
/// `ldns-verify-zone` and Knot's `kzonecheck --dnssec on` check what we sign; `dnssec-signzone` and
/// `ldns-signzone` sign zones our verifier must accept, and reject once tampered with.
@Suite("Signed zone interop", .serialized)
struct SignedZoneInteropTests {
    typealias F = SigningFixtures

    /// The real clock: the tools check signature validity against it.
    static var wallClock: UInt32 { UInt32(Date().timeIntervalSince1970) }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-sign-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ zone: Zone, in directory: URL, name: String = "signed.db") throws -> String {
        let path = directory.appendingPathComponent(name).path
        try ZoneFileWriter.portable.write(zone).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let layouts: [String: (SigningPolicy, DNSSECAlgorithm, Bool)] = [
        "NSEC, KSK+ZSK": (F.nsec, .ECDSAP256SHA256, false),
        "NSEC3, KSK+ZSK": (F.nsec3, .ECDSAP256SHA256, false),
        "NSEC3 opt-out, KSK+ZSK": (F.optOut, .ECDSAP256SHA256, false),
        "NSEC3 salted, CSK Ed25519": (SigningPolicy(denial: .nsec3(.init(iterations: 1, salt: [0xBE, 0xEF]))), .ED25519, true),
    ]

    // MARK: Our zones, their judges

    @Test("zones we sign pass dnssec-verify, ldns-verify-zone and kzonecheck", arguments: layouts.keys.sorted())
    func judgesAcceptOurZones(name: String) throws {
        let (policy, algorithm, csk) = Self.layouts[name]!
        let tools = ["dnssec-verify", "ldns-verify-zone", "kzonecheck"]
        guard tools.map(ExternalTool.require).allSatisfy({ $0 }) else { return }
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let signed = try ZoneSigner.sign(
            zone: F.zone(), keys: F.keys(algorithm: algorithm, csk: csk), policy: policy, now: Self.wallClock)
        let path = try Self.write(signed.zone, in: directory)

        // A CSK has the SEP bit; dnssec-verify only counts it as a zone-signing key with -z (BIND's own
        // `dnssec-signzone -z` output needs the same).
        let bind = try ExternalTool.run("dnssec-verify", (csk ? ["-z"] : []) + ["-o", F.origin.text, path])
        #expect(bind.contains("Zone fully signed"), "\(name): \(bind)")
        let ldns = try ExternalTool.run("ldns-verify-zone", [path])
        #expect(ldns.contains("Zone is verified and complete"), "\(name): \(ldns)")
        try ExternalTool.run("kzonecheck", ["-o", F.origin.text, "--dnssec", "on", path])
    }

    @Test("the judges are not blind: one flipped signature byte fails all three")
    func judgesRejectTampering() throws {
        let tools = ["dnssec-verify", "ldns-verify-zone", "kzonecheck"]
        guard tools.map(ExternalTool.require).allSatisfy({ $0 }) else { return }
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var zone = try ZoneSigner.sign(zone: F.zone(), keys: F.keys(), policy: F.nsec3, now: Self.wallClock).zone
        try Self.flipSignatureByte(in: &zone, at: "mail.example.test.", covering: .A)
        let path = try Self.write(zone, in: directory)
        #expect(throws: ExternalTool.Failure.self) { try ExternalTool.run("dnssec-verify", ["-o", F.origin.text, path]) }
        let ldns = try ExternalTool.run("ldns-verify-zone", [path], allowFailure: true)
        #expect(!ldns.contains("Zone is verified and complete"))
        #expect(throws: ExternalTool.Failure.self) {
            try ExternalTool.run("kzonecheck", ["-o", F.origin.text, "--dnssec", "on", path])
        }
    }

    // MARK: Their zones, our verifier

    static let foreignSigners: [(String, [String])] = [
        ("dnssec-signzone NSEC", []),
        ("dnssec-signzone NSEC3", ["-3", "-"]),
        ("dnssec-signzone NSEC3 opt-out", ["-3", "-", "-A"]),
        ("ldns-signzone NSEC", []),
        ("ldns-signzone NSEC3", ["-n", "-t", "0"]),
        ("ldns-signzone NSEC3 opt-out", ["-n", "-p", "-t", "0"]),
    ]

    @Test("our verifier accepts zones signed by BIND and ldns, and rejects them once tampered with",
          arguments: foreignSigners)
    func foreignZones(name: String, options: [String]) throws {
        let signer = name.hasPrefix("ldns") ? "ldns-signzone" : "dnssec-signzone"
        guard ExternalTool.require("dnssec-keygen"), ExternalTool.require(signer) else { return }
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("zone.db").path
        let output = directory.appendingPathComponent("zone.signed").path
        try F.zoneText.write(toFile: input, atomically: true, encoding: .utf8)
        var keyNames: [String] = []
        for flags in [["-f", "KSK"], []] {
            let out = try ExternalTool.run(
                "dnssec-keygen", ["-q", "-K", directory.path, "-a", "ECDSAP256SHA256"] + flags + [F.origin.text])
            keyNames.append(directory.appendingPathComponent(out.trimmingCharacters(in: .whitespacesAndNewlines)).path)
        }
        if signer == "dnssec-signzone" {
            try ExternalTool.run(
                signer, ["-S", "-K", directory.path, "-d", directory.path] + options + ["-o", F.origin.text, "-f", output, input])
        } else {
            try ExternalTool.run(signer, options + ["-o", F.origin.text, "-f", output, input] + keyNames)
        }
        let now = Self.wallClock
        let zone = try Zone(parsing: String(contentsOfFile: output, encoding: .utf8), origin: F.origin)
        #expect(ZoneVerifier.verify(zone, now: now) == [], "\(name)")

        // One byte of one signature.
        var flipped = zone
        try Self.flipSignatureByte(in: &flipped, at: "www.example.test.", covering: .CNAME)
        let flippedFailures = ZoneVerifier.verify(flipped, now: now)
        #expect(!flippedFailures.isEmpty)
        #expect(flippedFailures.allSatisfy { $0.owner == "www.example.test." && $0.type == .CNAME })
        #expect(flippedFailures.contains { if case .invalidSignature = $0.reason { true } else { false } })

        // A record added after signing.
        var added = zone
        added.add(ResourceRecord(name: "late.example.test.", ttl: 3600, rdata: .a(A(IPv4Address("192.0.2.123")!))))
        let addedFailures = ZoneVerifier.verify(added, now: now)
        #expect(addedFailures.contains(.init(owner: "late.example.test.", type: .A, reason: .missingSignature(algorithm: .ECDSAP256SHA256))))

        // The clock past every expiration.
        var latest: UInt32 = 0
        for set in zone.rrsets where set.type == .RRSIG {
            for case .rrsig(let rrsig) in set.rdatas { latest = max(latest, rrsig.expiration) }
        }
        let expired = ZoneVerifier.verify(zone, now: latest + 1)
        #expect(!expired.isEmpty)
        #expect(expired.allSatisfy {
            switch $0.reason {
            case .expired, .missingSignature, .dnskeyNotSignedBySEPKey: true
            default: false
            }
        })
    }

    static func flipSignatureByte(in zone: inout Zone, at owner: DomainName, covering type: RecordType) throws {
        let set = try #require(zone.signatures(at: owner, covering: type))
        var rdatas = set.rdatas
        guard case .rrsig(var rrsig) = rdatas[0] else { throw ExternalTool.Failure(command: "", status: 0, output: "no RRSIG") }
        rrsig.signature[rrsig.signature.count / 2] ^= 0x01
        rdatas[0] = .rrsig(rrsig)
        zone.insert(RRset(name: set.name, type: .RRSIG, dnsClass: set.dnsClass, ttl: set.ttl, rdatas: rdatas))
    }
}
