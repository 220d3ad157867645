/// What `/healthz` needs to know about one zone, gathered by the daemon from its own state. Times are
/// seconds since 1970 and spans are seconds, like `OperatorEvent.time`, so the evaluator stays pure.
package struct ZoneHealthInput: Sendable, Equatable {
    /// Absolute, lowercased ("example.com.").
    package var zone: String
    /// The earliest RRSIG expiration in the served signed copy; nil when the zone is not signed (the
    /// primary's zones) or not signed yet.
    package var earliestSignatureExpiry: Int64?
    /// The signer re-signs when less than this remains (default 7 days). Only reported, for context.
    package var refreshMargin: Int64
    /// Less than this remaining means re-signing has fallen behind far enough to page someone.
    package var dangerMargin: Int64
    /// Past the SOA expire without a successful poll: the zone is answered with SERVFAIL.
    package var expired: Bool
    /// The last successful poll or transfer; nil when there has been none.
    package var lastSuccess: Int64?
    /// When the zone was added or the daemon started, whichever is later: a zone never polled is judged
    /// from here. Nil: unknown (then a zone never polled is a problem at once when `maxSilence` is set).
    package var since: Int64?
    /// How long without a successful poll is a problem; nil when the zone is not polled (primary).
    package var maxSilence: Int64?

    /// `dangerMargin` defaults to half the refresh margin: half the re-signing window gone unused.
    package init(zone: String, earliestSignatureExpiry: Int64? = nil, refreshMargin: Int64 = 7 * 86_400,
                 dangerMargin: Int64? = nil, expired: Bool = false, lastSuccess: Int64? = nil, since: Int64? = nil,
                 maxSilence: Int64? = nil) {
        self.zone = zone
        self.earliestSignatureExpiry = earliestSignatureExpiry
        self.refreshMargin = refreshMargin
        self.dangerMargin = dangerMargin ?? refreshMargin / 2
        self.expired = expired
        self.lastSuccess = lastSuccess
        self.since = since
        self.maxSilence = maxSilence
    }
}
