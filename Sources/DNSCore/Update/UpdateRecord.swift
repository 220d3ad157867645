/// One record of an UPDATE message's prerequisite or update section (RFC 2136 §2.4, §2.5).
///
/// Not a `ResourceRecord`: in these sections the class and an empty RDATA carry the meaning (class ANY
/// with no RDATA is "RRset exists" or "delete the RRset", class NONE is "does not exist" or "delete this
/// record"), and an empty RDATA is no valid value of most types.
public struct UpdateRecord: Sendable, Hashable, CustomStringConvertible {
    public var name: DomainName
    public var type: RecordType
    public var dnsClass: DNSClass
    public var ttl: UInt32
    /// Nil when RDLENGTH was 0.
    public var rdata: RData?

    public init(name: DomainName, type: RecordType, dnsClass: DNSClass, ttl: UInt32, rdata: RData? = nil) {
        self.name = name
        self.type = type
        self.dnsClass = dnsClass
        self.ttl = ttl
        self.rdata = rdata
    }

    /// The record as a zone holds it (class IN), when it has data.
    public func record(dnsClass zoneClass: DNSClass) -> ResourceRecord? {
        rdata.map { ResourceRecord(name: name, dnsClass: zoneClass, ttl: ttl, rdata: $0) }
    }

    /// `www.example.com. 300 IN A 192.0.2.1`, or `www.example.com. 0 ANY A` without data: as nsupdate
    /// shows it, for logs and refusals.
    public var description: String {
        "\(name.text) \(ttl) \(dnsClass) \(type)" + (rdata.map { " \($0.presentation)" } ?? "")
    }
}
