/// Checks a whole signed zone, whoever signed it, the way a validator would see it at `now`:
///
/// - the apex DNSKEY RRset is signed by a key with the SEP bit (KSK or CSK);
/// - every authoritative RRset (DS and NSEC at cuts included) has a valid, current signature by a key
///   of every algorithm of the DNSKEY RRset (RFC 4035 §2.2), and every signature present verifies
///   with an active zone key, is inside its validity period and names the apex as signer;
/// - nothing that must not be signed is (NS at a cut, glue, occluded data);
/// - the NSEC or NSEC3 chain holds exactly the names it must, in order, closed, with the right type
///   bitmaps (NSEC3: hashes recomputed from the NSEC3PARAM, Opt-Out honoured).
///
/// Signatures are checked on all cores. The result is empty for a good zone, else every failure
/// found, in canonical owner order.
public enum ZoneVerifier {
    public static func verify(_ zone: Zone, now: UInt32) -> [VerificationFailure] {
        var failures: [VerificationFailure] = []
        let apex = zone.origin
        guard let dnskeySet = zone.rrset(at: apex, type: .DNSKEY) else {
            return [VerificationFailure(owner: apex, type: .DNSKEY, reason: .noDNSKEY)]
        }
        let keys = usableKeys(dnskeySet)
        let algorithms = Set(keys.map(\.algorithm)).sorted()
        if keys.isEmpty {
            failures.append(.init(owner: apex, type: .DNSKEY, reason: .noUsableKey))
        }

        let kinds = SigningRoles.classify(zone)
        let names = zone.sortedNames
        let nsec3Owner = names.indices.map { isNSEC3Owner(names[$0], node: zone.nodes[names[$0]]!, apex: apex) }

        // Which RRsets must be signed, which signatures to check.
        var signedSets: [RRset] = []
        var checks: [SignatureCheck] = []
        for index in names.indices {
            let name = names[index]
            let node = zone.nodes[name]!
            let kind = kinds[index]
            for rrset in node {
                if rrset.type == .RRSIG {
                    guard let covered = rrset.coveredType else { continue }
                    if !node.contains(where: { $0.type == covered }) {
                        failures.append(.init(owner: name, type: covered, reason: .orphanSignature))
                    } else if !SigningRoles.isSigned(covered, kind: kind) {
                        failures.append(.init(owner: name, type: covered, reason: .unexpectedSignature))
                    }
                    continue
                }
                guard SigningRoles.isSigned(rrset.type, kind: kind) else { continue }
                let setIndex = signedSets.count
                signedSets.append(rrset)
                guard let signatures = zone.signatures(at: name, covering: rrset.type) else { continue }
                for case .rrsig(let rrsig) in signatures.rdatas {
                    if let failure = precheck(rrsig, owner: name, type: rrset.type, apex: apex, now: now) {
                        failures.append(failure)
                        continue
                    }
                    let candidates = keys.indices.filter {
                        keys[$0].keyTag == rrsig.keyTag && keys[$0].algorithm.rawValue == rrsig.algorithm
                    }
                    if candidates.isEmpty {
                        // Signatures of algorithms we cannot verify are ignored, as a validator would.
                        if DNSSECAlgorithm(rrsig.algorithm).isSupported {
                            failures.append(.init(
                                owner: name, type: rrset.type,
                                reason: .unknownKey(keyTag: rrsig.keyTag, algorithm: rrsig.algorithm)))
                        }
                        continue
                    }
                    checks.append(SignatureCheck(set: setIndex, rrsig: rrsig, candidates: candidates))
                }
            }
        }

        // The cryptography, on all cores: which key (if any) each signature verifies with.
        let verifiedBy = ParallelWork.map(count: checks.count, minimumChunk: 16, scratch: { () -> [UInt8] in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(4096)
            return buffer
        }) { index, buffer -> Int? in
            let check = checks[index]
            buffer.removeAll(keepingCapacity: true)
            check.rrsig.appendSignedData(over: signedSets[check.set], to: &buffer)
            return check.candidates.first { keys[$0].publicKey.isValidSignature(check.rrsig.signature, over: buffer) }
        }

        var algorithmsBySet = [Set<DNSSECAlgorithm>](repeating: [], count: signedSets.count)
        var sepSigned = false
        for (check, key) in zip(checks, verifiedBy) {
            let rrset = signedSets[check.set]
            guard let key else {
                failures.append(.init(owner: rrset.name, type: rrset.type, reason: .invalidSignature(keyTag: check.rrsig.keyTag)))
                continue
            }
            algorithmsBySet[check.set].insert(keys[key].algorithm)
            if rrset.type == .DNSKEY && rrset.name == apex && keys[key].isSEP { sepSigned = true }
        }
        for (index, rrset) in signedSets.enumerated() {
            for algorithm in algorithms where !algorithmsBySet[index].contains(algorithm) {
                failures.append(.init(owner: rrset.name, type: rrset.type, reason: .missingSignature(algorithm: algorithm)))
            }
        }
        if !keys.isEmpty && !sepSigned {
            failures.append(.init(owner: apex, type: .DNSKEY, reason: .dnskeyNotSignedBySEPKey))
        }

        failures += verifyChain(zone, kinds: kinds, nsec3Owner: nsec3Owner)
        return failures.sorted { lhs, rhs in
            let order = DomainName.canonicalCompare(lhs.owner, rhs.owner)
            if order != 0 { return order < 0 }
            return (lhs.type?.rawValue ?? 0) < (rhs.type?.rawValue ?? 0)
        }
    }

    /// One signature to verify: the signed RRset (index into the list), the RRSIG, the keys it may be by.
    struct SignatureCheck {
        var set: Int
        var rrsig: RRSIG
        var candidates: [Int]
    }

    /// An active zone key of the DNSKEY RRset.
    struct Key {
        var keyTag: UInt16
        var algorithm: DNSSECAlgorithm
        var isSEP: Bool
        var publicKey: DNSSECPublicKey
    }

    /// DNSKEYs with the Zone Key bit, protocol 3, not revoked (RFC 5011), of a supported algorithm.
    static func usableKeys(_ set: RRset) -> [Key] {
        var keys: [Key] = []
        for case .dnskey(let dnskey) in set.rdatas {
            guard dnskey.isZoneKey, dnskey.protocol == 3, dnskey.flags & 0x0080 == 0,
                  let publicKey = try? DNSSECPublicKey(dnskey)
            else { continue }
            keys.append(Key(
                keyTag: dnskey.keyTag, algorithm: DNSSECAlgorithm(dnskey.algorithm),
                isSEP: dnskey.isSecureEntryPoint, publicKey: publicKey))
        }
        return keys
    }

    /// The checks that need no cryptography: signer, labels, validity period.
    static func precheck(_ rrsig: RRSIG, owner: DomainName, type: RecordType, apex: DomainName, now: UInt32) -> VerificationFailure? {
        if rrsig.signerName != apex {
            return .init(owner: owner, type: type, reason: .wrongSigner(rrsig.signerName))
        }
        if rrsig.labels != owner.rrsigLabelCount {
            return .init(owner: owner, type: type, reason: .wrongLabels(found: rrsig.labels, expected: owner.rrsigLabelCount))
        }
        // Serial-number arithmetic (RFC 4034 §3.1.5).
        if Int32(bitPattern: now &- rrsig.inception) < 0 {
            return .init(owner: owner, type: type, reason: .notYetValid(keyTag: rrsig.keyTag, inception: rrsig.inception))
        }
        if Int32(bitPattern: rrsig.expiration &- now) < 0 {
            return .init(owner: owner, type: type, reason: .expired(keyTag: rrsig.keyTag, expiration: rrsig.expiration))
        }
        return nil
    }

    /// A name one label below the apex whose label is a base32hex SHA-1 hash and that holds only
    /// NSEC3 records and their signatures.
    static func isNSEC3Owner(_ name: DomainName, node: [RRset], apex: DomainName) -> Bool {
        guard node.contains(where: { $0.type == .NSEC3 }),
              node.allSatisfy({ $0.type == .NSEC3 || ($0.type == .RRSIG && $0.coveredType == .NSEC3) })
        else { return false }
        return NSEC3Hash.Digest(owner: name, zone: apex) != nil
    }
}
