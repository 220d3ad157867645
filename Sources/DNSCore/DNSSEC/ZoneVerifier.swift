/// Checks a whole signed zone, whoever signed it, the way a validator would see it at `now`:
///
/// - the apex DNSKEY RRset is signed by a key with the SEP bit (KSK or CSK);
/// - every authoritative RRset (DS and NSEC at cuts included) has a valid, current signature by a key
///   of every algorithm of the DNSKEY RRset (RFC 4035 §2.2), and every signature present verifies
///   with a zone key of the DNSKEY RRset, is inside its validity period and names the apex as signer;
/// - nothing that must not be signed is (NS at a cut, glue, occluded data);
/// - the NSEC or NSEC3 chain holds exactly the names it must, in order, closed, with the right type
///   bitmaps (NSEC3: hashes recomputed from the NSEC3PARAM, Opt-Out honoured).
///
/// Names are checked on all cores, each with its signatures. The result is empty for a good zone,
/// else every failure found, in canonical owner order.
public enum ZoneVerifier {
    ///
    /// `unpublishedKeys`: keys of the signer's own that sign without being in the DNSKEY RRset (an
    /// algorithm rollover's new keys before publication, its old ones after): their signatures are
    /// checked like the others but count for no algorithm, as a validator that cannot see them ignores them.
    ///
    /// `receipts`: what the signer that made `zone` recorded (`SignatureReceipts`); a signature with a
    /// receipt for the key and the rebuilt signed data needs no public-key arithmetic.
    public static func verify(_ zone: Zone, now: UInt32, unpublishedKeys: [DNSKEY] = [],
                              receipts: SignatureReceipts? = nil) -> [VerificationFailure] {
        let apex = zone.origin
        guard case (let keys, var failures)? = apexKeys(zone, unpublishedKeys: unpublishedKeys) else {
            return [VerificationFailure(owner: apex, type: .DNSKEY, reason: .noDNSKEY)]
        }
        let view = View(zone)

        // Signatures, name by name on all cores.
        let context = NodeContext(apex: apex, now: now, keys: keys, receipts: receipts)
        let results = ParallelWork.map(count: view.names.count, minimumChunk: 64, scratch: { () -> [UInt8] in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(4096)
            return buffer
        }) { index, buffer in
            context.verify(name: view.names[index], node: view.nodes[index], kind: view.kinds[index], buffer: &buffer)
        }
        var sepSigned = false
        for result in results {
            failures += result.failures
            sepSigned = sepSigned || result.dnskeySignedBySEP
        }
        if keys.contains(where: { !$0.isRevoked }) && !sepSigned {
            failures.append(.init(owner: apex, type: .DNSKEY, reason: .dnskeyNotSignedBySEPKey))
        }

        failures += verifyChain(view)
        return failures.sorted { lhs, rhs in
            let order = ZoneSigner.canonicalCompare(lhs.owner, rhs.owner)
            if order != 0 { return order < 0 }
            return (lhs.type?.rawValue ?? 0) < (rhs.type?.rawValue ?? 0)
        }
    }

    /// The usable keys of the apex DNSKEY RRset, and the failure when none is active; nil without DNSKEY.
    static func apexKeys(_ zone: Zone, unpublishedKeys: [DNSKEY] = []) -> (keys: [Key], failures: [VerificationFailure])? {
        guard let dnskeySet = zone.rrset(at: zone.origin, type: .DNSKEY) else { return nil }
        var keys = usableKeys(dnskeySet)
        let extra = RRset(name: zone.origin, type: .DNSKEY, dnsClass: zone.dnsClass, ttl: 0,
                          rdatas: unpublishedKeys.filter { !dnskeySet.rdatas.contains(.dnskey($0)) }.map { .dnskey($0) })
        for var key in usableKeys(extra) {
            key.isPublished = false
            keys.append(key)
        }
        let failures: [VerificationFailure] = keys.contains(where: { !$0.isRevoked && $0.isPublished })
            ? [] : [.init(owner: zone.origin, type: .DNSKEY, reason: .noUsableKey)]
        return (keys, failures)
    }

    /// The zone's names in canonical order with their nodes, kinds, and which are NSEC3 owners.
    struct View {
        let zone: Zone
        let names: [DomainName]
        let nodes: [[RRset]]
        let kinds: [NameKind]
        let isNSEC3Owner: [Bool]

        init(_ zone: Zone) {
            self.zone = zone
            names = zone.sortedNames
            let names = names
            nodes = ParallelWork.map(count: names.count, minimumChunk: 1024, scratch: { () }) { index, _ in
                zone.nodes[names[index]]!
            }
            var classifier = SigningRoles.Classifier(apex: zone.origin)
            var kinds: [NameKind] = []
            var owners: [Bool] = []
            kinds.reserveCapacity(names.count)
            owners.reserveCapacity(names.count)
            for (name, node) in zip(names, nodes) {
                kinds.append(classifier.kind(of: name, node: node))
                owners.append(ZoneVerifier.isNSEC3Owner(name, node: node, apex: zone.origin))
            }
            self.kinds = kinds
            isNSEC3Owner = owners
        }
    }

    /// What checking one name found.
    struct NodeResult {
        var failures: [VerificationFailure] = []
        /// This is the apex and its DNSKEY RRset has a valid signature by a SEP key.
        var dnskeySignedBySEP = false
    }

    /// An active zone key of the DNSKEY RRset.
    struct Key: Sendable {
        var keyTag: UInt16
        var algorithm: DNSSECAlgorithm
        var isSEP: Bool
        /// REVOKE bit set (RFC 5011): only its signature over the DNSKEY RRset is expected, and it
        /// counts for nothing.
        var isRevoked: Bool
        var publicKey: DNSSECPublicKey
        /// The DNSKEY's Public Key field, as the signer's receipts name it.
        var publicKeyBytes: [UInt8]
        /// In the DNSKEY RRset; an unpublished key's signatures are checked but satisfy nothing.
        var isPublished = true
    }

    /// Everything the per-name check needs: keys, the algorithms every RRset must be signed with.
    struct NodeContext: Sendable {
        let apex: DomainName
        let now: UInt32
        let keys: [Key]
        /// The algorithms of the active keys; bit `i` of a mask stands for `algorithms[i]`.
        let algorithms: [DNSSECAlgorithm]
        let allAlgorithms: UInt64
        let receipts: SignatureReceipts?

        init(apex: DomainName, now: UInt32, keys: [Key], receipts: SignatureReceipts? = nil) {
            self.receipts = receipts
            self.apex = apex
            self.now = now
            self.keys = keys
            algorithms = Array(Set(keys.filter { !$0.isRevoked && $0.isPublished }.map(\.algorithm))).sorted()
            allAlgorithms = algorithms.count >= 64 ? .max : (1 << UInt64(algorithms.count)) - 1
        }

        func verify(name: DomainName, node: [RRset], kind: NameKind, buffer: inout [UInt8]) -> NodeResult {
            var result = NodeResult()
            for rrset in node {
                if rrset.type == .RRSIG {
                    guard let covered = rrset.coveredType else { continue }
                    if !node.contains(where: { $0.type == covered }) {
                        result.failures.append(.init(owner: name, type: covered, reason: .orphanSignature))
                    } else if !SigningRoles.isSigned(covered, kind: kind) {
                        result.failures.append(.init(owner: name, type: covered, reason: .unexpectedSignature))
                    }
                    continue
                }
                guard SigningRoles.isSigned(rrset.type, kind: kind) else { continue }
                let isKeySet = rrset.type == .DNSKEY && name == apex
                var covered: UInt64 = 0
                if let signatures = node.first(where: { $0.type == .RRSIG && $0.coveredType == rrset.type }) {
                    for case .rrsig(let rrsig) in signatures.rdatas {
                        if let failure = ZoneVerifier.precheck(rrsig, owner: name, type: rrset.type, apex: apex, now: now) {
                            result.failures.append(failure)
                            continue
                        }
                        // A revoked key still signs the DNSKEY RRset that announces its revocation (RFC 5011).
                        var candidates = 0
                        var verifiedBy: Int? = nil
                        for (index, key) in keys.enumerated()
                        where key.keyTag == rrsig.keyTag && key.algorithm.rawValue == rrsig.algorithm
                            && (isKeySet || !key.isRevoked)
                        {
                            candidates += 1
                            if candidates == 1 {
                                buffer.removeAll(keepingCapacity: true)
                                rrsig.appendSignedData(over: rrset, to: &buffer)
                            }
                            if receipts?.holds(publicKey: key.publicKeyBytes, signedData: buffer, signature: rrsig.signature) == true
                                || key.publicKey.isValidSignature(rrsig.signature, over: buffer) {
                                verifiedBy = index
                                break
                            }
                        }
                        if candidates == 0 {
                            // Signatures of algorithms we cannot verify are ignored, as a validator would.
                            if DNSSECAlgorithm(rrsig.algorithm).isSupported {
                                result.failures.append(.init(
                                    owner: name, type: rrset.type,
                                    reason: .unknownKey(keyTag: rrsig.keyTag, algorithm: rrsig.algorithm)))
                            }
                            continue
                        }
                        guard let verifiedBy else {
                            result.failures.append(.init(owner: name, type: rrset.type, reason: .invalidSignature(keyTag: rrsig.keyTag)))
                            continue
                        }
                        let key = keys[verifiedBy]
                        guard !key.isRevoked, key.isPublished, let bit = algorithms.firstIndex(of: key.algorithm) else { continue }
                        covered |= 1 << UInt64(bit)
                        if isKeySet && key.isSEP { result.dnskeySignedBySEP = true }
                    }
                }
                if covered != allAlgorithms {
                    for (bit, algorithm) in algorithms.enumerated() where covered & (1 << UInt64(bit)) == 0 {
                        result.failures.append(.init(owner: name, type: rrset.type, reason: .missingSignature(algorithm: algorithm)))
                    }
                }
            }
            return result
        }
    }

    /// DNSKEYs with the Zone Key bit and protocol 3 of a supported algorithm.
    static func usableKeys(_ set: RRset) -> [Key] {
        var keys: [Key] = []
        for case .dnskey(let dnskey) in set.rdatas {
            guard dnskey.isZoneKey, dnskey.protocol == 3, let publicKey = try? DNSSECPublicKey(dnskey) else { continue }
            keys.append(Key(
                keyTag: dnskey.keyTag, algorithm: DNSSECAlgorithm(dnskey.algorithm), isSEP: dnskey.isSecureEntryPoint,
                isRevoked: dnskey.flags & 0x0080 != 0, publicKey: publicKey, publicKeyBytes: dnskey.publicKey))
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
        // Cheap tests first: a 32-character first label, then the types, then the base32hex.
        guard name.wire.count == apex.wire.count + 33, name.wire[0] == 32,
              node.contains(where: { $0.type == .NSEC3 }),
              node.allSatisfy({ $0.type == .NSEC3 || ($0.type == .RRSIG && $0.coveredType == .NSEC3) })
        else { return false }
        return NSEC3Hash.Digest(owner: name, zone: apex) != nil
    }
}
