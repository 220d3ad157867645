extension ZoneVerifier {
    /// The NSEC or NSEC3 chain: complete (every name that needs a record has one), without extra
    /// records, in order and closed, with the right type bitmaps.
    static func verifyChain(_ view: View) -> [VerificationFailure] {
        let apex = view.zone.origin
        let hasNSEC = view.nodes.contains { $0.contains { $0.type == .NSEC } }
        let hasNSEC3 = view.isNSEC3Owner.contains(true) || view.zone.rrset(at: apex, type: .NSEC3PARAM) != nil
        if hasNSEC && hasNSEC3 { return [.init(owner: apex, type: nil, reason: .mixedDenialChains)] }
        if hasNSEC3 { return verifyNSEC3(view) }
        if hasNSEC { return verifyNSEC(view) }
        return [.init(owner: apex, type: nil, reason: .noDenialChain)]
    }

    /// The bitmap a name's record must carry, sorted (as `TypeBitmap.types` is).
    static func expectedTypes(_ node: [RRset], kind: NameKind, nsec: Bool) -> [RecordType] {
        var types = SigningRoles.bitmapTypes(node: node, kind: kind, nsec: nsec)
        types.sort()
        return types
    }

    static func verifyNSEC(_ view: View) -> [VerificationFailure] {
        var failures: [VerificationFailure] = []
        let names = view.names
        let members = names.indices.filter { SigningRoles.isInChain(view.kinds[$0]) }
        for (position, index) in members.enumerated() {
            let name = names[index]
            let node = view.nodes[index]
            guard let set = node.first(where: { $0.type == .NSEC }), case .nsec(let nsec) = set.rdatas.first else {
                failures.append(.init(owner: name, type: .NSEC, reason: .missingDenialRecord))
                continue
            }
            if set.count > 1 { failures.append(.init(owner: name, type: .NSEC, reason: .extraDenialRecord)) }
            let next = names[members[position + 1 < members.count ? position + 1 : 0]]
            if nsec.nextName != next {
                failures.append(.init(
                    owner: name, type: .NSEC, reason: .wrongNext(expected: next.text, found: nsec.nextName.text)))
            }
            let expected = expectedTypes(node, kind: view.kinds[index], nsec: true)
            if expected != nsec.types.types {
                failures.append(.init(owner: name, type: .NSEC, reason: .wrongTypes(expected: expected, found: nsec.types.types)))
            }
        }
        for index in names.indices where !SigningRoles.isInChain(view.kinds[index]) {
            if view.nodes[index].contains(where: { $0.type == .NSEC }) {
                failures.append(.init(owner: names[index], type: .NSEC, reason: .extraDenialRecord))
            }
        }
        return failures
    }

    /// One NSEC3 record of the zone.
    struct NSEC3Record {
        var digest: NSEC3Hash.Digest
        var owner: DomainName
        var nsec3: NSEC3
    }

    static func verifyNSEC3(_ view: View) -> [VerificationFailure] {
        var failures: [VerificationFailure] = []
        let zone = view.zone
        let apex = zone.origin
        let names = view.names

        // The parameters: the apex NSEC3PARAM, else (reported) those of the first NSEC3 record.
        var parameters: (algorithm: UInt8, iterations: UInt16, salt: [UInt8])?
        if let set = zone.rrset(at: apex, type: .NSEC3PARAM), case .nsec3param(let param) = set.rdatas.first {
            parameters = (param.hashAlgorithm, param.iterations, param.salt)
            if set.count > 1 {
                failures.append(.init(owner: apex, type: .NSEC3PARAM, reason: .nsec3Parameters("more than one NSEC3PARAM")))
            }
        } else {
            failures.append(.init(owner: apex, type: .NSEC3PARAM, reason: .nsec3Parameters("no NSEC3PARAM at the apex")))
            for index in names.indices where view.isNSEC3Owner[index] {
                if let set = view.nodes[index].first(where: { $0.type == .NSEC3 }), case .nsec3(let first) = set.rdatas.first {
                    parameters = (first.hashAlgorithm, first.iterations, first.salt)
                    break
                }
            }
        }
        guard let parameters,
              let hasher = NSEC3Hash(hashAlgorithm: parameters.algorithm, salt: parameters.salt, iterations: parameters.iterations)
        else {
            failures.append(.init(owner: apex, type: .NSEC3PARAM, reason: .nsec3Parameters("unknown NSEC3 hash algorithm")))
            return failures
        }

        // The records present, in hash order.
        var records: [NSEC3Record] = []
        for index in names.indices {
            guard let set = view.nodes[index].first(where: { $0.type == .NSEC3 }) else { continue }
            let name = names[index]
            guard view.isNSEC3Owner[index], let digest = NSEC3Hash.Digest(owner: name, zone: apex),
                  case .nsec3(let nsec3) = set.rdatas.first
            else {
                failures.append(.init(owner: name, type: .NSEC3, reason: .extraDenialRecord))
                continue
            }
            if set.count > 1 { failures.append(.init(owner: name, type: .NSEC3, reason: .extraDenialRecord)) }
            if nsec3.hashAlgorithm != parameters.algorithm || nsec3.iterations != parameters.iterations
                || nsec3.salt != parameters.salt
            {
                failures.append(.init(
                    owner: name, type: .NSEC3, reason: .nsec3Parameters("parameters differ from the NSEC3PARAM")))
            }
            records.append(NSEC3Record(digest: digest, owner: name, nsec3: nsec3))
        }
        records.sort { $0.digest < $1.digest }
        func position(of digest: NSEC3Hash.Digest) -> (index: Int, found: Bool) {
            var low = 0
            var high = records.count
            while low < high {
                let mid = (low + high) / 2
                if records[mid].digest < digest { low = mid + 1 } else { high = mid }
            }
            return (low, low < records.count && records[low].digest == digest)
        }

        // The names that need a record (secure ones), and those that may go without under opt-out:
        // insecure delegations and the empty non-terminals only they create.
        var required: [DomainName] = []
        var requiredIndex: [Int] = []
        var insecure: [DomainName] = []
        var insecureIndex: [Int] = []
        var all: [DomainName] = []
        for index in names.indices where !view.isNSEC3Owner[index] && SigningRoles.isInChain(view.kinds[index]) {
            all.append(names[index])
            if ZoneSigner.isInsecureDelegation(view.nodes[index], kind: view.kinds[index]) {
                insecure.append(names[index])
                insecureIndex.append(index)
            } else {
                required.append(names[index])
                requiredIndex.append(index)
            }
        }
        // Both lists are in canonical order, as `emptyNonTerminals` needs.
        let requiredEmpty = NSEC3Chain.emptyNonTerminals(of: required, apex: apex)
        let requiredEmptySet = Set(requiredEmpty)
        let insecureEmpty = NSEC3Chain.emptyNonTerminals(of: all, apex: apex).filter { !requiredEmptySet.contains($0) }

        // Each candidate hashed and checked on all cores: (name, node index or nil for an empty
        // non-terminal, must have its own record).
        var candidates: [(name: DomainName, index: Int?, required: Bool)] = []
        candidates.reserveCapacity(all.count + requiredEmpty.count + insecureEmpty.count)
        candidates += zip(required, requiredIndex).map { ($0, $1, true) }
        candidates += requiredEmpty.map { ($0, nil, true) }
        candidates += zip(insecure, insecureIndex).map { ($0, $1, false) }
        candidates += insecureEmpty.map { ($0, nil, false) }
        let outcomes = ParallelWork.map(count: candidates.count, minimumChunk: 256, scratch: { () }) {
            index, _ -> (matched: Int?, failure: VerificationFailure?) in
            let candidate = candidates[index]
            let digest = hasher.digest(candidate.name)
            let (at, found) = position(of: digest)
            guard found else {
                if candidate.required {
                    return (nil, .init(owner: candidate.name, type: .NSEC3, reason: .missingDenialRecord))
                }
                // Covered by the record before it in hash order (wrapping), which must be opt-out.
                let covering = at == 0 ? records.last : records[at - 1]
                if covering?.nsec3.isOptOut != true {
                    return (nil, .init(owner: candidate.name, type: .NSEC3, reason: .notCoveredByOptOut))
                }
                return (nil, nil)
            }
            var expected: [RecordType] = []
            if let node = candidate.index {
                expected = expectedTypes(view.nodes[node], kind: view.kinds[node], nsec: false)
            }
            let found3 = records[at].nsec3.types.types
            if expected != found3 {
                return (at, .init(owner: records[at].owner, type: .NSEC3, reason: .wrongTypes(expected: expected, found: found3)))
            }
            return (at, nil)
        }

        var matched = [Bool](repeating: false, count: records.count)
        for outcome in outcomes {
            if let index = outcome.matched { matched[index] = true }
            if let failure = outcome.failure { failures.append(failure) }
        }
        for (index, record) in records.enumerated() {
            if !matched[index] {
                failures.append(.init(owner: record.owner, type: .NSEC3, reason: .extraDenialRecord))
            }
            let next = records[index + 1 < records.count ? index + 1 : 0].digest
            let found = record.nsec3.nextHashedOwner
            if found.count != NSEC3Hash.length || NSEC3Hash.Digest(found) != next {
                failures.append(.init(
                    owner: record.owner, type: .NSEC3,
                    reason: .wrongNext(
                        expected: Base32Hex.encode(next.bytes).uppercased(), found: Base32Hex.encode(found).uppercased())))
            }
        }
        return failures
    }
}
