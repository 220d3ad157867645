/// A response code, the full 12-bit value (RFC 6891 §6.1.3): the low 4 bits travel in the header, the
/// high 8 in the OPT record. TSIG's 16-bit error field (RFC 8945) uses the same registry, hence `UInt16`.
///
/// Open like `RecordType`: unknown values are kept and print as `RCODE4000`.
public struct RCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// Joins the header's 4 bits and the OPT record's 8 extended bits.
    public init(headerBits: UInt8, extendedBits: UInt8) {
        rawValue = UInt16(extendedBits) << 4 | UInt16(headerBits & 0x0F)
    }

    /// The low 4 bits, written in the header.
    public var headerBits: UInt8 { UInt8(rawValue & 0x0F) }
    /// Bits 4–11, written in the OPT record's TTL; non-zero means the code needs EDNS to be sent.
    public var extendedBits: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 4) }

    public static let NOERROR = RCode(0)
    public static let FORMERR = RCode(1)
    public static let SERVFAIL = RCode(2)
    public static let NXDOMAIN = RCode(3)
    public static let NOTIMP = RCode(4)
    public static let REFUSED = RCode(5)
    public static let YXDOMAIN = RCode(6)
    public static let YXRRSET = RCode(7)
    public static let NXRRSET = RCode(8)
    public static let NOTAUTH = RCode(9)
    public static let NOTZONE = RCode(10)
    public static let DSOTYPENI = RCode(11)
    /// 16 in a message's RCODE (RFC 6891); the same number is BADSIG in a TSIG error field (RFC 8945).
    public static let BADVERS = RCode(16)
    public static let BADSIG = RCode(16)
    public static let BADKEY = RCode(17)
    public static let BADTIME = RCode(18)
    public static let BADMODE = RCode(19)
    public static let BADNAME = RCode(20)
    public static let BADALG = RCode(21)
    public static let BADTRUNC = RCode(22)
    public static let BADCOOKIE = RCode(23)

    static let mnemonics: [UInt16: String] = [
        0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN",
        7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE", 11: "DSOTYPENI", 16: "BADVERS", 17: "BADKEY",
        18: "BADTIME", 19: "BADMODE", 20: "BADNAME", 21: "BADALG", 22: "BADTRUNC", 23: "BADCOOKIE",
    ]

    /// The mnemonic `dig` prints (`NXDOMAIN`); 16 reads `BADVERS`, its meaning in a message header.
    public var description: String { RCode.mnemonics[rawValue] ?? "RCODE\(rawValue)" }

    /// The TSIG reading of the code, where 16 means BADSIG (RFC 8945 §5.3).
    public var tsigDescription: String { rawValue == 16 ? "BADSIG" : description }
}
