import ArgumentParser
import DNSCore
import DNSEdge
import Foundation

/// `dns-signer sign-zone`: the offline signer, like `ldns-signzone` or `kzonesign`. Keys come from
/// `--keys DIR` (generated there when it has none) or from BIND key pairs given with `--ksk`/`--zsk`.
/// Nothing is written unless our own verifier accepts the result.
struct SignZoneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-zone",
        abstract: "Sign a zone file (RRSIG, NSEC or NSEC3, DNSKEY, CDS/CDNSKEY) and write the signed zone.")

    @Option(help: "The zone's origin, e.g. example.com.")
    var origin: String

    @Option(name: .customLong("in"), help: "The unsigned zone file ('-' for standard input).")
    var input: String

    @Option(name: .customLong("out"), help: "Where to write the signed zone ('-' for standard output).")
    var output: String

    @Option(help: "Directory of the zone's keys; a KSK and a ZSK (or a CSK with --csk) are generated there when it has none.")
    var keys: String?

    @Option(help: "A BIND key pair to sign DNSKEY with (base path of K<zone>.+<alg>+<tag>.key/.private). Repeatable.")
    var ksk: [String] = []

    @Option(help: "A BIND key pair to sign the zone data with. Repeatable.")
    var zsk: [String] = []

    @Option(help: "Algorithm of generated keys: ecdsap256sha256 (13), ecdsap384sha384 (14), ed25519 (15), rsasha256 (8).")
    var algorithm: String = "ecdsap256sha256"

    @Flag(help: "Deny existence with NSEC3 (RFC 9276: SHA-1, 0 iterations, empty salt) instead of NSEC.")
    var nsec3 = false

    @Flag(name: .customLong("opt-out"), help: "With --nsec3: leave insecure delegations out of the chain (RFC 5155 opt-out).")
    var optOut = false

    @Option(help: "Signature validity, e.g. 14d, 30d, 36h.")
    var validity: String = "14d"

    @Flag(help: "Generate one combined signing key (flags 257) instead of a KSK and a ZSK.")
    var csk = false

    @Option(help: "Signing time as seconds since 1970 (default: now). For reproducible output.")
    var now: UInt32?

    @Flag(name: .customLong("skip-verify"), help: "Skip the self-check of the signed zone (as dnssec-signzone -P). For benchmarks; the daemon always verifies.")
    var skipVerify = false

    func validate() throws {
        if keys == nil && ksk.isEmpty && zsk.isEmpty { throw ValidationError("give --keys DIR, or --ksk/--zsk BIND key pairs") }
        if optOut && !nsec3 { throw ValidationError("--opt-out needs --nsec3") }
    }

    func run() throws {
        let zoneOrigin = try SignerOptions.origin(origin)
        let algorithmValue = try SignerOptions.algorithm(algorithm)
        var policy = SigningPolicy()
        guard let seconds = TTLText.parse(validity) else {
            throw ValidationError("--validity \(validity): expected a duration like 14d or 36h")
        }
        policy.validity = seconds
        // Short validities (tests, labs) keep the default proportions: margin half, jitter a fourteenth.
        policy.refreshMargin = min(policy.refreshMargin, seconds / 2)
        policy.jitter = min(policy.jitter, seconds / 14)
        policy.refreshBatch = min(policy.refreshBatch, seconds / 28)
        if nsec3 { policy.denial = .nsec3(.init(optOut: optOut)) }
        if let problem = policy.problem { throw ValidationError(problem) }

        var signingKeys = try ksk.map { try KeyDirectory.importBIND(base: $0).withFlags(SigningKey.keySigningFlags) }
        signingKeys += try zsk.map { try KeyDirectory.importBIND(base: $0).withFlags(SigningKey.zoneSigningFlags) }
        if let keys {
            let directory = KeyDirectory(path: keys, zone: zoneOrigin)
            let (loaded, generated) = try directory.loadOrGenerate(algorithm: algorithmValue, csk: csk)
            if generated {
                for key in loaded { SignerOptions.note("generated \(key.summary) in \(keys)") }
            }
            signingKeys += loaded
        }
        let keySet = try ZoneKeySet(zone: zoneOrigin, keys: signingKeys)
        let zone = try ZoneFiles.load(input, origin: zoneOrigin)
        try SignerOptions.refuseErrors(in: zone, file: input)

        let signingTime = now ?? UInt32(Date().timeIntervalSince1970)
        let receipts = skipVerify ? nil : SignatureReceipts()
        let signed = try ZoneSigner.sign(zone: zone, keys: keySet, policy: policy, now: signingTime, receipts: receipts)
        let failures = skipVerify ? [] : ZoneVerifier.verify(signed.zone, now: signingTime, receipts: receipts)
        guard failures.isEmpty else {
            for failure in failures.prefix(20) { SignerOptions.note("verification failed: \(failure)") }
            throw SignerOptions.Failure("the signed zone did not verify; nothing written")
        }
        try ZoneFiles.writeAtomically(ZoneFileWriter().write(signed.zone), to: output)
        SignerOptions.note("signed \(zoneOrigin) with \(keySet.keys.count) keys: \(signed.zone.rrsetCount) RRsets; "
            + "re-sign before \(DNSTime.format(signed.nextResign))")
    }
}

/// `dns-signer verify-zone`: our verifier on a signed zone file; exit status 1 with the reasons when bogus.
struct VerifyZoneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-zone",
        abstract: "Check every signature, the NSEC/NSEC3 chain and the DNSKEY set of a signed zone file.")

    @Option(help: "The zone's origin.")
    var origin: String

    @Argument(help: "The signed zone file.")
    var file: String

    @Option(help: "Check validity at this time (seconds since 1970) instead of now.")
    var now: UInt32?

    func run() throws {
        let zone = try ZoneFiles.load(file, origin: try SignerOptions.origin(origin))
        let failures = ZoneVerifier.verify(zone, now: now ?? UInt32(Date().timeIntervalSince1970))
        guard failures.isEmpty else {
            for failure in failures { print("\(file): \(failure)") }
            throw ExitCode(1)
        }
        print("\(file): \(zone.origin) verifies: \(zone.rrsetCount) RRsets, signatures valid, chain complete")
    }
}

// `dns-signer ds` is in KeysCommand.swift: it reads keys from the store or, as here, from a key directory.
