/// The window/bitmap list of types present at a name (RFC 4034 §4.1.2), shared by NSEC and NSEC3.
public struct TypeBitmap: Sendable, Hashable {
    /// Sorted, without duplicates.
    public private(set) var types: [RecordType]

    public init<Types: Sequence<RecordType>>(_ types: Types) {
        self.types = Array(Set(types)).sorted()
    }

    public func contains(_ type: RecordType) -> Bool { types.contains(type) }

    public init(wire reader: inout WireReader, owner: RecordType) throws(WireError) {
        var types: [RecordType] = []
        var lastWindow = -1
        while !reader.isAtEnd {
            let window = Int(try reader.readUInt8("\(owner) window number"))
            let length = Int(try reader.readUInt8("\(owner) bitmap length"))
            guard window > lastWindow else {
                throw .invalidValue(type: owner, field: "type bitmap", reason: "window \(window) out of order")
            }
            guard (1...32).contains(length) else {
                throw .invalidValue(type: owner, field: "type bitmap", reason: "window length \(length) not in 1...32")
            }
            let bits = try reader.readBytes(length, "\(owner) bitmap")
            for (i, byte) in bits.enumerated() where byte != 0 {
                for bit in 0..<8 where byte & (0x80 >> UInt8(bit)) != 0 {
                    types.append(RecordType(UInt16(window << 8 | (i * 8 + bit))))
                }
            }
            lastWindow = window
        }
        self.types = types
    }

    public func encode(to writer: inout WireWriter) {
        var index = 0
        while index < types.count {
            let window = types[index].rawValue >> 8
            var bits = [UInt8](repeating: 0, count: 32)
            var used = 0
            while index < types.count && types[index].rawValue >> 8 == window {
                let low = Int(types[index].rawValue & 0xFF)
                bits[low / 8] |= 0x80 >> UInt8(low % 8)
                used = low / 8 + 1
                index += 1
            }
            writer.write(UInt8(window))
            writer.write(UInt8(used))
            writer.write(bytes: bits[0..<used])
        }
    }

    /// Parses the remaining mnemonics (`A NS RRSIG TYPE65534`).
    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        var types: [RecordType] = []
        while !parser.isAtEnd {
            let token = try parser.next("type list")
            guard let type = RecordType(mnemonic: token.string) else {
                throw parser.invalid("type list", "unknown type \"\(token.string)\"", at: token)
            }
            types.append(type)
        }
        self.init(types)
    }

    public var presentation: String { types.map(\.description).joined(separator: " ") }
}
