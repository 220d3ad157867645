/// A message OPCODE (RFC 1035 §4.1.1, RFC 6895 §2.2). Open: any 4-bit value is carried through, and
/// unknown ones print as `OPCODE7`. Only the low 4 bits reach the wire.
public struct Opcode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    public static let QUERY = Opcode(0)
    public static let IQUERY = Opcode(1)
    public static let STATUS = Opcode(2)
    /// RFC 1996: a primary telling secondaries the zone changed.
    public static let NOTIFY = Opcode(4)
    /// RFC 2136 dynamic update.
    public static let UPDATE = Opcode(5)
    /// RFC 8490 DNS stateful operations.
    public static let DSO = Opcode(6)

    static let mnemonics: [UInt8: String] = [0: "QUERY", 1: "IQUERY", 2: "STATUS", 4: "NOTIFY", 5: "UPDATE", 6: "DSO"]

    public var description: String { Opcode.mnemonics[rawValue] ?? "OPCODE\(rawValue)" }
}
