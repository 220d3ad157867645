/// What every record type implements: wire decode/encode and presentation parse/print.
///
/// Decoders get a reader whose `limit` is the end of this record's RDATA: they must check every length
/// and consume exactly the RDATA (the caller verifies). `canonical` encoding is the RFC 4034 §6.2 form
/// used for signing and ordering: no compression, names lowercased where `lowercasesNames` says so.
public protocol RDataType: Sendable, Hashable {
    static var recordType: RecordType { get }
    /// True for the types whose embedded names RFC 4034 §6.2 (as amended by RFC 6840 §5.1) lowercases.
    static var lowercasesNames: Bool { get }

    init(wire reader: inout WireReader) throws(WireError)
    func encode(to writer: inout WireWriter, canonical: Bool)

    init(presentation parser: inout RDataParser) throws(ZoneFileError)
    /// The RDATA fields in presentation format, names absolute.
    var presentation: String { get }

    /// This value wrapped in the `RData` enum.
    var rdata: RData { get }
}

extension RDataType {
    public static var lowercasesNames: Bool { false }

    /// Writes a name field: compressed only for the RFC 1035 types (`compressible`), lowercased in the
    /// canonical form when the type calls for it.
    func write(_ name: DomainName, to writer: inout WireWriter, canonical: Bool, compressible: Bool = false) {
        writer.write(name, compress: compressible && !canonical, canonical: canonical && Self.lowercasesNames)
    }
}

/// Types whose RDATA is a single domain name (NS, CNAME, DNAME, PTR, ALIAS).
public protocol SingleNameRData: RDataType {
    var target: DomainName { get }
    init(target: DomainName)
    /// Whether the name may be compressed on the wire (RFC 3597 §4: RFC 1035 types only).
    static var compressible: Bool { get }
}

extension SingleNameRData {
    public init(wire reader: inout WireReader) throws(WireError) {
        self.init(target: try reader.readName())
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        write(target, to: &writer, canonical: canonical, compressible: Self.compressible)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        self.init(target: try parser.name("target"))
        try parser.finish()
    }

    public var presentation: String { target.text }
}
