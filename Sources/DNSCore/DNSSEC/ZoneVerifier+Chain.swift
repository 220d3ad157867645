extension ZoneVerifier {
    /// The NSEC or NSEC3 chain: complete (every name that needs a record has one), without extra
    /// records, in order and closed, with the right type bitmaps.
    static func verifyChain(_ zone: Zone, kinds: [NameKind], nsec3Owner: [Bool]) -> [VerificationFailure] {
        let apex = zone.origin
        let names = zone.sortedNames
        let hasNSEC = names.contains { zone.nodes[$0]!.contains { $0.type == .NSEC } }
        let hasNSEC3 = nsec3Owner.contains(true) || zone.rrset(at: apex, type: .NSEC3PARAM) != nil
        if hasNSEC && hasNSEC3 { return [.init(owner: apex, type: nil, reason: .mixedDenialChains)] }
        if hasNSEC3 { return verifyNSEC3(zone, kinds: kinds, nsec3Owner: nsec3Owner) }
        if hasNSEC { return verifyNSEC(zone, kinds: kinds) }
        return [.init(owner: apex, type: nil, reason: .noDenialChain)]
    }

    static func verifyNSEC(_ zone: Zone, kinds: [NameKind]) -> [VerificationFailure] {
        var failures: [VerificationFailure] = []
        let names = zone.sortedNames
        let members = names.indices.filter { SigningRoles.isInChain(kinds[$0]) }
        for (position, index) in members.enumerated() {
            let name = names[index]
            let node = zone.nodes[name]!
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
            let expected = TypeBitmap(SigningRoles.bitmapTypes(node: node, kind: kinds[index], nsec: true)).types
            if expected != nsec.types.types {
                failures.append(.init(owner: name, type: .NSEC, reason: .wrongTypes(expected: expected, found: nsec.types.types)))
            }
        }
        for index in names.indices where !SigningRoles.isInChain(kinds[index]) {
            if zone.nodes[names[index]]!.contains(where: { $0.type == .NSEC }) {
                failures.append(.init(owner: names[index], type: .NSEC, reason: .extraDenialRecord))
            }
        }
        return failures
    }

    static func verifyNSEC3(_ zone: Zone, kinds: [NameKind], nsec3Owner: [Bool]) -> [VerificationFailure] {
        var failures: [VerificationFailure] = []
        let apex = zone.origin
        let names = zone.sortedNames

        // The parameters: the apex NSEC3PARAM, else (reported) those of the first NSEC3 record.
        var parameters: (algorithm: UInt8, iterations: UInt16, salt: [UInt8])?
        if let set = zone.rrset(at: apex, type: .NSEC3PARAM), case .nsec3param(let param) = set.rdatas.first {
            parameters = (param.hashAlgorithm, param.iterations, param.salt)
            if set.count > 1 {
                failures.append(.init(owner: apex, type: .NSEC3PARAM, reason: .nsec3Parameters("more than one NSEC3PARAM")))
            }
        } else {
            failures.append(.init(owner: apex, type: .NSEC3PARAM, reason: .nsec3Parameters("no NSEC3PARAM at the apex")))
            for index in names.indices where nsec3Owner[index] {
                if case .nsec3(let first) = zone.rrset(at: names[index], type: .NSEC3)!.rdatas.first {
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

        // The records present, by hash.
        var records: [NSEC3Hash.Digest: (owner: DomainName, nsec3: NSEC3)] = [:]
        for index in names.indices {
            let name = names[index]
            guard let set = zone.rrset(at: name, type: .NSEC3) else { continue }
            guard nsec3Owner[index], let digest = NSEC3Hash.Digest(owner: name, zone: apex),
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
            records[digest] = (name, nsec3)
        }
        let order = records.keys.sorted()

        // The names that need a record (secure ones) and those that may go without under opt-out.
        var required: [DomainName] = []
        var requiredIndex: [Int] = []
        var insecure: [DomainName] = []
        var insecureIndex: [Int] = []
        for index in names.indices where !nsec3Owner[index] && SigningRoles.isInChain(kinds[index]) {
            if ZoneSigner.isInsecureDelegation(zone.nodes[names[index]]!, kind: kinds[index]) {
                insecure.append(names[index])
                insecureIndex.append(index)
            } else {
                required.append(names[index])
                requiredIndex.append(index)
            }
        }
        let requiredEmpty = NSEC3Chain.emptyNonTerminals(of: required, apex: apex)
        let requiredEmptySet = Set(requiredEmpty)
        let insecureEmpty = NSEC3Chain.emptyNonTerminals(of: required + insecure, apex: apex)
            .filter { !requiredEmptySet.contains($0) }

        // (name, node index or nil for an empty non-terminal, needs its own record)
        var candidates: [(name: DomainName, index: Int?, required: Bool)] = []
        candidates += zip(required, requiredIndex).map { ($0, $1, true) }
        candidates += requiredEmpty.map { ($0, nil, true) }
        candidates += zip(insecure, insecureIndex).map { ($0, $1, false) }
        candidates += insecureEmpty.map { ($0, nil, false) }
        let digests = ParallelWork.map(count: candidates.count, minimumChunk: 512, scratch: { () }) { index, _ in
            hasher.digest(candidates[index].name)
        }

        var matched: Set<NSEC3Hash.Digest> = []
        for (candidate, digest) in zip(candidates, digests) {
            guard let record = records[digest] else {
                if candidate.required {
                    failures.append(.init(owner: candidate.name, type: .NSEC3, reason: .missingDenialRecord))
                } else if !isCoveredByOptOut(digest, order: order, records: records) {
                    failures.append(.init(owner: candidate.name, type: .NSEC3, reason: .notCoveredByOptOut))
                }
                continue
            }
            matched.insert(digest)
            var expected: [RecordType] = []
            if let index = candidate.index {
                expected = TypeBitmap(SigningRoles.bitmapTypes(node: zone.nodes[names[index]]!, kind: kinds[index], nsec: false)).types
            }
            if expected != record.nsec3.types.types {
                failures.append(.init(
                    owner: record.owner, type: .NSEC3, reason: .wrongTypes(expected: expected, found: record.nsec3.types.types)))
            }
        }

        for (position, digest) in order.enumerated() {
            let record = records[digest]!
            if !matched.contains(digest) {
                failures.append(.init(owner: record.owner, type: .NSEC3, reason: .extraDenialRecord))
            }
            let next = order[position + 1 < order.count ? position + 1 : 0]
            if record.nsec3.nextHashedOwner != next.bytes {
                failures.append(.init(
                    owner: record.owner, type: .NSEC3,
                    reason: .wrongNext(
                        expected: Base32Hex.encode(next.bytes).uppercased(),
                        found: Base32Hex.encode(record.nsec3.nextHashedOwner).uppercased())))
            }
        }
        return failures
    }

    /// Whether the NSEC3 record covering `digest` (the one with the highest hash below it, wrapping
    /// around) has the Opt-Out flag.
    static func isCoveredByOptOut(
        _ digest: NSEC3Hash.Digest, order: [NSEC3Hash.Digest], records: [NSEC3Hash.Digest: (owner: DomainName, nsec3: NSEC3)]
    ) -> Bool {
        guard let last = order.last else { return false }
        var low = 0
        var high = order.count
        while low < high {
            let mid = (low + high) / 2
            if order[mid] < digest { low = mid + 1 } else { high = mid }
        }
        let covering = low == 0 ? last : order[low - 1]
        return records[covering]!.nsec3.isOptOut
    }
}
