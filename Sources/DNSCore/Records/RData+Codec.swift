extension RData {
    /// Decodes RDATA of `type` occupying the next `length` bytes of `reader`; the whole region must be
    /// consumed. Unknown types are kept as bytes.
    public static func decode(type: RecordType, length: Int, from reader: inout WireReader) throws(WireError) -> RData {
        try reader.withinRegion(length: length, type: type) { (r: inout WireReader) throws(WireError) -> RData in
            guard let known = knownTypes[type.rawValue] else {
                return .unknown(UnknownRData(type: type, bytes: r.readRest()))
            }
            return try decodeKnown(known, from: &r)
        }
    }

    private static func decodeKnown<T: RDataType>(_ type: T.Type, from reader: inout WireReader) throws(WireError) -> RData {
        try T(wire: &reader).rdata
    }

    public func encode(to writer: inout WireWriter, canonical: Bool = false) {
        if case .unknown(let u) = self {
            writer.write(bytes: u.bytes)
        } else {
            value!.encode(to: &writer, canonical: canonical)
        }
    }

    /// RDATA bytes alone, uncompressed; canonical form on request (RFC 4034 §6.2).
    public func wireBytes(canonical: Bool = false) -> [UInt8] {
        var writer = WireWriter(compress: false, capacity: 64)
        encode(to: &writer, canonical: canonical)
        return writer.bytes
    }

    /// Parses presentation RDATA for `type`. The RFC 3597 generic form `\# len hex` is accepted for every
    /// type; for known types it is decoded so the value is the same however it was written.
    public static func parse(type: RecordType, parser: inout RDataParser) throws(ZoneFileError) -> RData {
        if let first = parser.peek(), !first.quoted, first.text.elementsEqual("\\#".utf8) {
            _ = try parser.next("generic RDATA marker")
            let bytes = try UnknownRData.parseGeneric(&parser)
            guard knownTypes[type.rawValue] != nil else { return .unknown(UnknownRData(type: type, bytes: bytes)) }
            var reader = WireReader(bytes)
            do {
                return try decode(type: type, length: bytes.count, from: &reader)
            } catch {
                throw parser.invalid("generic RDATA", "not valid \(type) data: \(error)", at: first)
            }
        }
        guard let known = knownTypes[type.rawValue] else {
            throw parser.error("has no presentation format here; write it as \\# <length> <hex> (RFC 3597)", at: parser.peek())
        }
        let rdata = try parseKnown(known, parser: &parser)
        // Only long texts can reach RDLENGTH's limit; measure just those.
        if parser.tokens.reduce(0, { $0 + $1.text.count }) > 16_000, rdata.wireBytes().count > Int(UInt16.max) {
            throw parser.error("RDATA is longer than 65535 bytes", at: parser.tokens.first)
        }
        return rdata
    }

    private static func parseKnown<T: RDataType>(_ type: T.Type, parser: inout RDataParser) throws(ZoneFileError) -> RData {
        try T(presentation: &parser).rdata
    }

    public var presentation: String {
        if case .unknown(let u) = self { return u.presentation }
        return value!.presentation
    }
}
