/// NSEC: the next owner name in canonical order and the types at this one (RFC 4034 §4.1).
///
/// ```
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// /                      Next Domain Name                         /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// /                       Type Bit Maps                           /
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
/// The next name is never compressed and, per RFC 6840 §5.1, not lowercased for the canonical form
/// (we always generate it lowercased).
public struct NSEC: RDataType {
    public static let recordType = RecordType.NSEC
    public var nextName: DomainName
    public var types: TypeBitmap

    public init(nextName: DomainName, types: TypeBitmap) {
        self.nextName = nextName
        self.types = types
    }

    public init(wire reader: inout WireReader) throws(WireError) {
        nextName = try reader.readName()
        types = try TypeBitmap(wire: &reader, owner: .NSEC)
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        writer.write(nextName)
        types.encode(to: &writer)
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        nextName = try parser.name("next domain name")
        types = try TypeBitmap(presentation: &parser)
    }

    public var presentation: String {
        types.types.isEmpty ? nextName.text : "\(nextName) \(types.presentation)"
    }

    public var rdata: RData { .nsec(self) }
}
