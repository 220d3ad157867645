/// TXT: one or more character-strings (RFC 1035 §3.3.14).
///
/// ```
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// /                   TXT-DATA                    /
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// ```
/// TXT-DATA is one or more `<character-string>`s.
public struct TXT: CharacterStringsRData {
    public static let recordType = RecordType.TXT
    public var strings: [[UInt8]]
    public init(strings: [[UInt8]]) { self.strings = strings }
    public var rdata: RData { .txt(self) }
}

/// Types whose RDATA is a list of at least one character-string (TXT, SPF).
public protocol CharacterStringsRData: RDataType {
    var strings: [[UInt8]] { get }
    init(strings: [[UInt8]])
}

extension CharacterStringsRData {
    public init(wire reader: inout WireReader) throws(WireError) {
        var strings: [[UInt8]] = []
        repeat {
            strings.append(try reader.readCharacterString("\(Self.recordType) string"))
        } while !reader.isAtEnd
        self.init(strings: strings)
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        for string in strings { writer.writeCharacterString(string) }
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        var strings: [[UInt8]] = []
        repeat {
            strings.append(try parser.characterString("string"))
        } while !parser.isAtEnd
        self.init(strings: strings)
    }

    public var presentation: String { strings.map(CharacterString.quoted).joined(separator: " ") }
}

/// Printing `<character-string>`s so a zone file reads them back byte for byte.
public enum CharacterString {
    public static func quoted(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0x20...0x7E:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "\\"))
                out.append(0x30 + byte / 100)
                out.append(0x30 + (byte / 10) % 10)
                out.append(0x30 + byte % 10)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }
}
