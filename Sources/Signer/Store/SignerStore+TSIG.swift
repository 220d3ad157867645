import DNSCore
import Foundation
import GRDB

/// A TSIG key as stored: the secret in base64, as in BIND's and NSD's configuration.
struct TSIGKeyEntry: Sendable, Equatable, Codable {
    var name: String
    var algorithm: String
    var secret: String

    /// The key as DNSCore signs and verifies with it.
    func tsigKey() throws -> TSIGKey {
        guard let parsed = TSIGAlgorithm(mnemonic: algorithm) else {
            throw SignerStoreError(.corrupt, field: "key \(name)", reason: "unknown TSIG algorithm '\(algorithm)' in the store")
        }
        do {
            return try TSIGKey(name: name, algorithm: parsed, base64Secret: secret)
        } catch {
            throw SignerStoreError(.corrupt, field: "key \(name)", reason: "\(error)")
        }
    }
}

extension SignerStore {
    /// Adds a key; the name is a domain name (stored lowercased and absolute), the secret base64. DNSCore's
    /// `TSIGKey` validates both, so a stored key is always one the daemon can use.
    @discardableResult
    func addTSIGKey(name: String, algorithm: String = "hmac-sha256", secret: String, now: Date = Date()) throws -> TSIGKeyEntry {
        let key = try SignerStore.keyName(name, zone: nil)
        guard let parsedAlgorithm = TSIGAlgorithm(mnemonic: algorithm), parsedAlgorithm.isSupported else {
            throw SignerStoreError(.invalidArgument, field: "key \(key)", reason: "unknown TSIG algorithm '\(algorithm)'; "
                + "use hmac-sha256, hmac-sha384, hmac-sha512 or hmac-sha1")
        }
        let parsed: TSIGKey
        do {
            parsed = try TSIGKey(name: key, algorithm: parsedAlgorithm, base64Secret: secret)
        } catch {
            throw SignerStoreError(.invalidArgument, field: "key \(key)", reason: "\(error)")
        }
        let entry = TSIGKeyEntry(name: key, algorithm: parsedAlgorithm.mnemonic, secret: parsed.base64Secret)
        try writeImmediate { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM tsig_keys WHERE name = ?", arguments: [key]) != nil {
                throw SignerStoreError(.duplicate, field: "key \(key)", reason: "a TSIG key of this name exists")
            }
            try db.execute(
                sql: "INSERT INTO tsig_keys (name, algorithm, secret) VALUES (?, ?, ?)",
                arguments: [entry.name, entry.algorithm, entry.secret])
            try SignerStore.touch(zoneID: nil, now: now, db)
        }
        return entry
    }

    /// Every key, secrets included (the CLI's `tsig list` prints names and algorithms only).
    func tsigKeys() throws -> [TSIGKeyEntry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, algorithm, secret FROM tsig_keys ORDER BY name").map {
                TSIGKeyEntry(name: $0["name"], algorithm: $0["algorithm"], secret: $0["secret"])
            }
        }
    }

    /// The key of that name, ready for DNSCore; nil when there is none.
    func tsigKey(named name: String) throws -> TSIGKey? {
        let key = try SignerStore.keyName(name, zone: nil)
        let entry = try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT name, algorithm, secret FROM tsig_keys WHERE name = ?", arguments: [key]).map {
                TSIGKeyEntry(name: $0["name"], algorithm: $0["algorithm"], secret: $0["secret"])
            }
        }
        return try entry?.tsigKey()
    }

    /// Deletes a key; refused while a zone's transfers, a downstream ACL entry or a NOTIFY target use it.
    func deleteTSIGKey(name: String, now: Date = Date()) throws {
        let key = try SignerStore.keyName(name, zone: nil)
        try writeImmediate { db in
            let zones = try String.fetchAll(db, sql: """
                SELECT name FROM zones WHERE tsig_key = ?1
                UNION SELECT z.name FROM downstream_acl a JOIN zones z ON z.id = a.zone_id WHERE a.key_name = ?1
                UNION SELECT z.name FROM notify_targets n JOIN zones z ON z.id = n.zone_id WHERE n.key_name = ?1
                ORDER BY 1
                """, arguments: [key])
            if !zones.isEmpty {
                throw SignerStoreError(.inUse, field: "key \(key)",
                    reason: "used by zone \(zones.joined(separator: ", ")) (transfers or downstream entries); change those first")
            }
            try db.execute(sql: "DELETE FROM tsig_keys WHERE name = ?", arguments: [key])
            if db.changesCount == 0 { throw SignerStoreError(.notFound, field: "key \(key)", reason: "no such TSIG key") }
            try SignerStore.touch(zoneID: nil, now: now, db)
        }
    }

    /// A key name as stored: absolute and lowercased.
    static func keyName(_ text: String, zone: String?) throws -> String {
        guard !text.isEmpty, !text.contains(where: \.isNewline) else {
            throw SignerStoreError(.invalidName, zone: zone, field: "key '\(text)'", reason: "bad TSIG key name")
        }
        let absolute = text.hasSuffix(".") ? text : text + "."
        do {
            return try DomainName(absolute).lowercased().text
        } catch {
            throw SignerStoreError(.invalidName, zone: zone, field: "key '\(text)'", reason: "bad TSIG key name: \(error)")
        }
    }

    /// Checks that a key exists, for zones and downstream entries that name it.
    static func requireKey(_ db: Database, _ key: String, zone: String) throws {
        if try Row.fetchOne(db, sql: "SELECT 1 FROM tsig_keys WHERE name = ?", arguments: [key]) == nil {
            throw SignerStoreError(.notFound, zone: zone, field: "key \(key)", reason: "no such TSIG key (add it with `dns-signer tsig add`)")
        }
    }
}
