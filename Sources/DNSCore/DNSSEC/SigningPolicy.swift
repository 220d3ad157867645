/// How a zone is signed: signature lifetimes, denial of existence, which keys sign what.
///
/// All times are seconds; nothing here reads a clock. Every derived time (inception, expiration) is a
/// pure function of the policy, `now` and the RRset's owner and type, so signing the same zone twice
/// with the same `now` gives the same records, and an incremental re-signing can equal a full one.
public struct SigningPolicy: Sendable, Hashable {
    /// NSEC (RFC 4034) or NSEC3 (RFC 5155).
    public enum Denial: Sendable, Hashable {
        case nsec
        case nsec3(NSEC3Settings)

        /// NSEC3 with the RFC 9276 defaults: SHA-1, no extra iterations, empty salt, no opt-out.
        public static let nsec3 = Denial.nsec3(NSEC3Settings())
    }

    /// NSEC3 parameters. RFC 9276 §3.1: iterations 0 and an empty salt; more of either costs every
    /// resolver work and buys nothing against zone walking.
    public struct NSEC3Settings: Sendable, Hashable {
        /// 1 (SHA-1) is the only algorithm defined.
        public var hashAlgorithm: UInt8
        public var iterations: UInt16
        public var salt: [UInt8]
        /// Opt-out (RFC 5155 §6): insecure delegations (NS without DS) get no NSEC3 record; the records
        /// covering them carry the Opt-Out flag. For large delegation-only zones (TLDs).
        public var optOut: Bool

        public init(hashAlgorithm: UInt8 = 1, iterations: UInt16 = 0, salt: [UInt8] = [], optOut: Bool = false) {
            self.hashAlgorithm = hashAlgorithm
            self.iterations = iterations
            self.salt = salt
            self.optOut = optOut
        }

        /// The apex NSEC3PARAM (flags are always 0 there, RFC 5155 §4.1.2).
        public var parameters: NSEC3PARAM {
            NSEC3PARAM(hashAlgorithm: hashAlgorithm, flags: 0, iterations: iterations, salt: salt)
        }

        var hasher: NSEC3Hash { NSEC3Hash(salt: salt, iterations: iterations) }
    }

    /// Which keys sign which RRsets.
    public enum KeyRoles: Sendable, Hashable {
        /// Keys with the SEP bit (KSKs) sign DNSKEY, CDS and CDNSKEY; the others (ZSKs) sign the rest.
        /// With only SEP keys every key does both (a CSK), with only ZSKs they sign DNSKEY too.
        case split
        /// Every key signs every RRset (combined signing keys).
        case combined
    }

    /// Seconds from `now` to a signature's expiration, before jitter. Default 14 days.
    public var validity: UInt32
    /// How far inception is set before `now`, for validators whose clocks are behind. Default 1 hour.
    public var inceptionOffset: UInt32
    /// Up to this much is taken off each expiration, derived from a hash of the owner and type, so
    /// signatures made in one pass do not all fall due at once. Default 1 day.
    public var jitter: UInt32
    /// A signature is refreshed once less than this is left before it expires. Default 7 days.
    public var refreshMargin: UInt32
    /// A refresh also re-signs what would fall due within this much more time, so jittered signatures
    /// are refreshed in batches rather than one pass per second. Default 1 hour.
    public var refreshBatch: UInt32
    public var denial: Denial
    public var keyRoles: KeyRoles
    /// Publish CDS and CDNSKEY for the KSKs (RFC 7344) so the parent can pick up key changes.
    public var publishCDS: Bool
    /// Digest of the CDS records. SHA-256, what registries expect.
    public var cdsDigestType: DSDigestType
    /// TTL of DNSKEY, CDS and CDNSKEY; nil takes the SOA's TTL.
    public var dnskeyTTL: UInt32?

    public init(
        validity: UInt32 = 14 * 86400, inceptionOffset: UInt32 = 3600, jitter: UInt32 = 86400,
        refreshMargin: UInt32 = 7 * 86400, refreshBatch: UInt32 = 3600, denial: Denial = .nsec,
        keyRoles: KeyRoles = .split, publishCDS: Bool = true, cdsDigestType: DSDigestType = .sha256,
        dnskeyTTL: UInt32? = nil
    ) {
        self.validity = validity
        self.inceptionOffset = inceptionOffset
        self.jitter = jitter
        self.refreshMargin = refreshMargin
        self.refreshBatch = refreshBatch
        self.denial = denial
        self.keyRoles = keyRoles
        self.publishCDS = publishCDS
        self.cdsDigestType = cdsDigestType
        self.dnskeyTTL = dnskeyTTL
    }

    /// Problems that would make fresh signatures due at once or unusable; nil when there are none.
    public var problem: String? {
        if validity == 0 || validity > 0x7FFF_FFFF {
            return "validity of \(validity)s: it must be above 0 and below 2^31 seconds (RFC 4034 §3.1.5)"
        }
        if UInt64(jitter) + UInt64(refreshMargin) + UInt64(refreshBatch) >= UInt64(validity) {
            return "jitter (\(jitter)s) + refresh margin (\(refreshMargin)s) + refresh batch (\(refreshBatch)s) "
                + "must be less than the validity (\(validity)s), or new signatures would already be due"
        }
        if case .nsec3(let settings) = denial {
            if settings.hashAlgorithm != 1 {
                return "NSEC3 hash algorithm \(settings.hashAlgorithm): only 1 (SHA-1) is defined"
            }
            if settings.salt.count > 255 { return "NSEC3 salt of \(settings.salt.count) bytes: at most 255" }
        }
        if cdsDigestType.digestLength == nil || cdsDigestType == .sha1 {
            return "CDS digest \(cdsDigestType) cannot be published: use SHA-256 or SHA-384"
        }
        return nil
    }

    /// Signature inception for a signature made at `now`.
    public func inception(now: UInt32) -> UInt32 { now &- inceptionOffset }

    /// Signature expiration for the RRset of `type` at `owner` signed at `now`: `now + validity`
    /// minus a jitter that depends only on the owner (case-insensitively) and type.
    public func expiration(owner: DomainName, type: RecordType, now: UInt32) -> UInt32 {
        now &+ validity &- jitterOffset(owner: owner, type: type)
    }

    /// The jitter for one RRset: FNV-1a over the lowercased owner and the type, reduced to
    /// `0...jitter`. A fixed hash (not Swift's seeded `Hasher`), so it is the same in every process.
    func jitterOffset(owner: DomainName, type: RecordType) -> UInt32 {
        guard jitter > 0 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for var byte in owner.wire {
            if byte >= 0x41 && byte <= 0x5A { byte |= 0x20 }
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        hash = (hash ^ UInt64(type.rawValue >> 8)) &* 0x0000_0100_0000_01B3
        hash = (hash ^ UInt64(type.rawValue & 0xFF)) &* 0x0000_0100_0000_01B3
        return UInt32(hash % (UInt64(jitter) + 1))
    }

    /// True when a signature expiring at `expiration` must be re-made at `now` (batch included).
    func isDue(expiration: UInt32, now: UInt32) -> Bool {
        // Serial-number arithmetic (RFC 4034 §3.1.5): the remaining time as a signed distance.
        let remaining = Int64(Int32(bitPattern: expiration &- now))
        return remaining < Int64(refreshMargin) + Int64(refreshBatch)
    }

    var nsec3Settings: NSEC3Settings? {
        if case .nsec3(let settings) = denial { return settings }
        return nil
    }
}
