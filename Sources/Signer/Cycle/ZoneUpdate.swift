import DNSCore

/// One step of the signing pipeline as a pure function of its inputs (no store, no sockets, no clock):
/// a transfer goes through the guards, is compared with the current copy, re-signed incrementally
/// from the diff and verified; or the current signatures are refreshed. The worker stores and
/// publishes what comes out, and only then.
struct ZoneUpdate: Sendable {
    var keys: ZoneKeySet
    var policy: SigningPolicy
    var guards: TransferGuard
    var serialPolicy: SignerZoneConfig.SignedSerialPolicy
    /// Keys whose DS the parent may hold: every version must publish them and have them sign the DNSKEY
    /// RRset, or validators that follow that DS would find the zone bogus.
    var anchors: [DNSKEY] = []
    /// Serve the zone without DNSSEC (after the parent's DS went away): nothing signed or verified.
    var insecure = false
    /// A new version gets this signed serial when it is above the previous one: the serial an operator
    /// approved in review, for the candidate signed again by the next poll (`ReviewGate.pinnedSignedSerial`).
    var signedSerialPin: SerialNumber? = nil

    /// What we serve: the unsigned copy as transferred, and the signed zone made from it.
    struct Current: Sendable {
        var unsigned: Zone
        var signed: SignedZone
        /// The guards' counts for `unsigned`, carried from change to change (nil until the first full count).
        var census: TransferGuard.Census? = nil
    }

    /// A new version ready to commit and serve.
    struct Change: Sendable {
        var unsigned: Zone
        var signed: SignedZone
        /// Between the unsigned copies; nil: the first version (everything is new).
        var unsignedDiff: ZoneDiff?
        /// Between the signed zones; nil: a full signing (the first, or after a change of denial), every row
        /// is rewritten.
        var signedDiff: ZoneDiff?
        /// The unsigned change, for operators (empty for a signature refresh).
        var summary: ChangeSummary
        /// `accept-next` was needed and is now used up.
        var usedOverride: Bool
        /// The guards' counts for `unsigned`, when they were carried from the current version's.
        var census: TransferGuard.Census? = nil
    }

    enum Outcome: Sendable {
        case unchanged
        case refused(TransferRefusal)
        case changed(Change)
        case signingFailed(String)
    }

    /// Guards, compares, signs and verifies `transfer` against `current` (nil on the first transfer).
    /// `knownDiff`, when the caller already knows the difference (`Zone.updated(from:to:)`), spares
    /// comparing the whole zones. `signInFull` (the current version was signed with other denial
    /// settings): a changed transfer is signed and verified in full instead of incrementally.
    func apply(transfer: Zone, knownDiff: ZoneDiff? = nil, to current: Current?, signInFull: Bool = false, now: UInt32) -> Outcome {
        let changedNames = knownDiff.map { Set(Self.names(in: $0)) }
        // With a known diff, the new counts come from the current version's and the changed names.
        // The current version's counts are carried from change to change; after a start they are counted
        // once, when a known diff needs them.
        var currentCensus = current?.census
        if currentCensus == nil, let current, changedNames != nil { currentCensus = TransferGuard.Census(current.unsigned) }
        let census = if let current, let changedNames, let currentCensus {
            currentCensus.updated(from: current.unsigned, to: transfer, at: changedNames)
        } else {
            TransferGuard.Census(transfer)
        }
        let verdict = guards.check(transfer, current: current?.unsigned, changedNames: changedNames, census: census,
                                   currentRRsets: currentCensus?.rrsets)
        guard case .accept(let usedOverride) = verdict else { return .refused(verdict.refusal!) }
        do {
            guard let current else {
                return try fullSigning(transfer, previous: nil, contentDiff: nil, usedOverride: usedOverride, census: census, now: now)
            }
            let contentDiff = knownDiff ?? ZoneDiff(from: current.unsigned, to: transfer)
            if contentDiff.isEmpty { return .unchanged }
            if signInFull {
                return try fullSigning(transfer, previous: current.signed, contentDiff: contentDiff, usedOverride: usedOverride, census: census, now: now)
            }

            // The signed zone carries its own serial: the content diff with the SOA change rewritten to go
            // from our old signed serial to the new one.
            let oldSerial = current.signed.zone.serial
            let serial = nextSignedSerial(previous: oldSerial, unsigned: transfer.serial, now: now)
            let diff = Self.signingDiff(contentDiff, from: current.unsigned, to: transfer, oldSerial: oldSerial ?? serial, newSerial: serial)
            if insecure || !ZoneUpdate.isSigned(current.signed.zone) {
                return try fullSigning(transfer, previous: current.signed, contentDiff: contentDiff, usedOverride: usedOverride, census: census, now: now)
            }
            let receipts = SignatureReceipts()
            let signed = try ZoneSigner.update(current.signed, applying: diff, keys: keys, policy: policy, now: now, receipts: receipts)
            let signedDiff = Self.signedDiff(from: current.signed, to: signed)
            let failures = ZoneVerifier.verifyChanges(signed.zone, names: Self.names(in: signedDiff), now: now,
                                                      unpublishedKeys: keys.unpublishedSigningKeys, receipts: receipts)
            if let reason = Self.describe(failures) ?? chainProblem(signed.zone) { return .signingFailed(reason) }
            return .changed(Change(
                unsigned: transfer, signed: signed, unsignedDiff: contentDiff, signedDiff: signedDiff,
                summary: ChangeSummary(contentDiff), usedOverride: usedOverride, census: census))
        } catch {
            return .signingFailed("\(error)")
        }
    }

    /// Signs the stored unsigned copy again from scratch with the same keys and this update's policy: after
    /// the operator changed how the zone denies existence (NSEC ↔ NSEC3, opt-out), no signature or chain
    /// record of the old version can stay. Verified in full; the signed serial rises; the unsigned copy
    /// does not change.
    func resignInFull(_ current: Current, now: UInt32) -> Outcome {
        do {
            return try fullSigning(current.unsigned, previous: current.signed, contentDiff: ZoneDiff(), usedOverride: false, census: current.census, now: now)
        } catch {
            return .signingFailed("\(error)")
        }
    }

    /// Whether `signed` denies existence the way `policy` asks: NSEC, or NSEC3 with the policy's
    /// parameters and opt-out flag (read from the apex's own NSEC3 record). False from the moment the
    /// operator switches denial until the zone is signed again in full.
    static func deniesExistence(_ signed: Zone, as policy: SigningPolicy) -> Bool {
        let apex = signed.origin
        let parameters = signed.rrset(at: apex, type: .NSEC3PARAM)
        switch policy.denial {
        case .nsec:
            return parameters == nil && signed.rrset(at: apex, type: .NSEC) != nil
        case .nsec3(let settings):
            guard signed.rrset(at: apex, type: .NSEC) == nil, let parameters,
                  parameters.rdatas == [.nsec3param(settings.parameters)],
                  let hasher = NSEC3Hash(hashAlgorithm: settings.hashAlgorithm, salt: settings.salt, iterations: settings.iterations)
            else { return false }
            let owner = NSEC3Hash.ownerName(hash: hasher.hash(apex), zone: apex)
            guard case .nsec3(let record) = signed.rrset(at: owner, type: .NSEC3)?.rdatas.first else { return false }
            return record.isOptOut == settings.optOut
        }
    }

    /// Signs `unsigned` in full under the next signed serial after `previous`'s and verifies all of it.
    /// `contentDiff` is what changed in the unsigned copy (nil: everything is new).
    private func fullSigning(_ unsigned: Zone, previous: SignedZone?, contentDiff: ZoneDiff?, usedOverride: Bool,
                             census: TransferGuard.Census?, now: UInt32) throws -> Outcome {
        let serial = nextSignedSerial(previous: previous?.zone.serial, unsigned: unsigned.serial, now: now)
        if insecure {
            return .changed(Change(
                unsigned: unsigned, signed: SignedZone(insecure: Self.withSerial(unsigned, serial), now: now), unsignedDiff: contentDiff,
                signedDiff: nil, summary: ChangeSummary(contentDiff ?? ZoneDiff(from: Zone(origin: unsigned.origin), to: unsigned)),
                usedOverride: usedOverride, census: census))
        }
        // The self-check confirms our own fresh signatures by their receipts (`SignatureReceipts`).
        let receipts = SignatureReceipts()
        let signed = try ZoneSigner.sign(zone: Self.withSerial(unsigned, serial), keys: keys, policy: policy, now: now, receipts: receipts)
        let failures = ZoneVerifier.verify(signed.zone, now: now, unpublishedKeys: keys.unpublishedSigningKeys, receipts: receipts)
        if let reason = Self.describe(failures) ?? chainProblem(signed.zone) { return .signingFailed(reason) }
        return .changed(Change(
            unsigned: unsigned, signed: signed, unsignedDiff: contentDiff, signedDiff: nil,
            summary: ChangeSummary(contentDiff ?? ZoneDiff(from: Zone(origin: unsigned.origin), to: unsigned)),
            usedOverride: usedOverride, census: census))
    }

    /// Renews the signatures of `current` that are due at `now` (the unsigned copy does not change; the
    /// signed serial rises so secondaries pick the new signatures up).
    func refresh(_ current: Current, now: UInt32) -> Outcome {
        // An insecure zone has no signatures to renew; a zone whose keys changed is signed in full.
        if insecure { return .unchanged }
        do {
            let oldSerial = current.signed.zone.serial
            let serial = Self.signedSerial(previous: oldSerial, unsigned: current.unsigned.serial, policy: serialPolicy, now: now)
            var signed = current.signed
            var touched: Set<DomainName>? = []
            let receipts = SignatureReceipts()
            if serial != oldSerial {
                let diff = Self.signingDiff(ZoneDiff(), from: current.unsigned, to: current.unsigned, oldSerial: oldSerial ?? serial, newSerial: serial)
                signed = try ZoneSigner.update(signed, applying: diff, keys: keys, policy: policy, now: now, receipts: receipts)
                touched = signed.changedNames
            }
            signed = try ZoneSigner.refresh(signed, keys: keys, policy: policy, now: now, receipts: receipts)
            if let names = signed.changedNames, let earlier = touched { signed.changedNames = names.union(earlier) } else { signed.changedNames = nil }
            let signedDiff = Self.signedDiff(from: current.signed, to: signed)
            let failures = ZoneVerifier.verifyChanges(signed.zone, names: Self.names(in: signedDiff), now: now,
                                                      unpublishedKeys: keys.unpublishedSigningKeys, receipts: receipts)
            if let reason = Self.describe(failures) ?? chainProblem(signed.zone) { return .signingFailed(reason) }
            return .changed(Change(
                unsigned: current.unsigned, signed: signed, unsignedDiff: ZoneDiff(), signedDiff: signedDiff,
                summary: ChangeSummary(ZoneDiff()), usedOverride: false, census: current.census))
        } catch {
            return .signingFailed("\(error)")
        }
    }

    /// Whether `zone` carries DNSSEC (an insecure version has no DNSKEY RRset).
    static func isSigned(_ zone: Zone) -> Bool { zone.rrset(at: zone.origin, type: .DNSKEY) != nil }

    /// The DNSKEY/DS relation (issue 13's safety rail): every key the parent's DS may name is in the
    /// DNSKEY RRset and signs it. nil when it holds.
    func chainProblem(_ zone: Zone) -> String? {
        let apex = zone.origin
        let published = zone.rrset(at: apex, type: .DNSKEY)?.rdatas ?? []
        let signatures = zone.signatures(at: apex, covering: .DNSKEY)?.rdatas ?? []
        let signers: [(UInt16, UInt8)] = signatures.compactMap {
            if case .rrsig(let rrsig) = $0, rrsig.typeCovered == .DNSKEY { return (rrsig.keyTag, rrsig.algorithm) }
            return nil
        }
        for key in anchors {
            if !published.contains(.dnskey(key)) {
                return "the DNSKEY RRset lacks key \(key.keyTag), which the parent's DS may name: publishing it would break the chain of trust"
            }
            if !signers.contains(where: { $0 == (key.keyTag, key.algorithm) }) {
                return "key \(key.keyTag), which the parent's DS may name, does not sign the DNSKEY RRset: validators following that DS would fail"
            }
        }
        return nil
    }

    /// The next signed serial: always greater than the previous one (RFC 1982); seconds since 1970 when
    /// that is greater (`unixtime`), else previous + 1. The first signing starts from the unsigned serial.
    static func signedSerial(previous: SerialNumber?, unsigned: SerialNumber?, policy: SignerZoneConfig.SignedSerialPolicy,
                             now: UInt32) -> SerialNumber {
        guard let previous else {
            return policy == .unixtime ? SerialNumber(now) : (unsigned ?? SerialNumber(1))
        }
        return previous.next(atLeast: policy == .unixtime ? SerialNumber(now) : previous)
    }

    /// The signed serial of a new version: the pin when there is one above `previous`, else `signedSerial`.
    func nextSignedSerial(previous: SerialNumber?, unsigned: SerialNumber?, now: UInt32) -> SerialNumber {
        if let pin = signedSerialPin, previous.map({ pin > $0 }) ?? true { return pin }
        return Self.signedSerial(previous: previous, unsigned: unsigned, policy: serialPolicy, now: now)
    }

    /// `content` (between two transfers) with the apex SOA change replaced by one between the signed
    /// serials, so the incremental signer sees exactly what the signed zone must change.
    static func signingDiff(_ content: ZoneDiff, from old: Zone, to new: Zone, oldSerial: SerialNumber, newSerial: SerialNumber) -> ZoneDiff {
        let apex = new.origin
        var diff = content
        diff.removed.removeAll { $0.type == .SOA && $0.name == apex }
        diff.added.removeAll { $0.type == .SOA && $0.name == apex }
        if let before = soa(of: old, serial: oldSerial), let after = soa(of: new, serial: newSerial), before != after {
            diff.removed.insert(before, at: 0)
            diff.added.insert(after, at: 0)
        }
        return diff
    }

    /// Between two signed versions: at the names the signer says it touched when it says so, else the
    /// whole zones.
    static func signedDiff(from old: SignedZone, to new: SignedZone) -> ZoneDiff {
        if let names = new.changedNames { return ZoneDiff(from: old.zone, to: new.zone, at: names) }
        return ZoneDiff(from: old.zone, to: new.zone)
    }

    /// The apex SOA RRset of `zone` with its serial replaced (without copying the zone, as `withSerial` does).
    static func soa(of zone: Zone, serial: SerialNumber) -> RRset? {
        guard let set = zone.rrset(at: zone.origin, type: .SOA), case .soa(var soa)? = set.rdatas.first else { return nil }
        soa.serial = serial
        return RRset(name: set.name, type: .SOA, dnsClass: set.dnsClass, ttl: set.ttl, rdatas: [.soa(soa)])
    }

    /// `zone` with its SOA serial replaced.
    static func withSerial(_ zone: Zone, _ serial: SerialNumber) -> Zone {
        guard var soa = zone.soa, soa.serial != serial, let set = zone.rrset(at: zone.origin, type: .SOA) else { return zone }
        var zone = zone
        soa.serial = serial
        zone.insert(RRset(name: set.name, type: .SOA, dnsClass: set.dnsClass, ttl: set.ttl, rdatas: [.soa(soa)]))
        return zone
    }

    static func names(in diff: ZoneDiff) -> [DomainName] {
        var seen: Set<DomainName> = []
        return (diff.added + diff.removed).compactMap { seen.insert($0.name).inserted ? $0.name : nil }
    }

    /// nil for no failures, else the first few for a log line and an alert.
    static func describe(_ failures: [VerificationFailure]) -> String? {
        guard !failures.isEmpty else { return nil }
        let shown = failures.prefix(3).map(\.description).joined(separator: "; ")
        return "verification failed: \(shown)" + (failures.count > 3 ? " (and \(failures.count - 3) more)" : "")
    }
}
