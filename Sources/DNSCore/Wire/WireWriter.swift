/// Appends DNS wire data to a byte array, with optional name compression (RFC 1035 §4.1.4).
public struct WireWriter: Sendable {
    public var bytes: [UInt8]
    /// Lowercased name suffix → offset where it was written. Nil disables compression.
    private var compressionTable: [[UInt8]: Int]?

    public init(compress: Bool = true, capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
        compressionTable = compress ? [:] : nil
    }

    public var count: Int { bytes.count }

    public mutating func write(_ value: UInt8) { bytes.append(value) }

    public mutating func write(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    public mutating func write(_ value: UInt32) {
        bytes.append(UInt8(value >> 24))
        bytes.append(UInt8((value >> 16) & 0xFF))
        bytes.append(UInt8((value >> 8) & 0xFF))
        bytes.append(UInt8(value & 0xFF))
    }

    public mutating func writeUInt48(_ value: UInt64) {
        for shift in stride(from: 40, through: 0, by: -8) { bytes.append(UInt8((value >> UInt64(shift)) & 0xFF)) }
    }

    public mutating func write<Bytes: Sequence<UInt8>>(bytes other: Bytes) { bytes.append(contentsOf: other) }

    /// A `<character-string>`; callers guarantee at most 255 bytes (checked when the value was built).
    public mutating func writeCharacterString(_ value: [UInt8]) {
        bytes.append(UInt8(value.count))
        bytes.append(contentsOf: value)
    }

    /// Writes a name. `compress` is honoured only when this writer compresses and the RR type allows it
    /// (RFC 3597 §4: only the RFC 1035 types). `canonical` lowercases it (RFC 4034 §6.2).
    public mutating func write(_ name: DomainName, compress: Bool = false, canonical: Bool = false) {
        let wire = canonical ? DomainName.lowercase(name.wire) : name.wire
        guard compress, compressionTable != nil else {
            bytes.append(contentsOf: wire)
            return
        }
        let lowered = canonical ? wire : DomainName.lowercase(wire)
        var i = 0
        while wire[i] != 0 {
            let suffix = Array(lowered[i...])
            if let target = compressionTable![suffix] {
                bytes.append(contentsOf: wire[0..<i])
                write(UInt16(0xC000) | UInt16(target))
                rememberSuffixes(lowered, written: i)
                return
            }
            i += Int(wire[i]) + 1
        }
        let start = bytes.count
        bytes.append(contentsOf: wire)
        rememberSuffixes(lowered, written: wire.count - 1, base: start)
    }

    /// Records the offsets of the first `written` bytes' label suffixes, where they fit a 14-bit pointer.
    private mutating func rememberSuffixes(_ lowered: [UInt8], written: Int, base: Int? = nil) {
        let start = base ?? (bytes.count - 2 - written)
        var i = 0
        while i < written && lowered[i] != 0 {
            let position = start + i
            guard position < 0x4000 else { return }
            let suffix = Array(lowered[i...])
            if compressionTable![suffix] == nil { compressionTable![suffix] = position }
            i += Int(lowered[i]) + 1
        }
    }

    /// Overwrites a 16-bit value already written (RDLENGTH, counts).
    public mutating func patch(_ value: UInt16, at position: Int) {
        bytes[position] = UInt8(value >> 8)
        bytes[position + 1] = UInt8(value & 0xFF)
    }
}
