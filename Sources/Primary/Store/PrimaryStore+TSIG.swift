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
        guard let algorithm = TSIGAlgorithm(mnemonic: algorithm) else {
            throw StoreError(.corrupt, record: name, reason: "unknown TSIG algorithm '\(algorithm)' in the store")
        }
        do {
            return try TSIGKey(name: name, algorithm: algorithm, base64Secret: secret)
        } catch {
            throw StoreError(.corrupt, record: name, reason: "\(error)")
        }
    }
}

extension PrimaryStore {
    /// Adds a key; the name is a domain name (stored lowercased and absolute), the secret base64. DNSCore's
    /// `TSIGKey` validates both, so a stored key is always one the server can use.
    @discardableResult
    func addTSIGKey(name: String, algorithm: String = "hmac-sha256", secret: String) throws -> TSIGKeyEntry {
        let key = try PrimaryStore.keyName(name)
        guard let parsedAlgorithm = TSIGAlgorithm(mnemonic: algorithm) else {
            throw StoreError(.invalidArgument, record: key, reason: "unknown TSIG algorithm '\(algorithm)'; "
                + "use hmac-sha256, hmac-sha384, hmac-sha512 or hmac-sha1")
        }
        let parsed: TSIGKey
        do {
            parsed = try TSIGKey(name: key, algorithm: parsedAlgorithm, base64Secret: secret)
        } catch {
            throw StoreError(.invalidArgument, record: key, reason: "\(error)")
        }
        var algorithmText = parsedAlgorithm.name.text
        algorithmText.removeLast()  // "hmac-sha256." -> "hmac-sha256", as BIND writes it.
        let entry = TSIGKeyEntry(name: key, algorithm: algorithmText, secret: Base64.encode(parsed.secret))
        try writeImmediate { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM tsig_keys WHERE name = ?", arguments: [key]) != nil {
                throw StoreError(.duplicate, record: key, reason: "a TSIG key of this name exists")
            }
            try db.execute(
                sql: "INSERT INTO tsig_keys (name, algorithm, secret) VALUES (?, ?, ?)",
                arguments: [entry.name, entry.algorithm, entry.secret])
        }
        return entry
    }

    func tsigKeys() throws -> [TSIGKeyEntry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, algorithm, secret FROM tsig_keys ORDER BY name").map {
                TSIGKeyEntry(name: $0["name"], algorithm: $0["algorithm"], secret: $0["secret"])
            }
        }
    }

    /// Deletes a key; refused while an ACL entry or NOTIFY target uses it.
    func deleteTSIGKey(name: String) throws {
        let key = try PrimaryStore.keyName(name)
        try writeImmediate { db in
            let uses = try Int.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM transfer_acl WHERE key_name = ?1)
                     + (SELECT count(*) FROM notify_targets WHERE key_name = ?1)
                     + (SELECT count(*) FROM update_acl WHERE key_name = ?1)
                """, arguments: [key]) ?? 0
            if uses > 0 {
                throw StoreError(.invalidArgument, record: key,
                    reason: "the key is used by \(uses) transfer ACL entries or NOTIFY targets (update ACL entries counted); remove them first")
            }
            try db.execute(sql: "DELETE FROM tsig_keys WHERE name = ?", arguments: [key])
            if db.changesCount == 0 { throw StoreError(.notFound, record: key, reason: "no such TSIG key") }
        }
    }

    static func keyName(_ text: String) throws -> String {
        let absolute = text.hasSuffix(".") ? text : text + "."
        do {
            return try DomainName(absolute).lowercased().text
        } catch {
            throw StoreError(.invalidName, record: text, reason: "bad TSIG key name: \(error)")
        }
    }

    /// Checks that a key exists, for the ACL and NOTIFY tables.
    static func requireKey(_ db: Database, _ key: String, zone: String) throws {
        if try Row.fetchOne(db, sql: "SELECT 1 FROM tsig_keys WHERE name = ?", arguments: [key]) == nil {
            throw StoreError(.notFound, zone: zone, record: key, reason: "no such TSIG key")
        }
    }
}
