/// What one key does in a signed zone at a moment of its life (RFC 7583 §3): published in the DNSKEY
/// RRset or not, signing the key RRsets (DNSKEY, CDS, CDNSKEY) or the rest, and listed in CDS/CDNSKEY
/// (the parent should hold a DS for it).
///
/// A rollover is a sequence of these per key: a ZSK pre-published before it signs, a KSK that signs the
/// DNSKEY RRset beside the old one until the parent's DS moves, a new algorithm signing before its keys
/// are published (RFC 6781 §4.1.4). Keeping the four apart is what lets each step change one thing.
public struct KeyUsage: Sendable, Hashable, Codable {
    public var published: Bool
    public var signsKeys: Bool
    public var signsZone: Bool
    public var inCDS: Bool

    public init(published: Bool, signsKeys: Bool, signsZone: Bool, inCDS: Bool) {
        self.published = published
        self.signsKeys = signsKeys
        self.signsZone = signsZone
        self.inCDS = inCDS
    }

    /// A key that does nothing (removed from the zone).
    public static let none = KeyUsage(published: false, signsKeys: false, signsZone: false, inCDS: false)

    /// Whether the key takes any part in the zone.
    public var isUsed: Bool { published || signsKeys || signsZone || inCDS }
}
