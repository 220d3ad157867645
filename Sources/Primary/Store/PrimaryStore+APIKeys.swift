import DaemonKit
import DNSCore
import Foundation
import GRDB

/// An HTTP API key as listed: its name, the zones it may use (empty: all, creating zones included) and
/// when it was made. The secret is never stored, only its SHA-256.
struct APIKeyEntry: Sendable, Equatable, Codable {
    var name: String
    var zones: [String]
    var createdAt: Date

    /// Whether the key may read and change `zone` (absolute, lowercased).
    func allows(zone: String) -> Bool { zones.isEmpty || zones.contains(zone) }
}

extension PrimaryStore {
    /// Stores a new key under `name` (letters, digits, `.`, `_`, `-`): the SHA-256 of `secret`, never the secret.
    @discardableResult
    func addAPIKey(name: String, secret: String, zones: [String], now: Date) throws -> APIKeyEntry {
        let digest = APIKeyDigest.hex(of: secret)
        guard !name.isEmpty, name.count <= 64,
              name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSetCheck.isWordCharacter($0)) })
        else {
            throw StoreError(.invalidName, record: name, reason: "an API key name is 1-64 letters, digits, '.', '_' or '-'")
        }
        let normalised = try zones.map { try PrimaryStore.zoneName($0).text }
        let unique = normalised.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        try writeImmediate { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM api_keys WHERE name = ?", arguments: [name]) != nil {
                throw StoreError(.duplicate, record: name, reason: "an API key of this name exists")
            }
            try db.execute(
                sql: "INSERT INTO api_keys (name, digest, zones, created_at) VALUES (?, ?, ?, ?)",
                arguments: [name, digest, unique.joined(separator: " "), PrimaryStore.timestamp(now)])
        }
        return APIKeyEntry(name: name, zones: unique, createdAt: Date(timeIntervalSince1970: TimeInterval(PrimaryStore.timestamp(now))))
    }

    func apiKeys() throws -> [APIKeyEntry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, zones, created_at FROM api_keys ORDER BY name").map(PrimaryStore.apiKeyEntry)
        }
    }

    func deleteAPIKey(name: String) throws {
        try writeImmediate { db in
            try db.execute(sql: "DELETE FROM api_keys WHERE name = ?", arguments: [name])
            if db.changesCount == 0 { throw StoreError(.notFound, record: name, reason: "no such API key") }
        }
    }

    /// The key whose secret is `secret`, or nil. Every stored digest is compared in constant time.
    func apiKey(secret: String) throws -> APIKeyEntry? {
        let digest = APIKeyDigest.hex(of: secret)
        return try pool.read { db in
            var found: Row?
            for row in try Row.fetchAll(db, sql: "SELECT name, digest, zones, created_at FROM api_keys") {
                if APIKeyDigest.equal(row["digest"], digest) { found = row }
            }
            return found.map(PrimaryStore.apiKeyEntry)
        }
    }

    static func apiKeyEntry(_ row: Row) -> APIKeyEntry {
        let zones: String = row["zones"]
        let created: Int64 = row["created_at"]
        return APIKeyEntry(name: row["name"], zones: zones.split(separator: " ").map(String.init),
                           createdAt: Date(timeIntervalSince1970: TimeInterval(created)))
    }
}

enum CharacterSetCheck {
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": true
        default: false
        }
    }
}
