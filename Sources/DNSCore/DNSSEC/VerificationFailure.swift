/// One thing wrong with a signed zone, as `ZoneVerifier` reports it: where (owner and type) and why.
public struct VerificationFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        /// No DNSKEY RRset at the apex: nothing can be verified.
        case noDNSKEY
        /// The DNSKEY RRset holds no zone key of an algorithm this build can verify.
        case noUsableKey
        /// No valid signature over the DNSKEY RRset by a key with the SEP bit (a KSK or CSK).
        case dnskeyNotSignedBySEPKey
        /// The RRset has no valid, current signature by a key of this algorithm, though the DNSKEY
        /// RRset has keys of it (RFC 4035 §2.2, RFC 6840 §5.11).
        case missingSignature(algorithm: DNSSECAlgorithm)
        /// The signature does not verify with the key it names.
        case invalidSignature(keyTag: UInt16)
        case expired(keyTag: UInt16, expiration: UInt32)
        case notYetValid(keyTag: UInt16, inception: UInt32)
        /// The RRSIG names a key (tag and algorithm) that is not an active zone key of the DNSKEY RRset.
        case unknownKey(keyTag: UInt16, algorithm: UInt8)
        /// The RRSIG's signer is not the zone apex.
        case wrongSigner(DomainName)
        /// The RRSIG Labels field does not match the owner name (RFC 4034 §3.1.3).
        case wrongLabels(found: UInt8, expected: UInt8)
        /// A signature over data that must not be signed: NS at a cut, glue, occluded data.
        case unexpectedSignature
        /// An RRSIG covering a type that is not at this name.
        case orphanSignature
        /// Neither an NSEC nor an NSEC3 chain.
        case noDenialChain
        /// NSEC and NSEC3 records in one zone.
        case mixedDenialChains
        /// A name that must be in the chain has no NSEC (or NSEC3) record.
        case missingDenialRecord
        /// An NSEC or NSEC3 record that no name of the zone calls for.
        case extraDenialRecord
        /// The record points at the wrong next name (NSEC) or hash (NSEC3).
        case wrongNext(expected: String, found: String)
        /// The type bitmap does not list exactly the types at the name.
        case wrongTypes(expected: [RecordType], found: [RecordType])
        /// NSEC3PARAM missing or unusable, or an NSEC3 record with other parameters.
        case nsec3Parameters(String)
        /// An insecure delegation (or the empty non-terminal above one) without an NSEC3 record of its
        /// own whose covering NSEC3 lacks the Opt-Out flag.
        case notCoveredByOptOut
    }

    /// The owner of the offending record; for a missing NSEC3 record, the name it should be made for.
    public var owner: DomainName
    public var type: RecordType?
    public var reason: Reason

    public init(owner: DomainName, type: RecordType?, reason: Reason) {
        self.owner = owner
        self.type = type
        self.reason = reason
    }

    public var description: String {
        "\(owner.text)\(type.map { " \($0)" } ?? ""): \(reasonText)"
    }

    var reasonText: String {
        switch reason {
        case .noDNSKEY: "no DNSKEY RRset at the apex"
        case .noUsableKey: "no active zone key of a supported algorithm in the DNSKEY RRset"
        case .dnskeyNotSignedBySEPKey: "DNSKEY RRset not signed by a key with the SEP bit (KSK)"
        case .missingSignature(let algorithm): "no valid signature by a \(algorithm) key"
        case .invalidSignature(let tag): "signature by key \(tag) does not verify"
        case let .expired(tag, expiration): "signature by key \(tag) expired at \(DNSTime.format(expiration))"
        case let .notYetValid(tag, inception):
            "signature by key \(tag) not valid before \(DNSTime.format(inception))"
        case let .unknownKey(tag, algorithm):
            "signature by key \(tag) algorithm \(algorithm), which is not an active key of the DNSKEY RRset"
        case .wrongSigner(let signer): "signer \(signer.text) is not the zone apex"
        case let .wrongLabels(found, expected): "RRSIG labels \(found), expected \(expected)"
        case .unexpectedSignature: "signature over data that must not be signed (NS at a cut, glue, occluded)"
        case .orphanSignature: "RRSIG covering a type absent at this name"
        case .noDenialChain: "no NSEC or NSEC3 chain"
        case .mixedDenialChains: "both NSEC and NSEC3 records"
        case .missingDenialRecord: "no NSEC/NSEC3 record for this name"
        case .extraDenialRecord: "NSEC/NSEC3 record that matches no name of the zone"
        case let .wrongNext(expected, found): "next is \(found), expected \(expected)"
        case let .wrongTypes(expected, found):
            "type bitmap [\(found.map(\.description).joined(separator: " "))], "
                + "expected [\(expected.map(\.description).joined(separator: " "))]"
        case .nsec3Parameters(let reason): reason
        case .notCoveredByOptOut: "insecure delegation without NSEC3 not covered by an Opt-Out NSEC3"
        }
    }
}
