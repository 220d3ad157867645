/// A message with its TSIG record appended, and the MAC in it: a client keeps the request's MAC to
/// verify the response; a transfer keeps each MAC as the next message's prior MAC.
public struct TSIGSignedMessage: Sendable, Hashable {
    public var bytes: [UInt8]
    /// Empty for the unsigned error TSIG of a BADKEY or BADSIG response.
    public var mac: [UInt8]
}
