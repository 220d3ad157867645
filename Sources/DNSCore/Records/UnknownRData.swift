/// RDATA of a type this build does not know, kept as opaque bytes so it survives any round trip
/// (RFC 3597). Presentation: `\# <length> <hex>`.
public struct UnknownRData: Sendable, Hashable {
    public var type: RecordType
    public var bytes: [UInt8]

    public init(type: RecordType, bytes: [UInt8]) {
        self.type = type
        self.bytes = bytes
    }

    public var presentation: String {
        bytes.isEmpty ? "\\# 0" : "\\# \(bytes.count) \(Base16.encode(bytes))"
    }

    /// Parses the generic form `\# length hex...` (the caller has seen the `\#` token).
    static func parseGeneric(_ parser: inout RDataParser) throws(ZoneFileError) -> [UInt8] {
        let lengthToken = parser.peek()
        let length: UInt16 = try parser.uint16("generic RDATA length")
        let bytes = try parser.hexRest("generic RDATA", allowEmpty: length == 0)
        guard bytes.count == Int(length) else {
            throw parser.invalid(
                "generic RDATA", "\\# declares \(length) bytes but \(bytes.count) follow", at: lengthToken)
        }
        return bytes
    }
}
