/// Judges and applies one UPDATE (RFC 2136 §3) to a zone, in memory. Pure: the caller reads the zone
/// under its write lock, calls `evaluate`, and commits the result (or nothing) in the same transaction,
/// so prerequisites and changes see one consistent zone (§3.7).
///
/// Order, as §3 sets it: the zone section (§3.1), the prerequisites (§3.2, first failing one wins), a
/// prescan of every change (§3.4.1: a bad one refuses the whole update before anything changes), then the
/// changes in order (§3.4.2). Permissions (§3.3) are the caller's: it knows the requester.
///
/// Where RFC 2136 says to ignore a change silently, it is ignored: an SOA whose serial is not newer, a
/// CNAME beside other data (or data beside a CNAME), deleting the apex SOA or NS RRset, the last apex NS.
/// ALIAS is treated as CNAME is, one per name: adding an ALIAS where one exists replaces it. An added
/// record whose TTL differs from its RRset's gives the whole RRset the new TTL (RFC 2181 §5.2; BIND does
/// the same). The zone that results is checked by the caller with the zone's usual checks.
public enum UpdateEvaluator {
    /// The zone an update is for, from its zone section: exactly one entry, of type SOA (§3.1.1).
    public static func zoneName(of message: UpdateMessage) throws(UpdateRefusal) -> DomainName {
        guard message.zones.count == 1, let zone = message.zone else {
            throw UpdateRefusal(.FORMERR, "the zone section holds \(message.zones.count) entries, not one (RFC 2136 §3.1.1)")
        }
        guard zone.type == .SOA else {
            throw UpdateRefusal(.FORMERR, "the zone section asks type \(zone.type), not SOA (RFC 2136 §3.1.1)")
        }
        return zone.name
    }

    /// Checks `message` against `zone` and applies its changes to it. Throws the refusal (the zone is
    /// then to be discarded); returns whether anything changed.
    @discardableResult
    public static func evaluate(_ message: UpdateMessage, zone: inout Zone) throws(UpdateRefusal) -> Bool {
        let name = try zoneName(of: message)
        guard name == zone.origin else {
            throw UpdateRefusal(.NOTAUTH, "the update names \(name.text), this zone is \(zone.origin.text)")
        }
        guard message.zone!.dnsClass == zone.dnsClass else {
            throw UpdateRefusal(.NOTAUTH, "the update is for class \(message.zone!.dnsClass), the zone is \(zone.dnsClass)")
        }
        try checkPrerequisites(message.prerequisites, in: zone)
        let changes = try prescan(message.updates, zone: zone)
        let before = zone
        for change in changes { apply(change, to: &zone) }
        return zone != before
    }

    /// Record data as sent, or the empty value of its type when RDLENGTH was 0 and the type allows it.
    static func data(of record: UpdateRecord) -> RData? {
        if let rdata = record.rdata { return rdata }
        var reader = WireReader([])
        return try? RData.decode(type: record.type, length: 0, from: &reader)
    }

    /// Question-only types (AXFR, IXFR, ANY, MAILA, MAILB, OPT, TSIG, …) are no data (RFC 6895 §3.1).
    static func isMeta(_ type: RecordType) -> Bool { type.isMeta }
}
