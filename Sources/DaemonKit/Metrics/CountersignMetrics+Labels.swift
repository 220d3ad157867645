import DNSCore

/// Label values the daemons pass to `CountersignMetrics`. Open string-backed structs (like `RecordType`):
/// the constants below are the documented values (docs/METRICS.md), and a daemon that needs another one
/// can write `PollResult(rawValue: "…")` without waiting for this file to change.
extension CountersignMetrics {
    /// Which copy of a zone a serial belongs to: the primary's (unsigned) or the one we publish (signed).
    package enum SerialKind: String, Sendable, CaseIterable {
        case unsigned, signed
    }

    /// How one poll of the primary ended.
    package struct PollResult: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
        package var description: String { rawValue }

        /// The content differed; the zone was re-signed and published.
        package static let changed = PollResult(rawValue: "changed")
        /// The transfer matched what we serve; nothing published.
        package static let unchanged = PollResult(rawValue: "unchanged")
        /// The transfer arrived but a guard refused it (see `countersign_transfer_refusals_total`).
        package static let refused = PollResult(rawValue: "refused")
        /// No usable transfer: timeout, connection refused, TSIG failure, REFUSED/NOTAUTH from the primary.
        package static let failed = PollResult(rawValue: "failed")
        /// Re-signing or verifying the new version failed; nothing published.
        package static let signingFailed = PollResult(rawValue: "signing-failed")
    }

    /// How a transfer from the primary came (issue 14).
    package enum TransferType: String, Sendable, CaseIterable {
        /// The whole zone, asked for with AXFR.
        case axfr
        /// Only the changes, as IXFR sequences applied to the zone we hold.
        case ixfr
        /// Asked for with IXFR, answered with the whole zone (the primary's journal does not reach).
        case ixfrFull = "ixfr-full"
        /// Asked for with IXFR, answered "up to date" (the SOA alone).
        case ixfrCurrent = "ixfr-current"
    }

    /// Why a guard refused a transfer (issue 6, step 2).
    package struct RefusalReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
        package var description: String { rawValue }

        /// The guard's own name (`TransferRefusal.guardName`: `shrink`, `soa-only`, …), so alerts, logs and
        /// metrics name a refusal the same way.
        package init(_ refusal: TransferRefusal) { rawValue = refusal.guardName }

        package static let shrink = RefusalReason(rawValue: "shrink")
        /// A broken IXFR (RFC 1995): a wrong serial chain, a deletion of a record we do not hold, TSIG, … .
        package static let ixfr = RefusalReason(rawValue: "ixfr")
        /// Signing or verification failed: nothing was published.
        package static let verificationFailed = RefusalReason(rawValue: "verification-failed")
    }

    /// How the resolution of one ALIAS target ended.
    package struct AliasResult: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
        package var description: String { rawValue }

        /// Addresses of at least one family.
        package static let resolved = AliasResult(rawValue: "resolved")
        /// The target exists but has neither A nor AAAA.
        package static let nodata = AliasResult(rawValue: "nodata")
        package static let nxdomain = AliasResult(rawValue: "nxdomain")
        package static let servfail = AliasResult(rawValue: "servfail")
        package static let timeout = AliasResult(rawValue: "timeout")
        package static let cnameLoop = AliasResult(rawValue: "cname-loop")
        /// Authenticity was required (`alias-require-authentic`) and the resolver did not vouch for the
        /// answer: no AD bit, or a DNSSEC failure it reported.
        package static let unauthenticated = AliasResult(rawValue: "unauthenticated")
        /// Failed, and the zone's `keep-last` policy served the last good answer instead.
        package static let keptLast = AliasResult(rawValue: "kept-last")
        /// Any other failure (malformed answer, network error).
        package static let error = AliasResult(rawValue: "error")
    }

    /// Why a zone was signed.
    package struct SigningReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
        package var description: String { rawValue }

        /// First signing of a zone (new keys, full signature).
        package static let initial = SigningReason(rawValue: "initial")
        /// The primary's content changed (incremental re-sign from the diff).
        package static let change = SigningReason(rawValue: "change")
        /// Signatures reached the refresh margin with no change.
        package static let refresh = SigningReason(rawValue: "refresh")
    }
}
