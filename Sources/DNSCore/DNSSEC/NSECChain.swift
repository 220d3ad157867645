/// The NSEC chain (RFC 4034 §4): one record per name that has authoritative data or is a delegation,
/// in canonical order, each naming the next and listing its own types; the last points back to the
/// apex. Glue and occluded names are not in it (RFC 4035 §2.3). Names are written lowercased.
enum NSECChain {
    /// The NSEC RRset at `owner`, pointing at `next`, listing `types` (from `SigningRoles.bitmapTypes`).
    static func rrset(owner: DomainName, next: DomainName, types: [RecordType], ttl: UInt32, dnsClass: DNSClass) -> RRset {
        let nsec = NSEC(nextName: next.hasUppercase ? next.lowercased() : next, types: TypeBitmap(types))
        return RRset(name: owner, type: .NSEC, dnsClass: dnsClass, ttl: ttl, rdatas: [.nsec(nsec)])
    }

    /// The records of a whole chain, built on all cores. `members` are in canonical order starting
    /// with the apex; `types(i)` gives the bitmap of `members[i]`.
    static func build(
        members: [DomainName], types: (Int) -> [RecordType], ttl: UInt32, dnsClass: DNSClass
    ) -> [RRset] {
        guard let apex = members.first else { return [] }
        return ParallelWork.map(count: members.count, minimumChunk: 256, scratch: { () }) { index, _ in
            let next = index + 1 < members.count ? members[index + 1] : apex
            return rrset(owner: members[index], next: next, types: types(index), ttl: ttl, dnsClass: dnsClass)
        }
    }
}
