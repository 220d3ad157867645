/// One entry of the question section: what is being asked (RFC 1035 §4.1.2).
public struct Question: Sendable, Hashable, CustomStringConvertible {
    public var name: DomainName
    public var type: RecordType
    public var dnsClass: DNSClass

    public init(name: DomainName, type: RecordType, dnsClass: DNSClass = .IN) {
        self.name = name
        self.type = type
        self.dnsClass = dnsClass
    }

    /// `name CLASS TYPE`, as `dig` prints the question.
    public var description: String { "\(name.text)\t\(dnsClass)\t\(type)" }
}
