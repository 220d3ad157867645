/// A DS digest type (RFC 4034 §5.1.3 registry). Open: unknown values still round-trip in records.
public struct DSDigestType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    /// Computed only to match existing DS records; never published by us (RFC 8624 §3.3: MUST NOT).
    public static let sha1 = DSDigestType(1)
    /// RFC 4509; what registrars expect.
    public static let sha256 = DSDigestType(2)
    /// RFC 6605.
    public static let sha384 = DSDigestType(4)

    /// Digest length in bytes, for the types we compute.
    public var digestLength: Int? {
        switch rawValue {
        case 1: 20
        case 2: 32
        case 4: 48
        default: nil
        }
    }

    public var description: String {
        switch rawValue {
        case 1: "SHA-1"
        case 2: "SHA-256"
        case 3: "GOST R 34.11-94"
        case 4: "SHA-384"
        default: "digest type \(rawValue)"
        }
    }
}
