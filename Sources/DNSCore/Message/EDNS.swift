/// The EDNS(0) information a message carries in its OPT pseudo-record (RFC 6891 §6.1).
///
/// The extended RCODE bits are deliberately not stored here: `Message.rcode` holds the full 12-bit code
/// and the encoder splits it between the header and the OPT record, so a message can never carry two
/// disagreeing codes. `RCode.extendedBits` gives the byte that travels in the OPT TTL.
/// The reserved Z flag bits are ignored on receipt and sent as zero (RFC 6891 §6.1.4).
public struct EDNS: Sendable, Hashable {
    public typealias Option = OPT.Option

    /// The largest UDP payload the sender can reassemble (the OPT record's CLASS). Kept as received;
    /// RFC 6891 §6.2.5 says values below 512 are to be treated as 512, which is the reader's business.
    public var udpPayloadSize: UInt16
    public var version: UInt8
    /// The DO bit (RFC 3225): the sender wants DNSSEC records.
    public var dnssecOK: Bool
    /// Options in the order they appear on the wire; unknown codes are kept byte for byte.
    public var options: [Option]

    /// 1232 bytes: the size the 2020 DNS flag day settled on to avoid IP fragmentation.
    public static let defaultPayloadSize: UInt16 = 1232

    public init(udpPayloadSize: UInt16 = EDNS.defaultPayloadSize, version: UInt8 = 0, dnssecOK: Bool = false,
                options: [Option] = []) {
        self.udpPayloadSize = udpPayloadSize
        self.version = version
        self.dnssecOK = dnssecOK
        self.options = options
    }

    /// The data of the first option with `code`, if any (e.g. `OPT.Option.cookie`).
    public func option(_ code: UInt16) -> [UInt8]? {
        options.first { $0.code == code }?.data
    }
}
