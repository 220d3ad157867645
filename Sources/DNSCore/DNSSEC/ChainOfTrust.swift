/// Whether the parent vouches for our keys: the DS RRset the parent's servers return for the zone,
/// compared with our key-signing keys (RFC 4035 §5.2: a DS must match a DNSKEY by tag, algorithm and
/// digest). This is the check an operator otherwise does by hand with `dig DS` and `dnssec-dsfromkey`
/// after giving the registrar the DS.
///
/// Pure: the caller asks the servers (`dns-signer check-chain`), reads each response with
/// `ParentDSAnswer(response:zone:)` and gets one verdict for them all.
public struct ChainOfTrust: Sendable {
    public let zone: DomainName
    /// The keys a DS may point at: those with the SEP flag (KSKs and CSKs), or every zone key when none
    /// has it (a DS may name any key that signs the DNSKEY RRset).
    public let keySigningKeys: [DNSKEY]

    public init(zone: DomainName, keys: [DNSKEY]) {
        self.zone = zone
        let zoneKeys = keys.filter { $0.flags & DNSKEY.zoneKeyFlag != 0 && $0.flags & ChainOfTrust.revokeFlag == 0 }
        let sep = zoneKeys.filter { $0.flags & DNSKEY.sepFlag != 0 }
        keySigningKeys = sep.isEmpty ? zoneKeys : sep
    }

    /// REVOKE (RFC 5011 §3): a revoked key must not be trusted, so no DS should point at it.
    static let revokeFlag: UInt16 = 0x0080

    /// Tags of our KSKs, sorted.
    public var ourTags: [UInt16] { Array(Set(keySigningKeys.map(\.keyTag))).sorted() }

    /// The DS records to give the registrar: SHA-256 of each KSK (what registrars expect, RFC 8624).
    public var expectedDS: [DS] { keySigningKeys.compactMap { try? $0.ds(owner: zone, digestType: .sha256) } }

    /// What one server's answer means for us.
    public func assess(_ answer: ParentDSAnswer) -> ServerChainState {
        switch answer {
        case .ds(let records):
            var matching: Set<UInt16> = []
            var unmatched: Set<UInt16> = []
            for ds in records {
                if let key = keySigningKeys.first(where: { ds.matches($0, owner: zone) }) {
                    matching.insert(key.keyTag)
                } else {
                    unmatched.insert(ds.keyTag)
                }
            }
            if matching.isEmpty { return .mismatch(dsTags: unmatched.sorted()) }
            return .matching(keyTags: matching.sorted(), unmatchedDSTags: unmatched.sorted())
        case .noDS: return .notPublished
        case .nxdomain: return .notDelegated
        case .unusable(let reason): return .unusable(reason)
        }
    }

    /// One verdict from every server's answer: established only when every server that answered has a
    /// DS matching a KSK (a resolver may ask any of them); servers that did not answer are left out.
    public func verdict(_ answers: [(server: String, answer: ParentDSAnswer)]) -> ChainVerdict {
        guard !keySigningKeys.isEmpty else { return .noKeys }
        let states = answers.map { (server: $0.server, state: assess($0.answer)) }
        let usable = states.filter { if case .unusable = $0.state { false } else { true } }
        guard !usable.isEmpty else {
            return .noAnswer(states.map { server, state in
                if case .unusable(let reason) = state { "\(server): \(reason)" } else { server }
            })
        }
        var matching: Set<UInt16> = []
        var unmatched: Set<UInt16> = []
        var have: [String] = []
        var lack: [String] = []
        var mismatched = false
        var delegated = false
        for (server, state) in usable {
            switch state {
            case let .matching(tags, others):
                matching.formUnion(tags)
                unmatched.formUnion(others)
                have.append(server)
            case .mismatch(let tags):
                unmatched.formUnion(tags)
                mismatched = true
                delegated = true
                lack.append(server)
            case .notPublished:
                delegated = true
                lack.append(server)
            case .notDelegated, .unusable:
                lack.append(server)
            }
        }
        if lack.isEmpty { return .established(matching: matching.sorted(), unmatchedDSTags: unmatched.sorted()) }
        if !have.isEmpty { return .partial(matching: matching.sorted(), serversWithDS: have, serversWithout: lack) }
        if mismatched { return .mismatch(dsTags: unmatched.sorted(), ourKSKs: ourTags) }
        return delegated ? .notPublished : .notDelegated
    }

    /// The plain sentence for `verdict`, with the DS to hand over where one is needed.
    public func conclusion(_ verdict: ChainVerdict) -> String {
        switch verdict {
        case let .established(matching, unmatched):
            var text = "chain of trust established (DS for \(Self.keys(matching)) at the parent)"
            if !unmatched.isEmpty {
                text += "; the parent also has DS for tag\(unmatched.count > 1 ? "s" : "") \(Self.plain(unmatched)), "
                    + "which match\(unmatched.count > 1 ? "" : "es") none of our keys: remove "
                    + "\(unmatched.count > 1 ? "them" : "it") at the registrar once no resolver needs "
                    + "\(unmatched.count > 1 ? "them" : "it")"
            }
            return text
        case .notPublished:
            return "DS not published at the parent yet — give your registrar:\n" + registrarText
        case let .mismatch(dsTags, ours):
            var text = "DS at the parent does not match any KSK: parent has tags \(Self.list(dsTags)), "
                + "our KSKs are \(Self.list(ours))"
            let sameTag = Set(dsTags).intersection(ours)
            if !sameTag.isEmpty {
                text += " (tag \(Self.list(sameTag.sorted())) is ours but the digest differs: the DS was "
                    + "mistyped or made from another key with the same tag)"
            }
            text += "; validating resolvers will treat the zone as bogus. Give your registrar:\n" + registrarText
            return text
        case let .partial(matching, have, lack):
            return "the parent's servers disagree: \(have.count) of \(have.count + lack.count) have the DS for "
                + "\(Self.keys(matching)), \(lack.joined(separator: ", ")) "
                + "\(lack.count > 1 ? "do" : "does") not yet; the change is probably still spreading, check again later"
        case .notDelegated:
            return "the parent has no delegation for \(zone.text) (NXDOMAIN): register or delegate the zone first, "
                + "then give your registrar:\n" + registrarText
        case .noAnswer(let reasons):
            return "no parent server gave a usable answer: " + reasons.joined(separator: "; ")
        case .noKeys:
            return "no key-signing key for \(zone.text) to compare with the parent's DS"
        }
    }

    /// Each expected DS as a record and as the registrar's four fields.
    public var registrarText: String {
        expectedDS.map { ds in
            ResourceRecord(name: zone, ttl: 3600, rdata: .ds(ds)).description + "\n" + ds.registrarText
        }.joined(separator: "\n\n")
    }

    /// `[1, 2]`, as the mismatch sentence shows both sides.
    static func list(_ tags: [UInt16]) -> String { "[" + plain(tags) + "]" }

    /// `1, 2`.
    static func plain(_ tags: [UInt16]) -> String { tags.map(String.init).joined(separator: ", ") }

    static func keys(_ tags: [UInt16]) -> String {
        tags.count == 1 ? "KSK \(tags[0])" : "KSKs " + tags.map(String.init).joined(separator: ", ")
    }
}

/// What one parent server answered to `ZONE DS`.
public enum ParentDSAnswer: Sendable, Hashable {
    /// An authoritative answer with the DS RRset.
    case ds([DS])
    /// An authoritative NOERROR without DS (NODATA): the delegation exists, unsigned.
    case noDS
    /// An authoritative NXDOMAIN: the parent knows no such name.
    case nxdomain
    /// Nothing we can rely on, and why (timeout, SERVFAIL/REFUSED, not authoritative, the child's own
    /// servers answering).
    case unusable(String)

    /// Reads a response to `zone DS` (the caller matched it to the query). Only an authoritative answer
    /// (AA) counts: anything else is a server that is not the parent's, whose silence proves nothing.
    public init(response: Message, zone: DomainName) {
        let records = response.answers.compactMap { record -> DS? in
            guard record.name == zone, case .ds(let ds) = record.rdata else { return nil }
            return ds
        }
        let soaOwner = response.authority.first { $0.type == .SOA }?.name
        switch response.rcode {
        case .NOERROR: break
        case .NXDOMAIN:
            self = response.flags.aa ? .nxdomain : .unusable("NXDOMAIN without the AA bit: not authoritative for the parent")
            return
        default:
            self = .unusable("answered \(response.rcode)")
            return
        }
        if !records.isEmpty {
            self = response.flags.aa ? .ds(records)
                : .unusable("DS without the AA bit: not authoritative for the parent (a cache?)")
        } else if soaOwner == zone {
            // RFC 4035 §3.1.4.1: only the parent holds DS; the child's NODATA says nothing about it.
            self = .unusable("answered from \(zone.text) itself: this server serves the zone, not its parent")
        } else if response.flags.aa {
            self = .noDS
        } else if let referral = response.authority.first(where: { $0.type == .NS })?.name {
            self = .unusable("not authoritative for the parent: it refers to \(referral.text)")
        } else {
            self = .unusable("no AA bit: not authoritative for the parent")
        }
    }
}

/// One server's answer judged against our keys.
public enum ServerChainState: Sendable, Hashable, CustomStringConvertible {
    /// DS records match these KSKs; `unmatchedDSTags` are DS records beside them that match none.
    case matching(keyTags: [UInt16], unmatchedDSTags: [UInt16])
    /// DS records, none matching a KSK.
    case mismatch(dsTags: [UInt16])
    case notPublished
    case notDelegated
    case unusable(String)

    public var description: String {
        switch self {
        case let .matching(tags, others):
            "DS for \(ChainOfTrust.keys(tags))"
                + (others.isEmpty ? "" : ", and DS for tag\(others.count > 1 ? "s" : "") \(ChainOfTrust.plain(others)) matching no key")
        case .mismatch(let tags): "DS for tag\(tags.count > 1 ? "s" : "") \(ChainOfTrust.plain(tags)), matching none of our KSKs"
        case .notPublished: "no DS (delegation without DS)"
        case .notDelegated: "NXDOMAIN (no delegation)"
        case .unusable(let reason): "no usable answer: \(reason)"
        }
    }
}

/// What the parent's servers together say about our chain of trust.
public enum ChainVerdict: Sendable, Hashable {
    /// Every answering server has a DS matching these KSKs (and DS for `unmatchedDSTags` besides).
    case established(matching: [UInt16], unmatchedDSTags: [UInt16])
    /// The parent delegates to us but publishes no DS.
    case notPublished
    /// The parent publishes DS records, none of which matches a KSK: resolvers will see the zone as bogus.
    case mismatch(dsTags: [UInt16], ourKSKs: [UInt16])
    /// Some servers have a matching DS, others do not (yet).
    case partial(matching: [UInt16], serversWithDS: [String], serversWithout: [String])
    /// The parent does not know the name at all.
    case notDelegated
    /// No server answered usably; the reasons, one per server.
    case noAnswer([String])
    /// We have no KSK to compare with.
    case noKeys

    public var isEstablished: Bool {
        if case .established = self { return true }
        return false
    }
}
