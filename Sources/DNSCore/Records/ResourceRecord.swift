/// One resource record: owner, type, class, TTL and RDATA.
public struct ResourceRecord: Sendable, Hashable, CustomStringConvertible {
    public var name: DomainName
    public var dnsClass: DNSClass
    public var ttl: UInt32
    public var rdata: RData

    public init(name: DomainName, dnsClass: DNSClass = .IN, ttl: UInt32, rdata: RData) {
        self.name = name
        self.dnsClass = dnsClass
        self.ttl = ttl
        self.rdata = rdata
    }

    public var type: RecordType { rdata.type }

    /// `name TTL CLASS TYPE RDATA`, one line, absolute names: what a zone file or `dig` prints.
    public var description: String { "\(name.text)\t\(ttl)\t\(dnsClass)\t\(type)\t\(rdata.presentation)" }
}
