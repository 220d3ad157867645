/// Prints a zone as a master file in a stable order: the apex SOA first, then every RRset in canonical
/// order (names per RFC 4034 §6.1, then type code, RDATA canonically). One record per line,
/// `name TTL CLASS TYPE RDATA`, absolute names and no directives, so the output needs no context, diffs
/// cleanly, and `named-checkzone` and `kzonecheck` read it.
public struct ZoneFileWriter: Sendable {
    /// Types written in the RFC 3597 generic form (`TYPE65401 \# 6 ...`): for private types such as
    /// ALIAS that other software cannot parse by mnemonic.
    public var genericTypes: Set<RecordType>
    /// A leading comment naming the zone and its serial.
    public var header: Bool

    public init(genericTypes: Set<RecordType> = [], header: Bool = true) {
        self.genericTypes = genericTypes
        self.header = header
    }

    /// For files other DNS software must read: ALIAS is PowerDNS-specific, so it goes out generically.
    public static let portable = ZoneFileWriter(genericTypes: [.ALIAS])

    public func write(_ zone: Zone) -> String {
        var out = ""
        out.reserveCapacity(zone.nameCount * 48)
        if header {
            out += "; zone \(zone.origin.text) class \(zone.dnsClass)"
            if let serial = zone.serial { out += " serial \(serial)" }
            out += "\n"
        }
        let soa = zone.rrset(at: zone.origin, type: .SOA)
        if let soa { append(soa, to: &out) }
        for name in zone.sortedNames {
            let isApex = name == zone.origin
            for rrset in zone.nodes[name]! where !(isApex && rrset.type == .SOA) {
                append(rrset, to: &out)
            }
        }
        return out
    }

    func append(_ rrset: RRset, to out: inout String) {
        let prefix = "\(rrset.name.text)\t\(rrset.ttl)\t\(rrset.dnsClass)\t"
        let generic = genericTypes.contains(rrset.type)
        for rdata in rrset.rdatas {
            out += prefix
            if generic {
                out += "TYPE\(rrset.type.rawValue)\t"
                out += UnknownRData(type: rrset.type, bytes: rdata.wireBytes()).presentation
            } else {
                out += "\(rrset.type)\t"
                out += rdata.presentation
            }
            out += "\n"
        }
    }

    /// One record as a line (without the newline).
    public func line(for record: ResourceRecord) -> String {
        var out = ""
        append(RRset(record), to: &out)
        out.removeLast()
        return out
    }
}
