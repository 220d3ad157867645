extension ZoneSigner {
    /// Applies `diff` (between two versions of the unsigned zone) to `previous` and re-signs only what
    /// it touches: the changed RRsets, RRsets whose role changed (a delegation added or removed above
    /// them), and the NSEC/NSEC3 records whose next name or bitmap changes, including the records of
    /// new or vanished empty non-terminals. Every other signature is kept. Signatures that are due
    /// (see `refresh`) are renewed on the way, so the result equals `sign(zone:…)` of the new zone at
    /// the same `now` whenever `previous` was signed at that `now`.
    ///
    /// Signer-generated types in `diff` (RRSIG, NSEC, NSEC3, NSEC3PARAM, DNSKEY, CDS, CDNSKEY) are
    /// ignored, as a full signing would replace them. When the keys, key roles, denial settings or
    /// the TTLs taken from the SOA differ from those `previous` was signed with, nothing can be kept
    /// and the zone is signed in full. Each signature made is recorded in `receipts` (for the self-check).
    public static func update(
        _ previous: SignedZone, applying diff: ZoneDiff, keys: ZoneKeySet, policy: SigningPolicy = SigningPolicy(),
        now: UInt32, receipts: SignatureReceipts? = nil
    ) throws(ZoneSigningError) -> SignedZone {
        var update = Update(zone: previous.zone)
        update.apply(diff)
        var context = try Context(zone: update.zone, keys: keys, policy: policy, now: now)
        context.receipts = receipts
        guard let fingerprint = previous.fingerprint, fingerprint == context.fingerprint else {
            return try sign(zone: update.zone, keys: keys, policy: policy, now: now, receipts: receipts)
        }
        update.context = context
        update.fixSignatures()
        var digests = previous.nsec3Digests
        if let settings = policy.nsec3Settings {
            update.updateNSEC3Chain(settings: settings, digests: &digests)
        } else {
            update.updateNSECChain()
        }
        try update.signPending()
        let nextResign: UInt32
        if Int32(bitPattern: (now &+ policy.refreshBatch) &- previous.nextResign) < 0 {
            // Nothing `previous` held is due yet (`refreshDue` would find nothing to renew), so the next
            // re-signing is the earlier of its own and the new signatures', found without reading every
            // signature of the zone (tens of milliseconds at 100k names, on every change).
            nextResign = update.shortestSigned == .max ? previous.nextResign
                : earlier(previous.nextResign, UInt32(truncatingIfNeeded: Int64(now) + update.shortestSigned - Int64(policy.refreshMargin)))
        } else {
            nextResign = try update.refreshDue()
        }
        var result = SignedZone(zone: update.zone, nextResign: nextResign, fingerprint: fingerprint, nsec3Digests: digests)
        result.changedNames = Set(update.modified)
        return result
    }

    /// The earlier of two times in serial-number arithmetic (RFC 1982, as signature times are).
    static func earlier(_ a: UInt32, _ b: UInt32) -> UInt32 { Int32(bitPattern: a &- b) < 0 ? a : b }

    /// Re-signs the signatures of `signed` that are due at `now`: less than `refreshMargin` (plus
    /// `refreshBatch`, so jittered signatures are renewed in batches) before expiring, or already
    /// expired. Everything else is kept. The result's `nextResign` says when to call this again. When
    /// the keys or settings differ from those the zone was signed with, the zone is signed in full.
    public static func refresh(
        _ signed: SignedZone, keys: ZoneKeySet, policy: SigningPolicy = SigningPolicy(), now: UInt32,
        receipts: SignatureReceipts? = nil
    ) throws(ZoneSigningError) -> SignedZone {
        var context = try Context(zone: signed.zone, keys: keys, policy: policy, now: now)
        context.receipts = receipts
        guard let fingerprint = signed.fingerprint, fingerprint == context.fingerprint else {
            return try sign(zone: signed.zone, keys: keys, policy: policy, now: now, receipts: receipts)
        }
        var update = Update(zone: signed.zone)
        update.context = context
        let nextResign = try update.refreshDue()
        var result = SignedZone(zone: update.zone, nextResign: nextResign, fingerprint: fingerprint, nsec3Digests: signed.nsec3Digests)
        result.changedNames = Set(update.modified)
        return result
    }
}

extension ZoneSigner {
    /// The working state of one incremental update: the zone being edited, what changed, what must
    /// be signed.
    struct Update {
        var zone: Zone
        var context: Context!
        /// Names whose own RRsets changed (existing or not any more), unique.
        var touched: [DomainName] = []
        var touchedSet: Set<DomainName> = []
        /// Names where an NS (below the apex) or DNAME changed: the role of everything below changes.
        var structural: [DomainName] = []
        /// Names that no longer exist.
        var removedNames: [DomainName] = []
        /// Names the signature pass found, in canonical order: touched ones and the subtrees of
        /// structural changes.
        var affected: [DomainName] = []
        /// RRsets to sign once the chain is settled.
        var pending: [RRset] = []
        /// The shortest lifetime (seconds) of the signatures made so far.
        var shortestSigned = Int64.max

        init(zone: Zone) { self.zone = zone }

        var apex: DomainName { zone.origin }

        /// Has `node` data besides what the signer generates?
        static func hasData(_ node: [RRset]) -> Bool { node.contains { !SigningRoles.isSignerOwned($0.type) } }

        /// Every name whose node this update wrote (with repeats): what a copy of the zone elsewhere (the
        /// store, the serving snapshot) must rewrite.
        var modified: [DomainName] = []

        mutating func setNode(_ name: DomainName, _ node: [RRset]?) {
            modified.append(name)
            zone.nodes[name] = node
        }

        mutating func touch(_ name: DomainName, type: RecordType) {
            if touchedSet.insert(name).inserted { touched.append(name) }
            if (type == .NS && name != apex) || type == .DNAME { structural.append(name) }
        }

        /// The diff's data put in the zone; signatures over changed RRsets dropped.
        mutating func apply(_ diff: ZoneDiff) {
            let newNames = Set(diff.added.map(\.name)).filter { zone.nodes[$0] == nil }
            for rrset in diff.removed where !SigningRoles.isSignerOwned(rrset.type) {
                guard var node = zone.nodes[rrset.name] else { continue }
                node.removeAll { $0.type == rrset.type || ($0.type == .RRSIG && $0.coveredType == rrset.type) }
                setNode(rrset.name, node)
                touch(rrset.name, type: rrset.type)
            }
            for rrset in diff.added where !SigningRoles.isSignerOwned(rrset.type) && !rrset.isEmpty {
                var node = zone.nodes[rrset.name] ?? []
                node.removeAll { $0.type == .RRSIG && $0.coveredType == rrset.type }
                Zone.put(rrset, into: &node)
                setNode(rrset.name, node)
                touch(rrset.name, type: rrset.type)
            }
            // Names left without data go, NSEC and signatures with them; new names join the order.
            var inserted: [DomainName] = []
            for name in touched {
                guard let node = zone.nodes[name] else { continue }
                if !Update.hasData(node) {
                    setNode(name, nil)
                    if !newNames.contains(name) { removedNames.append(name) }
                } else if newNames.contains(name) {
                    inserted.append(name)
                }
            }
            updateSortedNames(removing: removedNames, inserting: inserted)
        }

        /// Keeps `zone.sortedNames` in step: single edits for a few names, one merge for many.
        mutating func updateSortedNames(removing: [DomainName], inserting: [DomainName]) {
            if removing.count + inserting.count <= 32 {
                for name in removing { zone.removeSortedName(name) }
                for name in inserting { zone.insertSortedName(name) }
                return
            }
            let gone = Set(removing)
            let kept = gone.isEmpty ? zone.sortedNames : zone.sortedNames.filter { !gone.contains($0) }
            zone.sortedNames = ZoneSigner.mergeCanonical(kept, Zone.canonicallySorted(inserting))
        }

        // MARK: Signatures of data

        /// For every name whose data or role changed: signatures dropped where the RRset must not be
        /// signed (or is gone), RRsets queued for signing where a signature is missing.
        mutating func fixSignatures() {
            var names = touched.filter { zone.nodes[$0] != nil }
            for top in structural {
                var index = zone.sortedIndex(of: top)
                if index < zone.sortedNames.count && zone.sortedNames[index] == top { index += 1 }
                while index < zone.sortedNames.count && zone.sortedNames[index].isSubdomain(of: top) {
                    if touchedSet.insert(zone.sortedNames[index]).inserted { names.append(zone.sortedNames[index]) }
                    index += 1
                }
            }
            affected = Zone.canonicallySorted(names)
            for name in affected {
                guard var node = zone.nodes[name] else { continue }
                let kind = SigningRoles.kind(of: name, in: zone)
                let present = Set(node.map(\.type))
                node.removeAll { rrset in
                    guard rrset.type == .RRSIG, let covered = rrset.coveredType else { return false }
                    if covered == .NSEC || covered == .NSEC3 { return !present.contains(covered) }
                    return !present.contains(covered) || !SigningRoles.isSigned(covered, kind: kind)
                }
                for rrset in node where rrset.type != .RRSIG && rrset.type != .NSEC && rrset.type != .NSEC3 {
                    guard SigningRoles.isSigned(rrset.type, kind: kind) else { continue }
                    if !node.contains(where: { $0.type == .RRSIG && $0.coveredType == rrset.type }) {
                        pending.append(rrset)
                    }
                }
                setNode(name, node)
            }
        }

        // MARK: NSEC

        /// Recomputes the NSEC records of the affected names and of the chain members before the
        /// affected and removed names; drops NSEC records of names that left the chain.
        mutating func updateNSECChain() {
            let names = zone.sortedNames
            var kindCache: [Int: NameKind] = [:]
            func isMember(_ index: Int) -> Bool {
                if let kind = kindCache[index] { return SigningRoles.isInChain(kind) }
                let kind = SigningRoles.kind(of: names[index], in: zone)
                kindCache[index] = kind
                return SigningRoles.isInChain(kind)
            }
            guard let apexIndex = names.firstIndex(of: apex) else { return }

            var recompute: Set<Int> = []
            var positions: [Int] = []
            for name in affected {
                let index = zone.sortedIndex(of: name)
                guard index < names.count, names[index] == name else { continue }
                positions.append(index)
                if isMember(index) {
                    recompute.insert(index)
                } else if var node = zone.nodes[name], node.contains(where: { $0.type == .NSEC }) {
                    node.removeAll { $0.type == .NSEC || ($0.type == .RRSIG && $0.coveredType == .NSEC) }
                    setNode(name, node)
                }
            }
            for name in removedNames { positions.append(zone.sortedIndex(of: name)) }
            positions.sort()

            // The member before each position. Backward scans from ascending positions never cover
            // the same names twice: a scan stops where the previous one started.
            var scannedDownTo = -1
            var memberAtOrBelow: Int? = nil
            var lastMember: Int? = nil
            for position in positions {
                var index = position - 1
                var found: Int? = nil
                while index >= 0 {
                    if index <= scannedDownTo {
                        found = memberAtOrBelow
                        break
                    }
                    if isMember(index) {
                        found = index
                        break
                    }
                    index -= 1
                }
                scannedDownTo = position - 1
                memberAtOrBelow = found
                if let found {
                    recompute.insert(found)
                } else {
                    // Before the first member: the last member of the zone points at it (wraps).
                    if lastMember == nil {
                        var last = names.count - 1
                        while last >= 0 && !isMember(last) { last -= 1 }
                        lastMember = last >= 0 ? last : nil
                    }
                    if let lastMember { recompute.insert(lastMember) }
                }
            }

            for index in recompute.sorted() {
                var next = index + 1
                while next < names.count && !isMember(next) { next += 1 }
                if next == names.count { next = apexIndex }
                let name = names[index]
                var node = zone.nodes[name]!
                let types = SigningRoles.bitmapTypes(node: node, kind: kindCache[index]!, nsec: true)
                let record = NSECChain.rrset(
                    owner: name, next: names[next], types: types, ttl: context.denialTTL, dnsClass: context.dnsClass)
                let existing = node.first { $0.type == .NSEC }
                if existing != record {
                    node.removeAll { $0.type == .RRSIG && $0.coveredType == .NSEC }
                    Zone.put(record, into: &node)
                    setNode(name, node)
                    pending.append(record)
                } else if !node.contains(where: { $0.type == .RRSIG && $0.coveredType == .NSEC }) {
                    pending.append(record)
                }
            }
        }

        // MARK: NSEC3

        /// Updates the NSEC3 records of the affected and removed names and of their ancestors (empty
        /// non-terminals appear and vanish with their descendants), and the records before them in
        /// hash order. `digests` is the chain in hash order, kept in step.
        mutating func updateNSEC3Chain(settings: SigningPolicy.NSEC3Settings, digests: inout [NSEC3Hash.Digest]) {
            let hasher = settings.hasher
            let signer = context.signer

            // Every name whose record may change: affected and removed names and their ancestors.
            var candidates: [DomainName] = []
            var seen: Set<DomainName> = []
            for name in affected + removedNames {
                var current: DomainName? = name
                while let value = current, value.isSubdomain(of: apex), seen.insert(value).inserted {
                    candidates.append(value)
                    current = value == apex ? nil : value.parent
                }
            }

            var bitmaps: [NSEC3Hash.Digest: [RecordType]] = [:]
            var marked: Set<NSEC3Hash.Digest> = []
            var predecessorsOf: [NSEC3Hash.Digest] = []
            var newOwners: [DomainName] = []
            var goneOwners: [DomainName] = []
            for name in candidates {
                let digest = hasher.digest(name)
                var types: [RecordType]? = nil
                if let node = zone.nodes[name], Update.hasData(node) {
                    let kind = SigningRoles.kind(of: name, in: zone)
                    if isNSEC3Member(node: node, kind: kind, optOut: settings.optOut) {
                        types = SigningRoles.bitmapTypes(node: node, kind: kind, nsec: false)
                    }
                }
                if types == nil && name != apex && hasMemberDescendant(name, optOut: settings.optOut) { types = [] }
                let (position, present) = Update.position(of: digest, in: digests)
                if let types {
                    bitmaps[digest] = types
                    marked.insert(digest)
                    if !present {
                        digests.insert(digest, at: position)
                        predecessorsOf.append(digest)
                        newOwners.append(digest.ownerName(zone: signer))
                    }
                } else if present {
                    digests.remove(at: position)
                    predecessorsOf.append(digest)
                    let owner = digest.ownerName(zone: signer)
                    setNode(owner, nil)
                    goneOwners.append(owner)
                }
            }
            for digest in predecessorsOf where !digests.isEmpty {
                let position = Update.position(of: digest, in: digests).0
                marked.insert(digests[position == 0 ? digests.count - 1 : position - 1])
            }

            for digest in marked {
                let (position, present) = Update.position(of: digest, in: digests)
                guard present else { continue }
                let owner = digest.ownerName(zone: signer)
                let existing = zone.nodes[owner]?.first { $0.type == .NSEC3 }
                var types = bitmaps[digest]
                if types == nil, case .nsec3(let old)? = existing?.rdatas.first { types = old.types.types }
                let next = digests[position + 1 < digests.count ? position + 1 : 0]
                let record = NSEC3Chain.rrset(
                    digest: digest, next: next, types: types ?? [], settings: settings, apex: signer,
                    ttl: context.denialTTL, dnsClass: context.dnsClass)
                if existing != record || zone.nodes[owner]!.count < 2 {
                    setNode(owner, [record])
                    pending.append(record)
                }
            }
            updateSortedNames(removing: goneOwners, inserting: newOwners)
        }

        /// In the NSEC3 chain by itself: apex, authoritative names, delegations (not insecure ones
        /// under opt-out).
        func isNSEC3Member(node: [RRset], kind: NameKind, optOut: Bool) -> Bool {
            SigningRoles.isInChain(kind) && !(optOut && ZoneSigner.isInsecureDelegation(node, kind: kind))
        }

        /// Whether some name below `name` is an NSEC3 member (which makes `name`, when it is not one
        /// itself, an empty non-terminal). Descendants follow `name` in canonical order.
        func hasMemberDescendant(_ name: DomainName, optOut: Bool) -> Bool {
            var index = zone.sortedIndex(of: name)
            let names = zone.sortedNames
            if index < names.count && names[index] == name { index += 1 }
            while index < names.count && names[index].isSubdomain(of: name) {
                let node = zone.nodes[names[index]]!
                if Update.hasData(node)
                    && isNSEC3Member(node: node, kind: SigningRoles.kind(of: names[index], in: zone), optOut: optOut)
                {
                    return true
                }
                index += 1
            }
            return false
        }

        static func position(of digest: NSEC3Hash.Digest, in digests: [NSEC3Hash.Digest]) -> (Int, Bool) {
            var low = 0
            var high = digests.count
            while low < high {
                let mid = (low + high) / 2
                if digests[mid] < digest { low = mid + 1 } else { high = mid }
            }
            return (low, low < digests.count && digests[low] == digest)
        }

        // MARK: Signing

        /// Signs the queued RRsets (on all cores when there are many) and puts their RRSIG sets in.
        mutating func signPending() throws(ZoneSigningError) {
            guard !pending.isEmpty else { return }
            let jobs = pending
            let context = context!
            for job in jobs { shortestSigned = min(shortestSigned, Int64(context.lifetime(of: job))) }
            let results = ParallelWork.map(count: jobs.count, minimumChunk: 32, scratch: { () -> [UInt8] in
                var buffer: [UInt8] = []
                buffer.reserveCapacity(4096)
                return buffer
            }) { index, buffer -> Result<RRset, ZoneSigningError> in
                do throws(ZoneSigningError) {
                    return .success(try context.sign(jobs[index], buffer: &buffer))
                } catch {
                    return .failure(error)
                }
            }
            for result in results {
                switch result {
                case .success(let signatures):
                    modified.append(signatures.name)
                    Zone.put(signatures, into: &zone.nodes[signatures.name, default: []])
                case .failure(let error): throw error
                }
            }
            pending = []
        }

        /// Re-signs every RRset whose signatures are due and returns the new `nextResign`.
        mutating func refreshDue() throws(ZoneSigningError) -> UInt32 {
            let policy = context.policy
            let now = context.now
            var shortest = Int64.max
            for node in zone.nodes.values {
                for rrset in node where rrset.type == .RRSIG {
                    var due = false
                    var remaining = Int64.max
                    for bytes in rrset.canonicalRData where bytes.count >= 12 {
                        let expiration = UInt32(bytes[8]) << 24 | UInt32(bytes[9]) << 16 | UInt32(bytes[10]) << 8 | UInt32(bytes[11])
                        if policy.isDue(expiration: expiration, now: now) { due = true }
                        remaining = min(remaining, Int64(Int32(bitPattern: expiration &- now)))
                    }
                    if due, let covered = rrset.coveredType, let target = node.first(where: { $0.type == covered }) {
                        pending.append(target)
                    } else {
                        shortest = min(shortest, remaining)
                    }
                }
            }
            for rrset in pending { shortest = min(shortest, Int64(context.lifetime(of: rrset))) }
            try signPending()
            guard shortest != Int64.max else { return now &+ policy.validity &- policy.refreshMargin }
            return UInt32(truncatingIfNeeded: Int64(now) + shortest - Int64(policy.refreshMargin))
        }
    }
}
