import DNSCore
import DNSEdge

/// One zone's settings as the operator gave them (`zone add`): where to transfer it from, how to sign
/// it, and the guards' limits. What the daemon learns while running is `ZoneState`, not this.
struct SignerZoneConfig: Sendable, Equatable {
    /// Absolute, lowercased.
    var origin: DomainName
    /// Hidden primaries to transfer from, tried in order; the port defaults to 53.
    var primaries: [ListenAddress]
    /// TSIG key (absolute, lowercased name) the transfers from the primaries are signed with.
    var tsigKeyName: String? = nil
    /// Seconds between polls (jittered by the daemon).
    var pollSeconds: Int = 60
    var denial: Denial = .nsec
    /// NSEC3 opt-out (only with `.nsec3`).
    var optOut: Bool = false
    /// Algorithm of the keys generated at first signing.
    var algorithm: DNSSECAlgorithm = .ECDSAP256SHA256
    /// One combined signing key instead of a KSK and a ZSK.
    var csk: Bool = false
    /// A transfer with fewer than `1 - shrinkLimit` of the current RRsets is refused (0.5: losing half).
    var shrinkLimit: Double = 0.5
    /// Accept a serial lower than ours (RFC 1982) instead of refusing the transfer.
    var allowSerialDecrease: Bool = false
    /// One-shot override of the policy guards: serial decrease, shrink, growth (`zone accept-next`),
    /// cleared when used.
    var acceptNext: Bool = false
    var signedSerialPolicy: SignedSerialPolicy = .unixtime
    var expireAction: ExpireAction = .servfail
    /// `zone refresh` asked for a poll now; the daemon clears it.
    var refreshRequested: Bool = false
    // Growth guard and who asked for the pending accept-next (migration signer-v3-guards).
    /// A transfer with more than this many times the current RRsets and more than `growthMinRRsets`
    /// RRsets added is refused (`TransferGuard.growthLimit` says why both); 0: no growth guard.
    var growthLimit: Double = TransferGuard.defaultGrowthLimit
    var growthMinRRsets: Int = TransferGuard.defaultGrowthMinRRsets
    /// The OS user who ran `zone accept-next`, and when (seconds since 1970), while it is pending.
    var acceptNextBy: String? = nil
    var acceptNextAt: Int64? = nil

    // Review before publishing (migration signer-v4-review); `reviewSettings` gathers them.
    var reviewUnsigned: ReviewGate.Mode = .off
    var reviewSigned: ReviewGate.Mode = .off
    /// Absolute path of the program a `command` review runs.
    var reviewCommand: String? = nil
    /// Seconds a review command may run before it counts as a rejection.
    var reviewTimeout: Int64 = 300

    var reviewSettings: ReviewGate.Settings {
        ReviewGate.Settings(unsigned: reviewUnsigned, signed: reviewSigned, timeout: reviewTimeout)
    }

    // Key lifecycle settings (migration signer-v2-keys); `keyPolicy` gathers them.
    /// Automatic ZSK rollover after this long in use; nil: never.
    var zskLifetime: Int64? = KeyPolicy.defaultZSKLifetime
    /// Automatic KSK/CSK rollover; nil (default): operator-started only.
    var kskLifetime: Int64? = nil
    var propagationDelay: Int64 = 3600
    /// Override of the parent's DS TTL.
    var parentDSTTL: Int64? = nil
    /// The parent's servers to check for our DS; empty: found through the parent resolvers.
    var parentServers: [ListenAddress] = []
    var dsCheckInterval: Int64 = 600
    /// Serve the zone insecure (going there through CDS DELETE when it is signed).
    var unsigned = false

    /// How a poll learns that the primary changed (migration signer-v2-keys).
    var pollMode: PollMode = .auto
    /// In serial mode, a full transfer compared by content at least this often (seconds).
    var contentCheckSeconds: Int64 = 3600
    /// How a changed zone is transferred (migration signer-v7-ixfr-in).
    var transferMode: TransferMode = .ixfr
    /// The group property (RFC 9432 §4.4.2) the zone carries in the catalog this signer produces, in place
    /// of the catalog-wide `catalog set --group`; nil: the catalog's (migration signer-v8-catalog-members).
    var catalogGroup: String? = nil
    /// Raised by a catalog member reset (RFC 9432 §5.4): the daemon runs the zone afresh, and a worker
    /// writes versions only for the generation it was started with (`SignerStore.publish`).
    var generation: Int64 = 0

    enum TransferMode: String, Sendable, Equatable, Codable, CaseIterable {
        /// IXFR (RFC 1995) from the serial we hold, AXFR when the primary has no IXFR or sends the whole
        /// zone; every content check is an AXFR.
        case ixfr
        /// Always the whole zone.
        case axfr
    }

    enum PollMode: String, Sendable, Equatable, Codable, CaseIterable {
        /// Serial polling, unless the primary says it is PowerDNS (whose ALIAS expansion changes the
        /// content without raising the serial): then content polling.
        case auto
        /// An SOA query per poll; a transfer when the serial moved, on NOTIFY, or when a content check is due.
        case serial
        /// A full transfer per poll, compared by content hash (the seed's "compare every minute").
        case content
    }

    /// What the key lifecycle aims for and how long it waits.
    var keyPolicy: KeyPolicy {
        KeyPolicy(algorithm: algorithm, csk: csk, zskLifetime: zskLifetime, kskLifetime: kskLifetime,
                  propagationDelay: propagationDelay, parentDSTTL: parentDSTTL, dsCheckInterval: dsCheckInterval,
                  unsigned: unsigned)
    }

    enum Denial: String, Sendable, Equatable, Codable, CaseIterable {
        case nsec
        /// RFC 9276 defaults: SHA-1, 0 extra iterations, empty salt.
        case nsec3
    }

    /// How the signed zone's SOA serial rises (independently of the unsigned serial).
    enum SignedSerialPolicy: String, Sendable, Equatable, Codable, CaseIterable {
        /// Seconds since 1970, or the old serial + 1 when that is not greater.
        case unixtime
        case increment
    }

    /// What happens once the unsigned zone's SOA expire has passed without a successful poll.
    enum ExpireAction: String, Sendable, Equatable, Codable, CaseIterable {
        /// Stop serving the zone (SERVFAIL), as a secondary must (RFC 1035 §3.3.13).
        case servfail
        /// Keep serving (and re-signing) the last good copy.
        case keepServing = "keep-serving"
    }

    init(origin: DomainName, primaries: [ListenAddress]) {
        self.origin = origin.lowercased()
        self.primaries = primaries
    }

    /// How the zone is signed: DNSCore's defaults (14-day signatures re-signed 7 days before expiry)
    /// with this zone's denial and key roles.
    var signingPolicy: SigningPolicy {
        var policy = SigningPolicy()
        switch denial {
        case .nsec: policy.denial = .nsec
        case .nsec3: policy.denial = .nsec3(SigningPolicy.NSEC3Settings(optOut: optOut))
        }
        policy.keyRoles = keyRoles
        return policy
    }

    /// A CSK signs everything; otherwise the KSK signs the key sets and the ZSK the rest.
    var keyRoles: SigningPolicy.KeyRoles { csk ? .combined : .split }

    /// DNSKEY flags of the keys to generate at first signing: one CSK (257), or a KSK (257) and a ZSK (256).
    var keyFlagsToGenerate: [UInt16] {
        csk ? [SigningKey.keySigningFlags] : [SigningKey.keySigningFlags, SigningKey.zoneSigningFlags]
    }
}
