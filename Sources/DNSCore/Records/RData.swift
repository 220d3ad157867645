/// The RDATA of one record: a case per known type, `unknown` for the rest (kept byte for byte).
public enum RData: Sendable, Hashable {
    case a(A)
    case aaaa(AAAA)
    case ns(NS)
    case cname(CNAME)
    case dname(DNAME)
    case soa(SOA)
    case mx(MX)
    case txt(TXT)
    case spf(SPF)
    case srv(SRV)
    case caa(CAA)
    case ptr(PTR)
    case naptr(NAPTR)
    case sshfp(SSHFP)
    case tlsa(TLSA)
    case svcb(SVCB)
    case https(HTTPS)
    case ds(DS)
    case cds(CDS)
    case dnskey(DNSKEY)
    case cdnskey(CDNSKEY)
    case rrsig(RRSIG)
    case nsec(NSEC)
    case nsec3(NSEC3)
    case nsec3param(NSEC3PARAM)
    case tsig(TSIG)
    case opt(OPT)
    case alias(ALIAS)
    case unknown(UnknownRData)

    /// Every known type, for decoding and parsing by type code.
    static let knownTypes: [UInt16: any RDataType.Type] = {
        let all: [any RDataType.Type] = [
            A.self, AAAA.self, NS.self, CNAME.self, DNAME.self, SOA.self, MX.self, TXT.self, SPF.self, SRV.self,
            CAA.self, PTR.self, NAPTR.self, SSHFP.self, TLSA.self, SVCB.self, HTTPS.self, DS.self, CDS.self,
            DNSKEY.self, CDNSKEY.self, RRSIG.self, NSEC.self, NSEC3.self, NSEC3PARAM.self, TSIG.self, OPT.self,
            ALIAS.self,
        ]
        return Dictionary(uniqueKeysWithValues: all.map { ($0.recordType.rawValue, $0) })
    }()

    /// The typed value, or nil for unknown types.
    public var value: (any RDataType)? {
        switch self {
        case .a(let v): v
        case .aaaa(let v): v
        case .ns(let v): v
        case .cname(let v): v
        case .dname(let v): v
        case .soa(let v): v
        case .mx(let v): v
        case .txt(let v): v
        case .spf(let v): v
        case .srv(let v): v
        case .caa(let v): v
        case .ptr(let v): v
        case .naptr(let v): v
        case .sshfp(let v): v
        case .tlsa(let v): v
        case .svcb(let v): v
        case .https(let v): v
        case .ds(let v): v
        case .cds(let v): v
        case .dnskey(let v): v
        case .cdnskey(let v): v
        case .rrsig(let v): v
        case .nsec(let v): v
        case .nsec3(let v): v
        case .nsec3param(let v): v
        case .tsig(let v): v
        case .opt(let v): v
        case .alias(let v): v
        case .unknown: nil
        }
    }

    public var type: RecordType {
        if case .unknown(let u) = self { return u.type }
        return Swift.type(of: value!).recordType
    }
}
