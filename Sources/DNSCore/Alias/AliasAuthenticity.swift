/// Whether a validating resolver vouched for its response, for ALIAS targets that must be authentic
/// (draft-ietf-dnsop-aname §5: the addresses an ALIAS copies are only as good as their origin, and a
/// signer would sign whatever a spoofed answer put in).
///
/// The query goes out with DO set and CD clear, so a validating resolver either sets AD (RFC 4035
/// §3.2.3, RFC 6840 §5.8: secure data) or answers SERVFAIL for bogus data; an answer without AD is
/// insecure (the target's zone is unsigned) or from a resolver that does not validate. The AD bit is
/// only as trustworthy as the path to the resolver (RFC 6840 §5.7): use one on the host or a trusted
/// network.
enum AliasAuthenticity {
    /// RFC 8914 Extended DNS Error option code.
    static let extendedErrorCode: UInt16 = 15

    /// The EDE codes that report a DNSSEC validation failure (RFC 8914 §4), with their registered names.
    static let dnssecErrors: [UInt16: String] = [
        1: "Unsupported DNSKEY Algorithm", 2: "Unsupported DS Digest Type", 5: "DNSSEC Indeterminate",
        6: "DNSSEC Bogus", 7: "Signature Expired", 8: "Signature Not Yet Valid", 9: "DNSKEY Missing",
        10: "RRSIGs Missing", 11: "No Zone Key Bit Set", 12: "NSEC Missing",
    ]

    /// Longest EDE text kept: it is the resolver's free-form text and ends up in logs and events.
    static let maximumTextLength = 200

    /// Why `response` cannot be taken as authentic, or nil when it can. Only NOERROR and NXDOMAIN carry
    /// data to vouch for; a SERVFAIL is unauthenticated when the resolver says (EDE) validation failed,
    /// and any other code is left to be reported as the server failure it is.
    static func refusal(of response: Message) -> String? {
        switch response.rcode {
        case .NOERROR, .NXDOMAIN:
            return response.flags.ad ? nil : "no AD bit"
        case .SERVFAIL:
            return dnssecError(in: response).map { "the resolver answered SERVFAIL: \($0)" }
        default:
            return nil
        }
    }

    /// The first DNSSEC failure an EDE option reports, as "EDE 6 DNSSEC Bogus: text". The option is
    /// hostile input: a short one is ignored, and the text is cut and stripped of control characters.
    static func dnssecError(in response: Message) -> String? {
        for option in response.edns?.options ?? [] where option.code == extendedErrorCode && option.data.count >= 2 {
            let code = UInt16(option.data[0]) << 8 | UInt16(option.data[1])
            guard let name = dnssecErrors[code] else { continue }
            let raw = String(decoding: option.data.dropFirst(2), as: UTF8.self)
            let printable = raw.unicodeScalars.filter { !(0..<0x20).contains($0.value) && !(0x7F..<0xA0).contains($0.value) }
            let text = String(String.UnicodeScalarView(printable).prefix(maximumTextLength))
            return "EDE \(code) \(name)" + (text.isEmpty ? "" : ": \(text)")
        }
        return nil
    }
}
