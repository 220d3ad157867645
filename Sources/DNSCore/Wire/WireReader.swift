/// A bounds-checked cursor over hostile bytes.
///
/// `limit` is the end of the region being decoded (the message, or one record's RDATA), so a record can
/// never read into its neighbour; names may still follow compression pointers anywhere before them.
public struct WireReader: Sendable {
    public let bytes: [UInt8]
    public var offset: Int
    public var limit: Int

    /// Real names need at most 127 labels; more pointer hops than that can only be a loop or an attack.
    static let maxPointerHops = 127

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
        self.limit = bytes.count
    }

    public var remaining: Int { limit - offset }
    public var isAtEnd: Bool { offset >= limit }

    @inline(__always)
    func need(_ count: Int, _ field: @autoclosure () -> String) throws(WireError) {
        if count > limit - offset {
            throw .truncated(field: field(), offset: offset, needed: count, available: max(0, limit - offset))
        }
    }

    public mutating func readUInt8(_ field: @autoclosure () -> String = "octet") throws(WireError) -> UInt8 {
        try need(1, field())
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func readUInt16(_ field: @autoclosure () -> String = "16-bit field") throws(WireError) -> UInt16 {
        try need(2, field())
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func readUInt32(_ field: @autoclosure () -> String = "32-bit field") throws(WireError) -> UInt32 {
        try need(4, field())
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    /// 48-bit unsigned (TSIG and RRSIG-style time fields).
    public mutating func readUInt48(_ field: @autoclosure () -> String = "48-bit field") throws(WireError) -> UInt64 {
        try need(6, field())
        var value: UInt64 = 0
        for k in 0..<6 { value = value << 8 | UInt64(bytes[offset + k]) }
        offset += 6
        return value
    }

    public mutating func readBytes(_ count: Int, _ field: @autoclosure () -> String = "bytes") throws(WireError) -> [UInt8] {
        try need(count, field())
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// Everything up to `limit`.
    public mutating func readRest() -> [UInt8] {
        defer { offset = limit }
        return Array(bytes[offset..<limit])
    }

    /// A `<character-string>`: one length octet and that many bytes.
    public mutating func readCharacterString(_ field: @autoclosure () -> String = "character-string") throws(WireError) -> [UInt8] {
        let length = Int(try readUInt8(field()))
        return try readBytes(length, field())
    }

    /// Reads a possibly compressed name. Pointers must point strictly before the pointer itself, at most
    /// `maxPointerHops` of them, and the expanded name must fit in 255 bytes; the cursor ends after the
    /// name's first pointer (or its root label).
    public mutating func readName() throws(WireError) -> DomainName {
        var result: [UInt8] = []
        result.reserveCapacity(32)
        var position = offset
        var regionEnd = limit
        var hops = 0
        var resumeAt: Int? = nil
        let start = offset
        while true {
            guard position < regionEnd else {
                throw .truncated(field: "name", offset: position, needed: 1, available: 0)
            }
            let length = bytes[position]
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    result.append(0)
                    offset = resumeAt ?? (position + 1)
                    return DomainName(trustedWire: result)
                }
                let count = Int(length)
                guard position + 1 + count <= regionEnd else {
                    throw .truncated(field: "label", offset: position, needed: count + 1, available: regionEnd - position)
                }
                guard result.count + count + 2 <= DomainName.maxLength else { throw .nameTooLong(offset: start) }
                result.append(contentsOf: bytes[position..<(position + 1 + count)])
                position += 1 + count
            case 0xC0:
                guard position + 1 < regionEnd else {
                    throw .truncated(field: "compression pointer", offset: position, needed: 2, available: regionEnd - position)
                }
                let target = Int(length & 0x3F) << 8 | Int(bytes[position + 1])
                guard target < position else { throw .forwardPointer(offset: position, target: target) }
                hops += 1
                guard hops <= WireReader.maxPointerHops else { throw .tooManyPointers(offset: start) }
                if resumeAt == nil { resumeAt = position + 2 }
                position = target
                // Pointed-to data lies earlier in the message; the record's own limit no longer bounds it.
                regionEnd = bytes.count
            default:
                throw .badLabelType(offset: position)
            }
        }
    }

    /// Runs `body` with `limit` narrowed to the next `length` bytes and checks it consumed them all.
    public mutating func withinRegion<T>(
        length: Int, type: RecordType, _ body: (inout WireReader) throws(WireError) -> T
    ) throws(WireError) -> T {
        try need(length, "\(type) RDATA")
        let savedLimit = limit
        let start = offset
        limit = offset + length
        let value = try body(&self)
        guard offset == limit else {
            throw .rdataLength(type: type, offset: start, declared: length, consumed: offset - start)
        }
        limit = savedLimit
        return value
    }
}
