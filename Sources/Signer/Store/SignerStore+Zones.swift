import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import GRDB

/// A zone's settings with the store's bookkeeping, for `zone list` and `zone status`.
struct StoredZone: Sendable, Equatable {
    var config: SignerZoneConfig
    var createdAt: Int64
    var updatedAt: Int64
    /// Raised by every change to the zone's settings or downstream entries.
    var version: Int64
}

/// What `zone set` changes; nil leaves a setting as it is. Applied to the stored settings and checked as
/// `zone add` checks them (`SignerStore.updateZone`).
struct SignerZoneChanges: Sendable, Equatable {
    enum TSIGKey: Sendable, Equatable {
        /// Sign the transfers with this key (it must be in the store).
        case use(String)
        /// Transfers without TSIG.
        case withoutKey
    }

    /// Replaces the whole list.
    var primaries: [ListenAddress]?
    var tsigKey: TSIGKey?
    var pollSeconds: Int?
    /// `.nsec` turns opt-out off too.
    var denial: SignerZoneConfig.Denial?
    var optOut: Bool?
    /// On a signed zone: starts a key-set (algorithm) rollover.
    var algorithm: DNSSECAlgorithm?
    /// On a signed zone: starts a key-set rollover to a CSK or to a KSK and a ZSK.
    var csk: Bool?
    /// `.some(nil)`: no automatic rollover.
    var zskLifetime: Int64??
    var kskLifetime: Int64??
    var propagationDelay: Int64?
    /// `.some(nil)`: read the TTL from the parent.
    var parentDSTTL: Int64??
    /// Replaces the list; empty: find the parent's servers through the resolver.
    var parentServers: [ListenAddress]?
    var dsCheckInterval: Int64?
    var unsigned: Bool?
    var pollMode: SignerZoneConfig.PollMode?
    var contentCheckSeconds: Int64?
    var transferMode: SignerZoneConfig.TransferMode?
    var shrinkLimit: Double?
    var allowSerialDecrease: Bool?
    var signedSerialPolicy: SignerZoneConfig.SignedSerialPolicy?
    var expireAction: SignerZoneConfig.ExpireAction?
    var growthLimit: Double?
    var growthMinRRsets: Int?
    var reviewUnsigned: ReviewGate.Mode?
    var reviewSigned: ReviewGate.Mode?
    /// `.some(nil)`: forget the command.
    var reviewCommand: String??
    var reviewTimeout: Int64?
    /// `.some(nil)`: carry the catalog-wide group again.
    var catalogGroup: String??

    var isEmpty: Bool { self == SignerZoneChanges() }

    /// `config` with these changes; not checked.
    func applied(to config: SignerZoneConfig) -> SignerZoneConfig {
        var config = config
        if let primaries { config.primaries = primaries }
        switch tsigKey {
        case .use(let name): config.tsigKeyName = name
        case .withoutKey: config.tsigKeyName = nil
        case nil: break
        }
        if let pollSeconds { config.pollSeconds = pollSeconds }
        if let denial {
            config.denial = denial
            if denial == .nsec { config.optOut = false }
        }
        if let optOut { config.optOut = optOut }
        if let algorithm { config.algorithm = algorithm }
        if let csk { config.csk = csk }
        if let zskLifetime { config.zskLifetime = zskLifetime }
        if let kskLifetime { config.kskLifetime = kskLifetime }
        if let propagationDelay { config.propagationDelay = propagationDelay }
        if let parentDSTTL { config.parentDSTTL = parentDSTTL }
        if let parentServers { config.parentServers = parentServers }
        if let dsCheckInterval { config.dsCheckInterval = dsCheckInterval }
        if let unsigned { config.unsigned = unsigned }
        if let pollMode { config.pollMode = pollMode }
        if let contentCheckSeconds { config.contentCheckSeconds = contentCheckSeconds }
        if let transferMode { config.transferMode = transferMode }
        if let shrinkLimit { config.shrinkLimit = shrinkLimit }
        if let allowSerialDecrease { config.allowSerialDecrease = allowSerialDecrease }
        if let signedSerialPolicy { config.signedSerialPolicy = signedSerialPolicy }
        if let expireAction { config.expireAction = expireAction }
        if let growthLimit { config.growthLimit = growthLimit }
        if let growthMinRRsets { config.growthMinRRsets = growthMinRRsets }
        if let reviewUnsigned { config.reviewUnsigned = reviewUnsigned }
        if let reviewSigned { config.reviewSigned = reviewSigned }
        if let reviewCommand { config.reviewCommand = reviewCommand }
        if let reviewTimeout { config.reviewTimeout = reviewTimeout }
        if let catalogGroup { config.catalogGroup = catalogGroup }
        return config
    }
}

extension SignerStore {
    /// Adds a zone after checking every setting; its state starts empty and nothing is published until
    /// the daemon's first successful poll and signing.
    func addZone(_ config: SignerZoneConfig, now: Date) throws {
        try addZones([config], now: now)
    }

    /// Adds every zone of `configs` in one `BEGIN IMMEDIATE` transaction (`zone add --from`): all of them
    /// or, when one is refused (it exists, a setting is bad, a name is given twice), none; the running
    /// daemon sees one configuration change and starts them together.
    func addZones(_ configs: [SignerZoneConfig], now: Date) throws {
        var checked: [(config: SignerZoneConfig, primaries: [ListenAddress], keyName: String?)] = []
        var seen: Set<DomainName> = []
        for config in configs {
            let origin = config.origin.lowercased()
            guard seen.insert(origin).inserted else {
                throw SignerStoreError(.duplicate, zone: origin.text, reason: "named twice in one request")
            }
            let zone = origin.text
            let primaries = try SignerStore.checkedPrimaries(config.primaries, zone: zone)
            let keyName = try config.tsigKeyName.map { try SignerStore.keyName($0, zone: zone) }
            try SignerStore.check(config, zone: zone)
            checked.append((config, primaries, keyName))
        }
        try writeImmediate { db in
            for (config, primaries, keyName) in checked {
                _ = try SignerStore.insertZone(config, primaries: primaries, keyName: keyName, now: now, db)
            }
            try SignerStore.touch(zoneID: nil, now: now, db)
        }
    }

    /// Inserts one checked zone with its settings and empty state; refused when the name exists or the
    /// key does not. The caller raises the configuration version.
    static func insertZone(_ config: SignerZoneConfig, primaries: [ListenAddress], keyName: String?, now: Date,
                           _ db: Database) throws -> Int64 {
        let zone = config.origin.lowercased().text
        // Prepared once per connection (here and in the settings writers): `zone add --from` of ten thousand
        // names spent 4.7 s compiling the same six statements again for every zone, 0.7 s with them cached.
        if try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM zones WHERE name = ?"), arguments: [zone]) != nil {
            throw SignerStoreError(.zoneExists, zone: zone, reason: "the zone already exists (change its settings with `dns-signer zone set`)")
        }
        if let keyName { try SignerStore.requireKey(db, keyName, zone: zone) }
        try db.cachedStatement(
            sql: """
                INSERT INTO zones (name, primaries, tsig_key, poll_seconds, denial, opt_out, algorithm, csk,
                    shrink_limit, allow_serial_decrease, accept_next, signed_serial_policy, expire_action,
                    refresh_requested, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                zone, primaries.map(\.description).joined(separator: " "), keyName, config.pollSeconds,
                config.denial.rawValue, config.optOut, Int(config.algorithm.rawValue), config.csk,
                config.shrinkLimit, config.allowSerialDecrease, config.acceptNext,
                config.signedSerialPolicy.rawValue, config.expireAction.rawValue, config.refreshRequested,
                SignerStore.timestamp(now), SignerStore.timestamp(now),
            ])
        let id = db.lastInsertedRowID
        try SignerStore.writeGuardSettings(config, zoneID: id, db)
        try SignerStore.writeKeySettings(config, zoneID: id, db)
        try SignerStore.writeReviewSettings(config, zoneID: id, db)
        if let group = config.catalogGroup {
            try db.cachedStatement(sql: "UPDATE zones SET catalog_group = ? WHERE id = ?").execute(arguments: [group, id])
        }
        try db.cachedStatement(sql: "INSERT INTO zone_state (zone_id) VALUES (?)").execute(arguments: [id])
        return id
    }

    /// Changes the settings `changes` names (`zone set`) in one `BEGIN IMMEDIATE` transaction, with the same
    /// checks as `addZone`, and raises the configuration version so a running daemon picks them up. The
    /// keys, the published copies and the zone's state stay as they are. Refused: an unknown zone or TSIG
    /// key, no change given, and a different algorithm or key roles once the zone has keys (that would be
    /// a key rollover). Settings equal to the stored ones write nothing.
    @discardableResult
    func updateZone(_ name: String, _ changes: SignerZoneChanges, now: Date) throws -> (old: SignerZoneConfig, new: StoredZone) {
        let origin = try SignerStore.zoneName(name)
        let zone = origin.text
        guard !changes.isEmpty else {
            throw SignerStoreError(.invalidArgument, zone: zone,
                                   reason: "nothing to change: give at least one setting (see `dns-signer zone set --help`)")
        }
        let primaries = try changes.primaries.map { try SignerStore.checkedPrimaries($0, zone: zone) }
        let keyChange: SignerZoneChanges.TSIGKey? = try changes.tsigKey.map {
            if case .use(let key) = $0 { return .use(try SignerStore.keyName(key, zone: zone)) }
            return $0
        }
        return try writeImmediate { db in
            let id = try SignerStore.zoneID(db, origin)
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM zones WHERE id = ?", arguments: [id]) else {
                throw SignerStoreError(.unknownZone, zone: zone, reason: "no such zone in the store (see `dns-signer zone list`)")
            }
            let old = try SignerStore.storedZone(row)
            var checked = changes
            checked.primaries = primaries
            checked.tsigKey = keyChange
            let config = checked.applied(to: old.config)
            if let keyName = config.tsigKeyName, keyName != old.config.tsigKeyName { try SignerStore.requireKey(db, keyName, zone: zone) }
            try SignerStore.check(config, zone: zone)
            guard config != old.config else { return (old.config, old) }
            try db.execute(
                sql: """
                    UPDATE zones SET primaries = ?, tsig_key = ?, poll_seconds = ?, denial = ?, opt_out = ?, algorithm = ?,
                        csk = ?, shrink_limit = ?, allow_serial_decrease = ?, signed_serial_policy = ?, expire_action = ?
                    WHERE id = ?
                    """,
                arguments: [
                    config.primaries.map(\.description).joined(separator: " "), config.tsigKeyName, config.pollSeconds,
                    config.denial.rawValue, config.optOut, Int(config.algorithm.rawValue), config.csk, config.shrinkLimit,
                    config.allowSerialDecrease, config.signedSerialPolicy.rawValue, config.expireAction.rawValue, id,
                ])
            try SignerStore.writeGuardSettings(config, zoneID: id, db)
            try SignerStore.writeKeySettings(config, zoneID: id, db)
            try SignerStore.writeReviewSettings(config, zoneID: id, db)
            try db.execute(sql: "UPDATE zones SET catalog_group = ? WHERE id = ?", arguments: [config.catalogGroup, id])
            try SignerStore.touch(zoneID: id, now: now, db)
            guard let updated = try Row.fetchOne(db, sql: "SELECT * FROM zones WHERE id = ?", arguments: [id]) else {
                throw SignerStoreError(.corrupt, zone: zone, reason: "the zone's row vanished while it was updated")
            }
            return (old.config, try SignerStore.storedZone(updated))
        }
    }

    /// Every zone's settings, by name.
    func zones() throws -> [SignerZoneConfig] {
        try storedZones().map(\.config)
    }

    func storedZones() throws -> [StoredZone] {
        try pool.read { db in
            // A zone its catalog dropped is parked: kept with its keys, neither polled nor served.
            try Row.fetchAll(db, sql: "SELECT * FROM zones WHERE parked = 0 ORDER BY name").map(SignerStore.storedZone)
        }
    }

    /// One zone's settings, or `unknownZone`.
    func zone(_ name: String) throws -> SignerZoneConfig {
        try storedZone(name).config
    }

    func storedZone(_ name: String) throws -> StoredZone {
        let origin = try SignerStore.zoneName(name)
        return try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM zones WHERE name = ?", arguments: [origin.text]) else {
                throw SignerStoreError(.unknownZone, zone: origin.text, reason: "no such zone in the store (see `dns-signer zone list`)")
            }
            return try SignerStore.storedZone(row)
        }
    }

    /// Deletes the zone and everything of it: state, keys, downstream entries, published copies. The
    /// events already recorded for it stay in the outbox.
    func removeZone(_ name: String, now: Date = Date()) throws {
        try removeZones([name], now: now)
    }

    /// Removes several zones in one transaction: all of them, or none when one is unknown (so a typo in
    /// a list of a hundred names removes nothing).
    func removeZones(_ names: [String], now: Date = Date()) throws {
        let origins = try names.map { try SignerStore.zoneName($0) }
        try writeImmediate { db in
            for origin in origins {
                let id = try SignerStore.zoneID(db, origin)
                try db.execute(sql: "DELETE FROM zones WHERE id = ?", arguments: [id])
            }
            try SignerStore.touch(zoneID: nil, now: now, db)
        }
    }

    /// Sets or clears the one-shot override of the policy guards without saying who (`requestAcceptNext`
    /// is `zone accept-next`).
    func setAcceptNext(_ name: String, _ accept: Bool, now: Date = Date()) throws {
        try setFlag(name, column: "accept_next", accept, now: now, isConfigChange: true)
    }

    /// Asks the running daemon to poll the zone now (`zone refresh`); it notices within a second.
    func requestRefresh(_ name: String, now: Date = Date()) throws {
        try setFlag(name, column: "refresh_requested", true, now: now, isConfigChange: true)
    }

    /// The daemon's acknowledgement of a refresh request: not a configuration change, so it does not
    /// raise `configVersion`.
    func clearRefreshRequest(_ name: String) throws {
        try setFlag(name, column: "refresh_requested", false, now: Date(), isConfigChange: false)
    }

    private func setFlag(_ name: String, column: String, _ value: Bool, now: Date, isConfigChange: Bool) throws {
        let origin = try SignerStore.zoneName(name)
        try writeImmediate { db in
            let id = try SignerStore.zoneID(db, origin)
            try db.execute(sql: "UPDATE zones SET \(column) = ? WHERE id = ?", arguments: [value, id])
            if isConfigChange { try SignerStore.touch(zoneID: id, now: now, db) }
        }
    }

    // MARK: Checks

    static func check(_ config: SignerZoneConfig, zone: String) throws {
        guard config.pollSeconds >= 1, config.pollSeconds <= 86400 else {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "poll interval \(config.pollSeconds)s",
                                   reason: "must be from 1 second to 1 day")
        }
        guard config.algorithm.isSupported else {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "algorithm \(config.algorithm)",
                reason: "not supported for signing; use one of "
                    + DNSSECAlgorithm.supported.map { "\($0.mnemonic.lowercased()) (\($0.rawValue))" }.joined(separator: ", "))
        }
        guard config.shrinkLimit.isFinite, config.shrinkLimit > 0, config.shrinkLimit <= 1 else {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "shrink limit \(config.shrinkLimit)",
                                   reason: "must be a fraction above 0 and at most 1 (0.5 refuses losing half the RRsets)")
        }
        if config.optOut && config.denial != .nsec3 {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "opt-out", reason: "opt-out needs NSEC3 (--nsec3)")
        }
        try checkGuards(config, zone: zone)
        try checkKeySettings(config, zone: zone)
        try checkReviewSettings(config, zone: zone)
        if let problem = ProducedCatalogTable.groupProblem(config.catalogGroup) {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "--catalog-group", reason: problem)
        }
    }

    /// The primaries with canonical address text; refuses an empty list, host names and port 0.
    static func checkedPrimaries(_ primaries: [ListenAddress], zone: String) throws -> [ListenAddress] {
        guard !primaries.isEmpty else {
            throw SignerStoreError(.invalidArgument, zone: zone, field: "primary", reason: "give at least one primary ADDR[:PORT]")
        }
        var seen: Set<ListenAddress> = []
        return try primaries.map { primary in
            guard let address = IPAddress(primary.host) else {
                throw SignerStoreError(.invalidArgument, zone: zone, field: "primary \(primary)",
                                       reason: "not an IP address (names are not resolved here)")
            }
            guard (1...65535).contains(primary.port) else {
                throw SignerStoreError(.invalidArgument, zone: zone, field: "primary \(primary)", reason: "port must be 1...65535")
            }
            let canonical = ListenAddress(host: address.description, port: primary.port)
            guard seen.insert(canonical).inserted else {
                throw SignerStoreError(.duplicate, zone: zone, field: "primary \(primary)", reason: "given twice")
            }
            return canonical
        }
    }

    // MARK: Rows

    /// A space-separated list of ADDR:PORT as the zones table stores it.
    static func addresses(_ text: String, zone: String, field: String) throws -> [ListenAddress] {
        try text.split(separator: " ").map { word in
            guard let address = try? ListenAddress(parsing: String(word)) else {
                throw SignerStoreError(.corrupt, zone: zone, field: "\(field) \(word)", reason: "unreadable in the store")
            }
            return address
        }
    }

    static func storedZone(_ row: Row) throws -> StoredZone {
        let name: String = row["name"]
        let origin = try zoneName(name)
        let primaries = try addresses(row["primaries"], zone: name, field: "primary")
        guard let denial = SignerZoneConfig.Denial(rawValue: row["denial"]),
              let serialPolicy = SignerZoneConfig.SignedSerialPolicy(rawValue: row["signed_serial_policy"]),
              let expireAction = SignerZoneConfig.ExpireAction(rawValue: row["expire_action"])
        else { throw SignerStoreError(.corrupt, zone: name, reason: "unknown policy in the zones table") }
        var config = SignerZoneConfig(origin: origin, primaries: primaries)
        config.tsigKeyName = row["tsig_key"]
        config.pollSeconds = row["poll_seconds"]
        config.denial = denial
        config.optOut = row["opt_out"]
        config.algorithm = DNSSECAlgorithm(UInt8(truncatingIfNeeded: row["algorithm"] as Int))
        config.csk = row["csk"]
        config.shrinkLimit = row["shrink_limit"]
        config.allowSerialDecrease = row["allow_serial_decrease"]
        config.acceptNext = row["accept_next"]
        config.signedSerialPolicy = serialPolicy
        config.expireAction = expireAction
        config.refreshRequested = row["refresh_requested"]
        readGuardSettings(row, into: &config)
        try readKeySettings(row, into: &config)
        try readReviewSettings(row, into: &config)
        config.catalogGroup = row["catalog_group"]
        config.generation = row["generation"]
        return StoredZone(config: config, createdAt: row["created_at"], updatedAt: row["updated_at"], version: row["version"])
    }
}
