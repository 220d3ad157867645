/// The address family an ALIAS expands into: one lookup per family, because a target may have
/// addresses of one family and NODATA for the other.
public enum AliasAddressFamily: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case v4
    case v6

    public var recordType: RecordType { self == .v4 ? .A : .AAAA }
    public var description: String { recordType.description }
}

/// Why a target could not be resolved; logged with the owner and target, and carried by
/// `AliasExpansionError` when the zone's policy is `fail`.
public enum AliasFailureReason: Sendable, Hashable, CustomStringConvertible {
    /// No resolver answered in time.
    case timeout
    /// The resolvers answered with this code (SERVFAIL, REFUSED, …).
    case serverFailure(RCode)
    /// The target (or a name its CNAME chain leads to) does not exist.
    case nxdomain
    /// The CNAME chain in the answer comes back to a name it already passed.
    case cnameLoop([DomainName])
    /// The CNAME chain is longer than `AliasAnswerReader.maximumChain`.
    case cnameChainTooLong(Int)
    /// The answer could not be used (wrong question, undecodable, network error).
    case badAnswer(String)
    /// The input held no result for this target and family.
    case notResolved
    /// Authenticity was required (draft-ietf-dnsop-aname §5) and the resolver did not vouch for the
    /// answer: no AD bit, or a DNSSEC failure it reported (EDE); the text says which.
    case unauthenticated(String)

    public var description: String {
        switch self {
        case .timeout: "timed out"
        case .serverFailure(let rcode): "the resolver answered \(rcode)"
        case .nxdomain: "NXDOMAIN"
        case .cnameLoop(let names): "CNAME loop: " + names.map(\.text).joined(separator: " -> ")
        case .cnameChainTooLong(let length): "CNAME chain longer than \(length)"
        case .badAnswer(let reason): "unusable answer: \(reason)"
        case .notResolved: "not resolved yet"
        case .unauthenticated(let detail): "answer not authenticated (\(detail))"
        }
    }
}

/// The addresses of one family a target resolved to; empty means NODATA (the family is left out).
public struct AliasAddresses: Sendable, Hashable {
    /// `.a` or `.aaaa` RDATA only.
    public var rdatas: [RData]
    /// The smallest TTL along the answer's CNAME chain and address RRset (for NODATA, the negative TTL).
    public var ttl: UInt32

    public init(rdatas: [RData], ttl: UInt32) {
        self.rdatas = rdatas
        self.ttl = ttl
    }

    public static func nodata(ttl: UInt32) -> AliasAddresses { AliasAddresses(rdatas: [], ttl: ttl) }
    public var isNoData: Bool { rdatas.isEmpty }
}

/// The outcome of resolving one target for one family.
public enum AliasLookup: Sendable, Hashable {
    case resolved(AliasAddresses)
    case failed(AliasFailureReason)
}

/// Which target and family a lookup is for.
public struct AliasKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var target: DomainName
    public var family: AliasAddressFamily

    public init(target: DomainName, family: AliasAddressFamily) {
        self.target = target.lowercased()
        self.family = family
    }

    public var description: String { "\(target.text)/\(family)" }

    /// Canonical name order of the targets, then v4 before v6: lookups start in a stable order, so logs
    /// and tests repeat. (No text is built: a thousand keys are sorted in every pass that starts lookups.)
    public static func < (lhs: AliasKey, rhs: AliasKey) -> Bool {
        let order = DomainName.canonicalCompare(lhs.target, rhs.target)
        return order != 0 ? order < 0 : lhs.family == .v4 && rhs.family == .v6
    }
}

/// A good answer kept for the `keep-last` policy, with the (Unix) second it was obtained.
public struct AliasLastGood: Sendable, Hashable {
    public var addresses: AliasAddresses
    public var resolvedAt: UInt64

    public init(addresses: AliasAddresses, resolvedAt: UInt64) {
        self.addresses = addresses
        self.resolvedAt = resolvedAt
    }
}

/// What the expander is given: the current result per target and family, and the last good answers.
public struct AliasResolutionTable: Sendable, Hashable {
    public var results: [AliasKey: AliasLookup]
    public var lastGood: [AliasKey: AliasLastGood]

    public init(results: [AliasKey: AliasLookup] = [:], lastGood: [AliasKey: AliasLastGood] = [:]) {
        self.results = results
        self.lastGood = lastGood
    }

    public subscript(target: DomainName, family: AliasAddressFamily) -> AliasLookup? {
        get { results[AliasKey(target: target, family: family)] }
        set { results[AliasKey(target: target, family: family)] = newValue }
    }
}

/// What to do when a target cannot be resolved (per zone).
public enum AliasFailurePolicy: Sendable, Hashable {
    /// Refuse the whole expansion (the transfer is SERVFAILed so the signer keeps what it has).
    case fail
    /// Use the last good answer if it is at most `maxAge` seconds old; without one, fail.
    case keepLast(maxAge: UInt64)
    /// Leave the family out at that owner.
    case ignore
}

/// A resolution failure the expansion met and worked around (to be logged): under `keep-last` and `ignore`.
public struct AliasProblem: Sendable, Hashable, CustomStringConvertible {
    public enum Action: Sendable, Hashable {
        case usedLastGood(age: UInt64)
        case leftOut
    }

    public var owner: DomainName
    public var target: DomainName
    public var family: AliasAddressFamily
    public var reason: AliasFailureReason
    public var action: Action

    public var description: String {
        let what = switch action {
        case .usedLastGood(let age): "using the last good answer (\(age) s old)"
        case .leftOut: "\(family) left out"
        }
        return "ALIAS \(owner.text) -> \(target.text) \(family): \(reason); \(what)"
    }
}

/// The expansion was refused: names the owner, target, family and reason (the transfer is refused).
public struct AliasExpansionError: Error, Sendable, Hashable, CustomStringConvertible {
    public var owner: DomainName
    public var target: DomainName
    public var family: AliasAddressFamily
    public var reason: AliasFailureReason
    /// Set under `keep-last` when no usable last answer existed.
    public var detail: String?

    public var description: String {
        "ALIAS \(owner.text) -> \(target.text) \(family): \(reason)" + (detail.map { " (\($0))" } ?? "")
    }
}
