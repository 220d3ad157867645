/// Why bytes from the wire could not be decoded. Every case says where (byte offset) and what.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than a field needs.
    case truncated(field: String, offset: Int, needed: Int, available: Int)
    /// Label type bits 01 or 10 (RFC 6891 retired them).
    case badLabelType(offset: Int)
    /// A compression pointer that does not point strictly backwards.
    case forwardPointer(offset: Int, target: Int)
    /// More compression pointers in one name than any real name needs.
    case tooManyPointers(offset: Int)
    case nameTooLong(offset: Int)
    /// A record's RDATA was not consumed exactly by its type's decoder.
    case rdataLength(type: RecordType, offset: Int, declared: Int, consumed: Int)
    /// Bytes left over after the last record the header announced.
    case trailingBytes(offset: Int, count: Int)
    /// A field holds a value its type does not allow.
    case invalidValue(type: RecordType, field: String, reason: String)
    /// Structural problems in a message: OPT/TSIG placement and the like.
    case malformedMessage(String)

    public var description: String {
        switch self {
        case let .truncated(field, offset, needed, available):
            "truncated \(field) at byte \(offset): needs \(needed) bytes, \(available) left"
        case let .badLabelType(offset): "unsupported label type at byte \(offset)"
        case let .forwardPointer(offset, target):
            "compression pointer at byte \(offset) points forward to \(target)"
        case let .tooManyPointers(offset): "too many compression pointers in the name at byte \(offset)"
        case let .nameTooLong(offset): "name at byte \(offset) is longer than 255 bytes"
        case let .rdataLength(type, offset, declared, consumed):
            "\(type) RDATA at byte \(offset) declares \(declared) bytes but its fields take \(consumed)"
        case let .trailingBytes(offset, count): "\(count) trailing bytes after the message at byte \(offset)"
        case let .invalidValue(type, field, reason): "\(type) \(field): \(reason)"
        case let .malformedMessage(reason): "malformed message: \(reason)"
        }
    }
}
