extension ZoneSigner {
    /// Everything one signing pass needs that does not change from RRset to RRset: the keys for each
    /// role, the times, the TTLs the SOA dictates. Sendable, so every core signs with the same one.
    struct Context: Sendable {
        let apex: DomainName
        /// The apex lowercased: the RRSIG signer's name and the end of every NSEC3 owner name.
        let signer: DomainName
        let dnsClass: DNSClass
        let policy: SigningPolicy
        let now: UInt32
        let inception: UInt32
        /// Keys signing DNSKEY, CDS and CDNSKEY.
        let keySigners: [SigningKey]
        /// Keys signing everything else.
        let zoneSigners: [SigningKey]
        /// Keys listed in CDS and CDNSKEY: those the parent's DS should point at.
        let cdsKeys: [SigningKey]
        /// CDS/CDNSKEY DELETE instead of `cdsKeys` (RFC 8078 §4).
        let cdsDelete: Bool
        let keys: ZoneKeySet
        /// NSEC/NSEC3 TTL: the lower of the SOA MINIMUM and the SOA TTL (RFC 9077 §3.1.1).
        let denialTTL: UInt32
        /// DNSKEY, CDS and CDNSKEY TTL.
        let keyTTL: UInt32
        /// Where each signature made is recorded for the self-check (`SignatureReceipts`); nil: nowhere.
        var receipts: SignatureReceipts?

        init(zone: Zone, keys: ZoneKeySet, policy: SigningPolicy, now: UInt32) throws(ZoneSigningError) {
            if let problem = policy.problem { throw .invalidPolicy(problem) }
            guard !keys.keys.isEmpty else { throw .noKeys(zone: zone.origin) }
            guard keys.zone == zone.origin else { throw .keysForOtherZone(zone: zone.origin, keys: keys.zone) }
            guard let soaSet = zone.rrset(at: zone.origin, type: .SOA), case .soa(let soa) = soaSet.rdatas.first else {
                throw .noSOA(zone: zone.origin)
            }
            apex = zone.origin
            signer = zone.origin.lowercased()
            dnsClass = zone.dnsClass
            self.policy = policy
            self.now = now
            inception = policy.inception(now: now)
            self.keys = keys
            if let usage = keys.usage {
                keySigners = zip(keys.keys, usage).filter { $1.signsKeys }.map(\.0)
                zoneSigners = zip(keys.keys, usage).filter { $1.signsZone }.map(\.0)
                cdsKeys = zip(keys.keys, usage).filter { $1.inCDS }.map(\.0)
                guard !keySigners.isEmpty, !zoneSigners.isEmpty else { throw .noKeys(zone: zone.origin) }
            } else {
                switch policy.keyRoles {
                case .combined:
                    keySigners = keys.keys
                    zoneSigners = keys.keys
                case .split:
                    let ksks = keys.keySigningKeys
                    keySigners = ksks.isEmpty ? keys.keys : ksks
                    zoneSigners = keys.zoneSigningKeys
                }
                cdsKeys = keySigners
            }
            cdsDelete = keys.cdsDelete
            denialTTL = min(soa.minimum, soaSet.ttl)
            keyTTL = policy.dnskeyTTL ?? soaSet.ttl
        }

        var fingerprint: SignedZone.Fingerprint {
            SignedZone.Fingerprint(
                dnskeys: keys.dnskeys, keySigners: keySigners.map(\.keyTag), zoneSigners: zoneSigners.map(\.keyTag),
                cdsKeys: cdsDelete ? [] : cdsKeys.map(\.keyTag), cdsDelete: cdsDelete,
                denial: policy.denial, publishCDS: policy.publishCDS, cdsDigestType: policy.cdsDigestType,
                keyTTL: keyTTL, denialTTL: denialTTL)
        }

        /// The RRsets the signer publishes at the apex: DNSKEY, CDS and CDNSKEY for the keys that sign
        /// the DNSKEY RRset (RFC 7344; the parent's DS must point at one of those), NSEC3PARAM.
        func apexRRsets() throws(ZoneSigningError) -> [RRset] {
            var sets = [RRset(name: apex, type: .DNSKEY, dnsClass: dnsClass, ttl: keyTTL, rdatas: keys.dnskeys.map(\.rdata))]
            if policy.publishCDS && cdsDelete {
                // RFC 8078 §4: algorithm 0, the only records of their RRsets.
                sets.append(RRset(name: apex, type: .CDS, dnsClass: dnsClass, ttl: keyTTL, rdatas: [.cds(CDS.delete)]))
                sets.append(RRset(name: apex, type: .CDNSKEY, dnsClass: dnsClass, ttl: keyTTL, rdatas: [.cdnskey(CDNSKEY.delete)]))
            } else if policy.publishCDS && !cdsKeys.isEmpty {
                var cds: [RData] = []
                for key in cdsKeys {
                    do {
                        cds.append(.cds(try key.dnskey.ds(owner: apex, digestType: policy.cdsDigestType).cds))
                    } catch {
                        throw .signing(zone: apex, owner: apex, type: .CDS, error)
                    }
                }
                sets.append(RRset(name: apex, type: .CDS, dnsClass: dnsClass, ttl: keyTTL, rdatas: cds))
                sets.append(RRset(
                    name: apex, type: .CDNSKEY, dnsClass: dnsClass, ttl: keyTTL,
                    rdatas: cdsKeys.map { .cdnskey($0.dnskey.cdnskey) }))
            }
            if let settings = policy.nsec3Settings {
                sets.append(RRset(
                    name: apex, type: .NSEC3PARAM, dnsClass: dnsClass, ttl: denialTTL,
                    rdatas: [.nsec3param(settings.parameters)]))
            }
            return sets
        }

        /// The keys that sign `rrset`.
        func signers(for rrset: RRset) -> [SigningKey] {
            switch rrset.type {
            case .DNSKEY, .CDS, .CDNSKEY: rrset.name == apex ? keySigners : zoneSigners
            default: zoneSigners
            }
        }

        /// Seconds from `now` to the expiration of the signatures over `rrset`.
        func lifetime(of rrset: RRset) -> UInt32 {
            policy.validity &- policy.jitterOffset(owner: rrset.name, type: rrset.type)
        }

        /// The RRSIG set over `rrset`, one signature per signing key. `buffer` is scratch space for the
        /// signed data, reused across calls.
        func sign(_ rrset: RRset, buffer: inout [UInt8]) throws(ZoneSigningError) -> RRset {
            let keys = signers(for: rrset)
            let expiration = now &+ lifetime(of: rrset)
            let labels = rrset.name.rrsigLabelCount
            var rdatas: [RData] = []
            rdatas.reserveCapacity(keys.count)
            for key in keys {
                var rrsig = RRSIG(
                    typeCovered: rrset.type, algorithm: key.algorithm.rawValue, labels: labels,
                    originalTTL: rrset.ttl, expiration: expiration, inception: inception, keyTag: key.keyTag,
                    signerName: signer, signature: [])
                buffer.removeAll(keepingCapacity: true)
                rrsig.appendSignedData(over: rrset, to: &buffer)
                do {
                    rrsig.signature = try key.sign(buffer)
                } catch {
                    throw .signing(zone: apex, owner: rrset.name, type: rrset.type, error)
                }
                receipts?.record(key, signedData: buffer, signature: rrsig.signature)
                rdatas.append(.rrsig(rrsig))
            }
            return RRset(name: rrset.name, type: .RRSIG, dnsClass: rrset.dnsClass, ttl: rrset.ttl, rdatas: rdatas)
        }

        /// `node` (no RRSIG sets, sorted by type) with an RRSIG set for each RRset a name of `kind`
        /// signs, placed in type order.
        func sign(node: [RRset], kind: NameKind, buffer: inout [UInt8]) throws(ZoneSigningError) -> ZoneSigner.SignedNode {
            var signatures: [RRset] = []
            var shortest = UInt32.max
            for rrset in node where SigningRoles.isSigned(rrset.type, kind: kind) {
                signatures.append(try sign(rrset, buffer: &buffer))
                shortest = min(shortest, lifetime(of: rrset))
            }
            return ZoneSigner.SignedNode(rrsets: ZoneSigner.withSignatures(node, signatures), shortestLifetime: shortest)
        }
    }
}
