import DNSCore

/// How a zone's keys should be, and the waits its rollovers use: from the zone's settings (`zone
/// add/set`). The lifecycle compares the keys it has with this and starts the rollover that closes
/// the gap.
struct KeyPolicy: Sendable, Equatable {
    var algorithm: DNSSECAlgorithm = .ECDSAP256SHA256
    var csk = false
    /// Automatic ZSK rollover after this many seconds of use; nil: never.
    ///
    /// Default 90 days. P-256 needs no rollover for strength (RFC 6781 §3.3); a ZSK is rolled so the
    /// rollover path is exercised while nobody is in a hurry — an operator learns within a quarter,
    /// not after years, that it works here — and each rollover costs only two re-signings. Knot rolls
    /// every 30 days, OpenDNSSEC's default policy every 90.
    var zskLifetime: Int64? = KeyPolicy.defaultZSKLifetime
    /// Automatic KSK (or CSK) rollover; nil (the default): only when the operator starts one, because
    /// each needs the registrar (as Route 53 and BIND's default policy do).
    var kskLifetime: Int64?
    /// Time for a new version to reach every server that serves the zone (downstream secondaries,
    /// anycast nodes) and for the parent's change to reach its servers (RFC 7583 Dprp). Default 1 hour:
    /// NOTIFY makes it seconds, but a secondary that misses one waits for its SOA refresh.
    var propagationDelay: Int64 = 3600
    /// The parent's DS TTL, when the operator knows better than what the parent answers.
    var parentDSTTL: Int64?
    /// How often the parent's servers are asked for our DS while a rollover waits for them.
    var dsCheckInterval: Int64 = 600
    /// The operator wants the zone served insecure (`zone set --unsigned`).
    var unsigned = false

    static let defaultZSKLifetime: Int64 = 90 * 86_400
    /// Used for the parent's DS TTL until it has been read from the parent: a day, the TTL most TLDs use.
    static let fallbackDSTTL: Int64 = 86_400
}

/// The TTLs of the zone as published, which RFC 7583's waits are made of.
struct ZoneTTLFacts: Sendable, Equatable, Codable {
    /// TTL of the DNSKEY RRset (TTLkey).
    var dnskeyTTL: Int64
    /// The largest TTL of any signed RRset, negative answers (the denial records' TTL) included
    /// (TTLsig: how long a cached signature can outlive its key's retirement).
    var maxZoneTTL: Int64

    init(dnskeyTTL: Int64, maxZoneTTL: Int64) {
        self.dnskeyTTL = dnskeyTTL
        self.maxZoneTTL = max(maxZoneTTL, dnskeyTTL)
    }

    /// From a published zone (signed or not): the DNSKEY TTL (or the SOA's when there is none yet, the
    /// signer's default) and the largest TTL, with the negative-caching TTL (RFC 2308) counted.
    init(zone: Zone) {
        let soaSet = zone.rrset(at: zone.origin, type: .SOA)
        let soaTTL = Int64(soaSet?.ttl ?? 3600)
        var negative: Int64 = 0
        if case .soa(let soa)? = soaSet?.rdatas.first { negative = min(Int64(soa.minimum), soaTTL) }
        let dnskey = zone.rrset(at: zone.origin, type: .DNSKEY).map { Int64($0.ttl) } ?? soaTTL
        var largest: Int64 = max(negative, dnskey)
        for rrset in zone.rrsets { largest = max(largest, Int64(rrset.ttl)) }
        self.init(dnskeyTTL: dnskey, maxZoneTTL: largest)
    }
}
