import DNSCore

/// What a key is for: a KSK signs the key RRsets and is what the parent's DS points at, a ZSK signs
/// the rest, a CSK does both.
enum KeyRole: String, Codable, Sendable, CaseIterable {
    case ksk, zsk, csk

    var signsKeys: Bool { self != .zsk }
    var signsZone: Bool { self != .ksk }
    /// 257 (SEP bit) for KSKs and CSKs, 256 for ZSKs.
    var flags: UInt16 { self == .zsk ? SigningKey.zoneSigningFlags : SigningKey.keySigningFlags }
    var label: String { rawValue.uppercased() }

    /// The roles of a zone's key set: one CSK, or a KSK and a ZSK.
    static func set(csk: Bool) -> [KeyRole] { csk ? [.csk] : [.ksk, .zsk] }
}

/// Where a key stands in its life (RFC 7583 §3.1's states, named for operators). Each state fixes
/// what the key does in the zone (`usage(for:)`); a rollover moves keys from state to state.
enum KeyState: String, Codable, Sendable, CaseIterable {
    /// Signs (by its role) without being published: an algorithm rollover's new key, so every cache
    /// holds signatures of the new algorithm before its DNSKEY appears (RFC 6781 §4.1.4).
    case preSigning = "pre-signing"
    /// Published ahead of use (ZSK pre-publish), or beside the old KSK (double-KSK), signing the
    /// DNSKEY RRset when it is a KSK or CSK.
    case prePublished = "pre-published"
    /// Published and signing by its role, not yet in CDS (an algorithm rollover after pre-signing).
    case ready
    /// In full use and in CDS, waiting for the parent to publish its DS.
    case submitted
    /// In full use; the parent's DS points at it (KSK, CSK).
    case active
    /// Still published (a KSK or CSK still signing the DNSKEY RRset) while caches forget it or the
    /// parent's DS moves away from it.
    case retiring
    /// Leaving in an algorithm rollover: published and signing, out of CDS.
    case leaving
    /// Unpublished but still signing (an algorithm rollover's old keys, until caches drop their DNSKEY).
    case withdrawn
    /// Active while CDS/CDNSKEY DELETE asks the parent to remove the DS (going insecure).
    case deleting
    /// Gone from the zone; kept in the store for the record.
    case removed

    func usage(for role: KeyRole) -> KeyUsage {
        switch self {
        case .preSigning: KeyUsage(published: false, signsKeys: role.signsKeys, signsZone: role.signsZone, inCDS: false)
        case .prePublished: KeyUsage(published: true, signsKeys: role.signsKeys, signsZone: false, inCDS: false)
        case .ready, .leaving, .deleting: KeyUsage(published: true, signsKeys: role.signsKeys, signsZone: role.signsZone, inCDS: false)
        case .submitted, .active: KeyUsage(published: true, signsKeys: role.signsKeys, signsZone: role.signsZone, inCDS: role.signsKeys)
        case .retiring: KeyUsage(published: true, signsKeys: role.signsKeys, signsZone: false, inCDS: false)
        case .withdrawn: KeyUsage(published: false, signsKeys: role.signsKeys, signsZone: role.signsZone, inCDS: false)
        case .removed: .none
        }
    }
}

/// One key of a zone as the lifecycle tracks it: identity, role, state, and the times that matter.
/// The private half stays in the store's `keys` table; this is what `keys status` shows.
struct ManagedKey: Codable, Sendable, Equatable {
    var tag: UInt16
    var algorithm: UInt8
    var role: KeyRole
    var state: KeyState
    /// When it entered `state` (unix seconds).
    var since: Int64
    var created: Int64
    /// When it started signing in full: its lifetime counts from here.
    var activeSince: Int64?

    var usage: KeyUsage { state.usage(for: role) }
    var isLive: Bool { state != .removed }
    var algorithmName: String { DNSSECAlgorithm(algorithm).mnemonic }
    var summary: String { "\(role.label) \(tag) (\(algorithmName))" }
}
