/// Resolution answers per target and family, kept for their TTL, with the last good answer of each
/// (for `keep-last`). Pure: every call takes `now` (Unix seconds).
public struct AliasCache: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var addresses: AliasAddresses
        public var resolvedAt: UInt64
        public var expiresAt: UInt64
    }

    public private(set) var entries: [AliasKey: Entry] = [:]
    /// Seconds before expiry at which an entry is due for refresh (at most half the entry's lifetime, so
    /// a short TTL is not refreshed on every pass).
    public var refreshMargin: UInt64
    /// Seconds an answer counts as current at least, whatever its TTL: a TTL of 0 ("do not cache") still
    /// has to be expandable in the pass that asked for it, and must not be re-asked in a busy loop.
    public var minimumLifetime: UInt64
    /// Failures seen since the last good answer (none for a key that resolved last time).
    public private(set) var failures: [AliasKey: AliasFailureReason] = [:]
    /// When each failure in `failures` was seen, to space out retries.
    public private(set) var failedAt: [AliasKey: UInt64] = [:]

    public init(refreshMargin: UInt64 = 5, minimumLifetime: UInt64 = 0) {
        self.refreshMargin = refreshMargin
        self.minimumLifetime = minimumLifetime
    }

    /// Records a lookup: a good answer replaces the entry; a failure keeps the old one (it stays the last good).
    public mutating func record(_ lookup: AliasLookup, for key: AliasKey, now: UInt64) {
        switch lookup {
        case .resolved(let addresses):
            let lifetime = max(UInt64(addresses.ttl), minimumLifetime)
            entries[key] = Entry(addresses: addresses, resolvedAt: now, expiresAt: now + lifetime)
            failures[key] = nil
            failedAt[key] = nil
        case .failed(let reason):
            failures[key] = reason
            failedAt[key] = now
        }
    }

    /// Puts back an answer obtained earlier (persisted across a restart) as a last good answer; it is
    /// current only while its TTL, counted from `resolvedAt`, lasts. An entry newer than it is kept.
    public mutating func restore(_ addresses: AliasAddresses, for key: AliasKey, resolvedAt: UInt64) {
        if let existing = entries[key], existing.resolvedAt >= resolvedAt { return }
        let lifetime = max(UInt64(addresses.ttl), minimumLifetime)
        entries[key] = Entry(addresses: addresses, resolvedAt: resolvedAt, expiresAt: resolvedAt + lifetime)
    }

    /// Forgets every key not in `keys` (targets no zone uses any more).
    public mutating func retain(_ keys: Set<AliasKey>) {
        entries = entries.filter { keys.contains($0.key) }
        failures = failures.filter { keys.contains($0.key) }
        failedAt = failedAt.filter { keys.contains($0.key) }
    }

    /// The cached answer with its TTL counted down, or nil when absent or expired.
    public func lookup(_ key: AliasKey, now: UInt64) -> AliasAddresses? {
        guard let entry = entries[key], now < entry.expiresAt else { return nil }
        var addresses = entry.addresses
        addresses.ttl = min(addresses.ttl, UInt32(clamping: entry.expiresAt - now))
        return addresses
    }

    /// Keys whose entry expires within `refreshMargin` (or has expired, or last failed), in a stable order.
    public func needsRefresh(now: UInt64) -> [AliasKey] {
        needsRefresh(now: now, maxAge: nil, retryAfter: 0)
    }

    /// Keys due for a lookup at `now`: entries within the refresh margin of expiry (or expired), entries
    /// resolved `maxAge` or more seconds ago (an upper bound on how long an answer with a long TTL is
    /// trusted), and failures seen `retryAfter` or more seconds ago. Stable order.
    public func needsRefresh(now: UInt64, maxAge: UInt64?, retryAfter: UInt64) -> [AliasKey] {
        var due = Set<AliasKey>()
        for (key, entry) in entries {
            let margin = min(refreshMargin, (entry.expiresAt - entry.resolvedAt) / 2)
            if now + margin >= entry.expiresAt { due.insert(key) }
            if let maxAge, now >= entry.resolvedAt + maxAge { due.insert(key) }
        }
        for (key, at) in failedAt where now >= at + retryAfter { due.insert(key) }
        return due.sorted()
    }

    /// What the expander needs now: an answer still within its TTL wins (a failed refresh does not
    /// discard valid data); past it, the last failure, if any; every entry is also a last good answer.
    /// With `countDown` the TTLs are what remains of them at `now` (a cache's view); without, the TTL as
    /// received, so expanding twice from one answer gives the same records.
    public func table(now: UInt64, countDown: Bool = true) -> AliasResolutionTable {
        var table = AliasResolutionTable()
        for (key, entry) in entries {
            table.lastGood[key] = AliasLastGood(addresses: entry.addresses, resolvedAt: entry.resolvedAt)
            if countDown {
                if let fresh = lookup(key, now: now) { table.results[key] = .resolved(fresh) }
            } else if now < entry.expiresAt {
                table.results[key] = .resolved(entry.addresses)
            }
        }
        for (key, reason) in failures where table.results[key] == nil { table.results[key] = .failed(reason) }
        return table
    }
}
