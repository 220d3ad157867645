import DNSCore

/// What a zone's worker keeps in memory between cycles.
///
/// The working copy — the unsigned and signed `Zone` values an incremental change starts from — is the
/// largest thing a worker holds: for a zone of a few dozen records it is several times the served
/// snapshot, and with ten thousand such zones it was most of the signer's memory. So a small zone's
/// working copy is let go when its cycle ends and read back from the store (a few rows, about a
/// millisecond) when a change, a re-signing or a key step needs it; polls that find nothing new never
/// need it. A large zone keeps it: reading 100k names back would cost more than the change itself.
/// Between cycles every zone keeps only what polls and deadlines need: `publishedFacts`, the TTL facts
/// of the key lifecycle, and `state`.
extension ZoneWorker {
    /// Zones with fewer RRsets than this (signatures and denial records included) let their working
    /// copy go between cycles.
    static let residentRRsets = 2_000

    /// Whether a version has been published (stored and served), resident or not.
    var hasPublished: Bool { publishedFacts != nil }

    /// Reads the published version from the store into `current` when it was let go. Throws when the
    /// store or the keys cannot be read; nil when nothing was ever published.
    func loadPublished() throws -> (current: ZoneUpdate.Current, keys: ZoneKeys)? {
        guard let stored = try store.published(zone: origin.text) else { return nil }
        let keys = try zoneKeys()
        let signed = keys.isInsecure ? SignedZone(insecure: stored.signed, now: UInt32(truncatingIfNeeded: now()))
            : SignedZone(restoring: stored.signed, keys: try keys.keySet(), policy: config.signingPolicy)
        return (ZoneUpdate.Current(unsigned: stored.unsigned, signed: signed), keys)
    }

    /// Makes `current` the published version again if it was let go (a failure leaves it nil, and the
    /// caller treats the zone as having nothing to start from, as before its first version).
    func ensureCurrent() {
        guard current == nil, hasPublished else { return }
        do {
            current = try loadPublished()?.current
        } catch {
            logger.error("cannot read the published version back", metadata: meta(["reason": "\(error)"]))
        }
    }

    /// At the end of a cycle: a small zone lets its working copy go (keeping the TTL facts the key
    /// lifecycle's deadlines are computed from).
    func releaseCurrentIfSmall() {
        guard let current, current.signed.zone.nameCount < Self.residentRRsets / 4,
              current.signed.zone.rrsetCount < Self.residentRRsets
        else { return }
        if ttlFacts == nil { ttlFacts = ZoneTTLFacts(zone: current.signed.zone) }
        self.current = nil
        lastRecords = nil
    }

    /// The published zone's TTL facts, computed once per version.
    func publishedTTLFacts() -> ZoneTTLFacts? {
        if ttlFacts == nil, let current { ttlFacts = ZoneTTLFacts(zone: current.signed.zone) }
        return ttlFacts
    }
}
