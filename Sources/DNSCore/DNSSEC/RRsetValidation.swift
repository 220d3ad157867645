/// Checks one RRset's signatures against given keys, the way a validator does for data it got from a
/// server: used by the signer to trust a parent's DS answer only when the parent signed it.
public enum RRsetValidation {
    /// Whether a signature in `signatures` covers `rrset`, names `signer`, is current at `now` and
    /// verifies with one of `keys` (zone keys, not revoked).
    public static func isValid(_ rrset: RRset, signatures: [RRSIG], keys: [DNSKEY], signer: DomainName, now: UInt32) -> Bool {
        for rrsig in signatures where rrsig.typeCovered == rrset.type && rrsig.signerName == signer {
            // Serial-number arithmetic for the validity window (RFC 4034 §3.1.5).
            guard Int32(bitPattern: now &- rrsig.inception) >= 0, Int32(bitPattern: rrsig.expiration &- now) >= 0 else { continue }
            for key in keys where key.isZoneKey && key.flags & 0x0080 == 0
                && key.keyTag == rrsig.keyTag && key.algorithm == rrsig.algorithm {
                guard let publicKey = try? DNSSECPublicKey(key) else { continue }
                if publicKey.isValidSignature(rrsig.signature, over: rrsig.signedData(over: rrset)) { return true }
            }
        }
        return false
    }
}
