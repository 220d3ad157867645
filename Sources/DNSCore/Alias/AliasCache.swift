/// Resolution answers per target and family, kept for their TTL, with the last good answer of each
/// (for `keep-last`). Pure: every call takes `now` (Unix seconds).
public struct AliasCache: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var addresses: AliasAddresses
        public var resolvedAt: UInt64
        public var expiresAt: UInt64
    }

    public private(set) var entries: [AliasKey: Entry] = [:]
    /// Seconds before expiry at which an entry is due for refresh.
    public var refreshMargin: UInt64
    /// Failures seen since the last good answer (none for a key that resolved last time).
    public private(set) var failures: [AliasKey: AliasFailureReason] = [:]

    public init(refreshMargin: UInt64 = 5) { self.refreshMargin = refreshMargin }

    /// Records a lookup: a good answer replaces the entry; a failure keeps the old one (it stays the last good).
    public mutating func record(_ lookup: AliasLookup, for key: AliasKey, now: UInt64) {
        switch lookup {
        case .resolved(let addresses):
            entries[key] = Entry(addresses: addresses, resolvedAt: now, expiresAt: now + UInt64(addresses.ttl))
            failures[key] = nil
        case .failed(let reason):
            failures[key] = reason
        }
    }

    /// The cached answer with its TTL counted down, or nil when absent or expired.
    public func lookup(_ key: AliasKey, now: UInt64) -> AliasAddresses? {
        guard let entry = entries[key], now < entry.expiresAt else { return nil }
        var addresses = entry.addresses
        addresses.ttl = UInt32(entry.expiresAt - now)
        return addresses
    }

    /// Keys whose entry expires within `refreshMargin` (or has expired, or last failed), in a stable order.
    public func needsRefresh(now: UInt64) -> [AliasKey] {
        let due = Set(entries.filter { now + refreshMargin >= $0.value.expiresAt }.map(\.key)).union(failures.keys)
        return due.sorted { ($0.target.text, $0.family.description) < ($1.target.text, $1.family.description) }
    }

    /// What the expander needs now: an answer still within its TTL wins (a failed refresh does not
    /// discard valid data); past it, the last failure, if any; every entry is also a last good answer.
    public func table(now: UInt64) -> AliasResolutionTable {
        var table = AliasResolutionTable()
        for (key, entry) in entries {
            table.lastGood[key] = AliasLastGood(addresses: entry.addresses, resolvedAt: entry.resolvedAt)
            if let fresh = lookup(key, now: now) { table.results[key] = .resolved(fresh) }
        }
        for (key, reason) in failures where table.results[key] == nil { table.results[key] = .failed(reason) }
        return table
    }
}
