/// Decides whether a zone fresh from the primary may replace the copy the signer has: the signer's
/// promise is never to publish a bogus or empty zone, so a transfer that looks like a primary gone wrong
/// (emptied, truncated, reset, unexpanded) is refused and the current copy stays served.
///
/// Pure and cheap: one pass over the new zone's nodes for the counts, `Zone.check()` for the semantics
/// (only at the changed names when the caller knows them), and `rrsetCount` of the current copy (a sum
/// over its names) — a 100k-name zone costs milliseconds, the semantic checks most of that.
///
/// `current` is the stored *unsigned* copy (what the previous transfer brought), never the signed zone:
/// signing adds RRSIG and NSEC sets and would make every transfer look like a shrink.
///
/// Guards run in this order and the first that trips is reported: empty, size limits, SOA only, apex NS
/// missing, unexpanded ALIAS, semantic checks (the structural guards: the zone is broken), then serial
/// decreased, shrink, growth (the policy guards: the zone is well formed but unlike ours). Only the policy
/// guards can be overridden, all of them at once for one transfer (`acceptNext`, the operator's
/// `zone accept-next`: "I checked it, take the next one"); a lower serial also has its own per-zone
/// setting. A serial equal to ours with different content is accepted: some primaries change ALIAS
/// expansions without raising the serial.
public struct TransferGuard: Sendable, Hashable {
    /// Largest fraction of the current copy's RRsets a transfer may lose. 0.5 refuses a zone with fewer
    /// than half the RRsets we have (exactly half passes); 1 turns the guard off.
    public var shrinkLimit: Double
    /// Accept a serial lower than ours (RFC 1982), for a primary whose serial was reset on purpose.
    public var allowSerialDecrease: Bool
    /// The operator's one-shot `accept-next`: let the next transfer through the policy guards (serial
    /// decrease, shrink, growth); never through the structural ones. The verdict says whether it was
    /// needed (`usedOverride`); the caller clears the setting when it was.
    public var acceptNext: Bool
    /// A transfer with more than `growthLimit` times the current copy's RRsets *and* more than
    /// `growthMinRRsets` RRsets added is refused; 0 turns the guard off. Both must trip because each
    /// alone misfires: a zone of 5 RRsets that gains 60 in one edit session has grown 13 times, which is
    /// ordinary, while 1,000 RRsets added to a 100k-name zone is 1 %. Ten times and 1,000 RRsets never
    /// refuse an edit of a small zone (fewer than 1,000 RRsets added at once always pass) nor steady
    /// growth of a large one, and refuse the failure seen in the field: a primary whose generator added
    /// 100,000 records to a zone of about 430 RRsets (235 times its size), which took 17 s to sign and
    /// made the primary's correct zone look like a 99.6 % shrink afterwards.
    public var growthLimit: Double
    /// See `growthLimit`.
    public var growthMinRRsets: Int
    /// Most records a zone may have. The default, 2 million, is twenty times the 100k-name zones this
    /// system is built and benchmarked for, and well under the transfer client's own stop (5 million):
    /// a zone that suddenly grows past it is a runaway generator, and signing it would take the signer's
    /// memory and minutes of CPU for nothing.
    public var maxRecords: Int
    /// Most RRsets one name may own. No real name has more than a few dozen types; 100 leaves room and
    /// stops a zone whose records all landed on one owner (a broken template).
    public var maxRRsetsPerName: Int
    /// Most records in one RRset. An answer must fit a 64 KB TCP message: about 4,000 A records, fewer
    /// of anything bigger, less again once signed. 2,000 keeps every such RRset answerable.
    public var maxRecordsPerRRset: Int

    public static let defaultGrowthLimit: Double = 10
    public static let defaultGrowthMinRRsets = 1_000

    public init(
        shrinkLimit: Double = 0.5, allowSerialDecrease: Bool = false, acceptNext: Bool = false,
        growthLimit: Double = TransferGuard.defaultGrowthLimit, growthMinRRsets: Int = TransferGuard.defaultGrowthMinRRsets,
        maxRecords: Int = 2_000_000, maxRRsetsPerName: Int = 100, maxRecordsPerRRset: Int = 2_000
    ) {
        self.shrinkLimit = shrinkLimit
        self.allowSerialDecrease = allowSerialDecrease
        self.acceptNext = acceptNext
        self.growthLimit = growthLimit
        self.growthMinRRsets = growthMinRRsets
        self.maxRecords = maxRecords
        self.maxRRsetsPerName = maxRRsetsPerName
        self.maxRecordsPerRRset = maxRecordsPerRRset
    }

    /// Why these settings cannot work, or nil. `check` still runs with them (a limit outside 0...1 is
    /// clamped), but configuration code should reject them with this text.
    public var problem: String? {
        if !(0...1).contains(shrinkLimit) { return "shrink limit \(shrinkLimit) is not a fraction between 0 and 1" }
        if !growthLimit.isFinite || (growthLimit != 0 && growthLimit <= 1) {
            return "growth limit \(growthLimit) is not a factor above 1 (or 0 for no growth guard)"
        }
        if growthMinRRsets < 0 { return "a growth minimum of \(growthMinRRsets) RRsets is negative" }
        if maxRecords < 2 { return "a record limit of \(maxRecords) leaves no room for an SOA and an NS" }
        if maxRRsetsPerName < 2 { return "an RRset limit per name of \(maxRRsetsPerName) leaves no room for the apex SOA and NS" }
        if maxRecordsPerRRset < 1 { return "a record limit per RRset of \(maxRecordsPerRRset) allows no data" }
        return nil
    }

    /// The verdict on `new`, transferred to replace `current` (nil on the zone's first transfer).
    /// `changedNames`: the only names whose records differ from `current`, which this guard accepted
    /// (known from comparing the transfers record by record); the semantic checks then look at those
    /// names (`Zone.checkErrors(changedNames:previous:)`) instead of the whole zone. `census`: `new`'s
    /// census when the caller has it (`Census.updated`), sparing a pass over the whole zone; `current`'s
    /// size then comes from `currentRRsets`.
    public func check(_ new: Zone, current: Zone?, changedNames: Set<DomainName>? = nil, census: Census? = nil,
                      currentRRsets: Int? = nil) -> TransferVerdict {
        let census = census ?? Census(new)
        if census.records == 0 { return .refuse(.empty) }
        if census.records > maxRecords { return .refuse(.tooLarge(records: census.records, limit: maxRecords)) }
        if case let (name, count)? = census.largestName, count > maxRRsetsPerName {
            return .refuse(.nameTooLarge(name: name, rrsets: count, limit: maxRRsetsPerName))
        }
        if case let (name, type, count)? = census.largestRRset, count > maxRecordsPerRRset {
            return .refuse(.rrsetTooLarge(name: name, type: type, records: count, limit: maxRecordsPerRRset))
        }
        let apex = new.rrsets(at: new.origin)
        if census.rrsets == 1 && apex.first?.type == .SOA { return .refuse(.soaOnly) }
        if !apex.contains(where: { $0.type == .NS }) { return .refuse(.missingApexNS) }
        if !census.aliasOwners.isEmpty { return .refuse(.unexpandedAlias(census.aliasOwners)) }
        let incremental = current.flatMap { current in changedNames.flatMap { new.checkErrors(changedNames: $0, previous: current) } }
        let errors = incremental ?? new.check().filter { $0.severity == .error }
        if !errors.isEmpty { return .refuse(.checksFailed(errors)) }

        guard let current else { return .accept(usedOverride: false) }
        guard let refusal = policyRefusal(new, rrsets: census.rrsets, current: current, currentRRsets: currentRRsets) else { return .accept(usedOverride: false) }
        return acceptNext ? .accept(usedOverride: true) : .refuse(refusal)
    }

    /// The first policy guard `new` (with `rrsets` RRsets) trips against `current`: serial, shrink, growth.
    private func policyRefusal(_ new: Zone, rrsets after: Int, current: Zone, currentRRsets: Int?) -> TransferRefusal? {
        if let ours = current.serial, let theirs = new.serial, theirs != ours, !(theirs > ours), !allowSerialDecrease {
            return .serialDecreased(from: ours, to: theirs)
        }
        let before = currentRRsets ?? current.rrsetCount
        if before > after {
            let lost = Double(before - after) / Double(before)
            // Dividing exact integers gives the double nearest the true fraction, so a loss of exactly
            // the limit compares equal to it and passes.
            if lost > min(max(shrinkLimit, 0), 1) {
                return .shrank(fromRRsets: before, toRRsets: after, limit: shrinkLimit)
            }
        }
        // Growing to exactly the limit passes, as shrinking by exactly the limit does.
        if growthLimit > 0, after - before > growthMinRRsets, Double(after) > Double(before) * growthLimit {
            return .grew(fromRRsets: before, toRRsets: after, factor: growthLimit, minimum: growthMinRRsets)
        }
        return nil
    }
}

/// What `TransferGuard.check` decided.
public enum TransferVerdict: Sendable, Hashable {
    /// Take the zone. `usedOverride`: a policy guard (serial decrease, shrink, growth) tripped and the
    /// zone went through only because the operator said `accept-next`; clear that setting now.
    case accept(usedOverride: Bool)
    /// Keep serving the current copy and alert.
    case refuse(TransferRefusal)

    public var isAccepted: Bool {
        if case .accept = self { return true }
        return false
    }

    public var refusal: TransferRefusal? {
        if case .refuse(let refusal) = self { return refusal }
        return nil
    }
}

extension TransferGuard {
    /// The counts the size, shrink and growth guards need, taken in one pass over the zone's nodes, or
    /// carried from one version to the next through the names that changed (`updated`): a one-record
    /// change to a 100k-name zone then costs its names, not a pass over the zone on every change.
    public struct Census: Sendable {
        public internal(set) var rrsets = 0
        var records = 0
        /// The name owning the most RRsets (the first in iteration order on ties).
        var largestName: (DomainName, Int)?
        /// The RRset with the most records.
        var largestRRset: (DomainName, RecordType, Int)?
        /// Owners of ALIAS records, in canonical order.
        var aliasOwners: [DomainName] = []

        public init(_ zone: Zone) {
            for (name, node) in zone.nodes {
                rrsets += node.count
                if node.count > (largestName?.1 ?? 0) { largestName = (name, node.count) }
                for rrset in node {
                    records += rrset.count
                    if rrset.count > (largestRRset?.2 ?? 0) { largestRRset = (name, rrset.type, rrset.count) }
                    if rrset.type == .ALIAS { aliasOwners.append(name) }
                }
            }
            aliasOwners.sort()
        }

        /// The census of `new`, made from this one (of `old`) and the names whose records differ between
        /// them. Totals and ALIAS owners are exact. The largest name and RRset are the largest among the
        /// changed names and the old largest (when it did not change): exact for the limits as long as
        /// `old` was accepted under them, which is when the carried census is used.
        public func updated(from old: Zone, to new: Zone, at changedNames: some Collection<DomainName>) -> Census {
            var result = self
            result.aliasOwners.removeAll { changedNames.contains($0) }
            if let (name, _) = largestName, changedNames.contains(name) { result.largestName = nil }
            if let (name, _, _) = largestRRset, changedNames.contains(name) { result.largestRRset = nil }
            for name in changedNames {
                let before = old.nodes[name] ?? []
                let after = new.nodes[name] ?? []
                result.rrsets += after.count - before.count
                result.records += after.reduce(0) { $0 + $1.count } - before.reduce(0) { $0 + $1.count }
                if after.count > (result.largestName?.1 ?? 0) { result.largestName = (name, after.count) }
                for rrset in after {
                    if rrset.count > (result.largestRRset?.2 ?? 0) { result.largestRRset = (name, rrset.type, rrset.count) }
                    if rrset.type == .ALIAS { result.aliasOwners.append(name) }
                }
            }
            result.aliasOwners.sort()
            return result
        }
    }
}
