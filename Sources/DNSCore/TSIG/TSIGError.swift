/// Why a TSIG key could not be read, or a message failed TSIG processing (RFC 8945). Each case carries
/// the key or values involved; `tsigError` and `rcode` say what a server answers for it.
public enum TSIGError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A key definition (secret, name, algorithm, `dig -y` spec or key file) that cannot be used.
    case invalidKey(String)
    /// TSIG placement or fields break the rules (not last, MAC size out of range): FORMERR.
    case malformed(String)
    /// The key name or algorithm is not one we share with the peer: BADKEY.
    case unknownKey(name: DomainName, algorithm: DomainName)
    /// The MAC does not match: BADSIG.
    case badSignature(key: DomainName)
    /// Time Signed is outside `fudge` seconds of our clock: BADTIME.
    case badTime(key: DomainName, timeSigned: UInt64, fudge: UInt16, now: UInt64)
    /// The MAC is truncated below what we accept: BADTRUNC.
    case badTruncation(key: DomainName, macLength: Int, minimum: Int)
    /// A response to a signed request carried no TSIG record.
    case unsignedResponse
    /// The response is signed with a different key or algorithm than the request.
    case keyMismatch(expected: DomainName, found: DomainName)
    /// The peer answered with a TSIG error (`serverTime` is the time it sent with BADTIME).
    case peerError(RCode, key: DomainName, serverTime: UInt64?)
    /// More than 99 unsigned messages in a row within a transfer (RFC 8945 §5.3.1).
    case tooManyUnsignedMessages(count: Int)
    /// A multi-message response ended without a signed last message.
    case transferEndedUnsigned(unsignedCount: Int)

    /// The TSIG error code a server puts in its error response (nil: none, or not a server's concern).
    public var tsigError: RCode? {
        switch self {
        case .unknownKey: .BADKEY
        case .badSignature: .BADSIG
        case .badTime: .BADTIME
        case .badTruncation: .BADTRUNC
        default: nil
        }
    }

    /// The message RCODE of the error response: FORMERR for malformed TSIG, NOTAUTH for the TSIG errors.
    public var rcode: RCode {
        switch self {
        case .malformed: .FORMERR
        default: .NOTAUTH
        }
    }

    public var description: String {
        switch self {
        case let .invalidKey(reason): "invalid TSIG key: \(reason)"
        case let .malformed(reason): "malformed TSIG: \(reason)"
        case let .unknownKey(name, algorithm): "TSIG key \(name) with algorithm \(algorithm) is not known (BADKEY)"
        case let .badSignature(key): "TSIG MAC with key \(key) does not verify (BADSIG)"
        case let .badTime(key, timeSigned, fudge, now):
            "TSIG with key \(key) was signed at \(timeSigned), \(Int64(bitPattern: now &- timeSigned)) s from our "
                + "clock (\(now)), beyond the fudge of \(fudge) s (BADTIME)"
        case let .badTruncation(key, macLength, minimum):
            "TSIG MAC with key \(key) is truncated to \(macLength) bytes, below the \(minimum) accepted (BADTRUNC)"
        case .unsignedResponse: "the response to a TSIG-signed request is not signed"
        case let .keyMismatch(expected, found): "the response is signed with key \(found), not \(expected)"
        case let .peerError(error, key, serverTime):
            "the peer rejected TSIG key \(key): \(error.tsigDescription)"
                + (serverTime.map { " (its clock reads \($0))" } ?? "")
        case let .tooManyUnsignedMessages(count):
            "\(count) unsigned messages in a row in a TSIG-signed transfer (at most 99 are allowed)"
        case let .transferEndedUnsigned(count):
            "the transfer ended with \(count) unsigned messages; the last message must be signed"
        }
    }
}
