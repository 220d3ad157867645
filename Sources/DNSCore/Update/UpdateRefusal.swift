/// Why an UPDATE (RFC 2136) was not applied: the RCODE the client gets and the reason the log gets.
/// A refused update has changed nothing.
public struct UpdateRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public var rcode: RCode
    public var reason: String
    /// The record involved, in nsupdate's form, when there is one.
    public var record: UpdateRecord?

    public init(_ rcode: RCode, _ reason: String, record: UpdateRecord? = nil) {
        self.rcode = rcode
        self.reason = reason
        self.record = record
    }

    public var description: String {
        "\(rcode): " + (record.map { "'\($0)': " } ?? "") + reason
    }
}
