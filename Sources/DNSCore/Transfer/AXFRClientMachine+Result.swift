extension AXFRClientMachine {
    /// A complete, checked zone transfer.
    public struct Result: Sendable, Hashable {
        public let zone: DomainName
        public let dnsClass: DNSClass
        /// Every record in the order received, the opening SOA first; the closing SOA is not repeated.
        public let records: [ResourceRecord]
        /// The zone's SOA (opening and closing).
        public let soa: SOA
        /// The serial the SOA query returned just before (nil without it). It can be older than `serial`
        /// when the zone changed in between.
        public let queriedSerial: SerialNumber?
        public let messageCount: Int
        public let byteCount: Int
        /// From `.start` (the driver passes the moment it began connecting) to the closing SOA.
        public let duration: Duration
        /// True when every message was checked against a TSIG key.
        public let verifiedWithTSIG: Bool
        /// See `AXFRClientMachine.contentDigest`.
        public let contentHash: [UInt8]

        public var serial: SerialNumber { soa.serial }

        /// The records as a `Zone` (RRsets grouped and canonically ordered).
        public func makeZone() -> Zone { Zone(records: records, origin: zone, dnsClass: dnsClass) }
    }

    /// Counts records per RRset; RRSIGs count per covered type, as a zone stores them.
    struct RRsetKey: Hashable, Sendable {
        var name: DomainName
        var type: RecordType
        var covered: RecordType?
    }
}
