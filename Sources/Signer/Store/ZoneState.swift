/// What the daemon knows about a zone between polls, stored so a restart and `zone status` see it.
/// Times are seconds since 1970; nil means "not yet".
struct ZoneState: Sendable, Equatable, Codable {
    /// SOA serial of the stored unsigned copy.
    var unsignedSerial: UInt32? = nil
    /// Content hash of the stored unsigned copy (compared before a diff is worth computing).
    var unsignedHash: [UInt8]? = nil
    /// SOA serial of the published signed zone.
    var signedSerial: UInt32? = nil
    /// When the signatures next need refreshing.
    var nextResign: Int64? = nil
    /// The earliest RRSIG expiration in the published signed zone.
    var earliestExpiry: Int64? = nil
    var lastPollAt: Int64? = nil
    /// One line: "unchanged", "changed: 3 RRsets", "refused: shrunk by 80 %", "failed: timeout".
    var lastPollResult: String? = nil
    /// The last poll that reached the primary and got a usable answer (the SOA expire clock restarts).
    var lastSuccessAt: Int64? = nil
    /// The last time a new signed version was published because the unsigned zone changed.
    var lastChangeAt: Int64? = nil
    var lastChangeSummary: String? = nil
    /// Polls failed in a row (back-off and alerts count them); 0 after a success.
    var consecutiveFailures: Int = 0
    /// Transfers refused by the guards, in total.
    var refusals: Int = 0
    var lastRefusal: String? = nil
    /// The zone is past its SOA expire without a successful poll and no longer served.
    var expired: Bool = false
}
