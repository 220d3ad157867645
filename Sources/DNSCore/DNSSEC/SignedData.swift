extension RRSIG {
    /// The bytes this RRSIG's signature covers for `rrset` (RFC 4034 §3.1.8.1): the RRSIG RDATA without
    /// the signature (signer's name in canonical form), then every record of the set in canonical form
    /// (§6.2): owner lowercased, or `*.` plus the rightmost `labels` labels when the RRSIG counts fewer
    /// labels than the owner has, as for a wildcard expansion (§3.1.8.1, RFC 4035 §5.3.2), type,
    /// class, the original TTL, RDLENGTH and canonical RDATA, records in canonical order (§6.3) and
    /// without duplicates. Signing and verifying both build exactly this.
    public func signedData(over rrset: RRset) -> [UInt8] {
        var buffer: [UInt8] = []
        appendSignedData(over: rrset, to: &buffer)
        return buffer
    }

    /// `signedData(over:)` appended to `buffer`, so the signer and verifier can reuse one buffer for
    /// every RRset instead of allocating per signature.
    func appendSignedData(over rrset: RRset, to buffer: inout [UInt8]) {
        // RRSIG RDATA fields. The signer's name is lowercased (§3.1.8.1 "in canonical form"), which
        // `encodeFields` does not do on its own (RFC 6840 §5.1 only concerns the RRSIG RR's own form).
        var writer = WireWriter(compress: false, capacity: 0)
        swap(&writer.bytes, &buffer)
        if signerName.hasUppercase {
            var lowered = self
            lowered.signerName = signerName.lowercased()
            lowered.encodeFields(to: &writer)
        } else {
            encodeFields(to: &writer)
        }
        swap(&writer.bytes, &buffer)

        // The owner as it appears in every record: `*.` + the rightmost `labels` labels when the RRSIG
        // counts fewer labels than the owner has (a leading `*` is never counted), lowercased.
        let name = rrset.name
        var owner: [UInt8]
        if Int(labels) < name.labelCount - (name.isWildcard ? 1 : 0) {
            let offsets = name.labelOffsets
            owner = [1, UInt8(ascii: "*")]
            // Labels 0 leaves `*.` over the root label (a hostile RRSIG must not crash us).
            let from = labels == 0 ? name.wire.count - 1 : offsets[offsets.count - Int(labels)]
            owner.append(contentsOf: name.wire[from...])
        } else {
            owner = name.wire
        }
        for i in owner.indices where owner[i] >= 0x41 && owner[i] <= 0x5A {
            owner[i] |= 0x20
        }
        let type = rrset.type.rawValue
        let dnsClass = rrset.dnsClass.rawValue
        // `canonicalRData` is already sorted and deduplicated (§6.3).
        for rdata in rrset.canonicalRData {
            buffer.append(contentsOf: owner)
            buffer.append(UInt8(type >> 8))
            buffer.append(UInt8(type & 0xFF))
            buffer.append(UInt8(dnsClass >> 8))
            buffer.append(UInt8(dnsClass & 0xFF))
            buffer.append(UInt8(originalTTL >> 24))
            buffer.append(UInt8((originalTTL >> 16) & 0xFF))
            buffer.append(UInt8((originalTTL >> 8) & 0xFF))
            buffer.append(UInt8(originalTTL & 0xFF))
            buffer.append(UInt8(rdata.count >> 8))
            buffer.append(UInt8(rdata.count & 0xFF))
            buffer.append(contentsOf: rdata)
        }
    }
}

extension DomainName {
    /// True when some label holds an ASCII capital (the canonical form would differ).
    var hasUppercase: Bool { wire.contains { $0 >= 0x41 && $0 <= 0x5A } }

    /// RRSIG Labels field for an RRset owned by this name: the label count without the root and
    /// without a leading `*` (RFC 4034 §3.1.3).
    var rrsigLabelCount: UInt8 { UInt8(labelCount - (isWildcard ? 1 : 0)) }
}
