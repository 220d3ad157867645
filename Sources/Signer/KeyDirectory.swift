import DNSCore
import DNSEdge
import Foundation

/// A directory of a zone's private keys. Our own keys are PKCS#8 PEM files named
/// `<zone>+<algorithm>+<tag>.<ksk|zsk>.pem` (the role is in the name because PEM has no place for DNSKEY
/// flags); BIND `K<zone>.+<alg>+<tag>.private` pairs found there are imported as well, so an operator can
/// move keys over from BIND or ldns unchanged. Files are written mode 0600 and never printed.
struct KeyDirectory {
    let path: String
    let zone: DomainName

    struct KeyFileError: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "\(path): \(reason)" }
    }

    private var zonePrefix: String { zone.lowercased().text }

    /// Every key of the zone in the directory, ours and BIND's.
    func load() throws -> [SigningKey] {
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
        var keys: [SigningKey] = []
        for entry in entries where entry.hasPrefix(zonePrefix + "+") && entry.hasSuffix(".pem") {
            let file = path + "/" + entry
            let flags = entry.hasSuffix(".ksk.pem") ? SigningKey.keySigningFlags : SigningKey.zoneSigningFlags
            do {
                keys.append(try SigningKey(pem: try ZoneFiles.readText(file), flags: flags))
            } catch {
                throw KeyFileError(path: file, reason: "\(error)")
            }
        }
        for entry in entries where entry.lowercased().hasPrefix("k" + zonePrefix + "+") && entry.hasSuffix(".private") {
            let base = path + "/" + String(entry.dropLast(".private".count))
            keys.append(try Self.importBIND(base: base))
        }
        return keys
    }

    /// Imports a BIND key pair given its base path (`Kzone.+013+12345`, with or without an extension).
    static func importBIND(base: String) throws -> SigningKey {
        var base = base
        for suffix in [".private", ".key"] where base.hasSuffix(suffix) { base = String(base.dropLast(suffix.count)) }
        do {
            return try SigningKey.importBIND(
                privateFile: try ZoneFiles.readText(base + ".private"), keyFile: try ZoneFiles.readText(base + ".key"),
                privateFileName: base + ".private", keyFileName: base + ".key"
            ).key
        } catch {
            throw KeyFileError(path: base, reason: "\(error)")
        }
    }

    /// Writes a new key, readable by its owner only.
    func store(_ key: SigningKey) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let role = key.isKeySigningKey ? "ksk" : "zsk"
        let file = "\(path)/\(zonePrefix)+\(String(format: "%03d", key.algorithm.rawValue))+\(String(format: "%05d", key.keyTag)).\(role).pem"
        guard FileManager.default.createFile(atPath: file, contents: Data(key.pemRepresentation.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw KeyFileError(path: file, reason: "cannot write the key (permissions or a full disk)")
        }
    }

    /// The zone's keys, generating a KSK and a ZSK (or one CSK) of `algorithm` when the directory has none.
    func loadOrGenerate(algorithm: DNSSECAlgorithm, csk: Bool) throws -> (keys: [SigningKey], generated: Bool) {
        let existing = try load()
        if !existing.isEmpty { return (existing, false) }
        let flags = csk ? [SigningKey.keySigningFlags] : [SigningKey.keySigningFlags, SigningKey.zoneSigningFlags]
        var keys: [SigningKey] = []
        for flag in flags {
            var key = try SigningKey.generate(algorithm: algorithm, flags: flag)
            // A tag collision with the key just made is possible (1 in 65536); draw again.
            while keys.contains(where: { $0.keyTag == key.keyTag }) { key = try SigningKey.generate(algorithm: algorithm, flags: flag) }
            try store(key)
            keys.append(key)
        }
        return (keys, true)
    }
}
