/// The NSEC3 chain (RFC 5155 §7.1): one record per hashed name, in hash order, each holding the next
/// hash and the original name's types; the last points back to the first.
///
/// Hashed names are the apex, every name with authoritative data, every delegation (insecure ones
/// left out under opt-out, §6) and every empty non-terminal: an ancestor of one of those that has
/// no data of its own, whose record has an empty bitmap (§7.1). Glue and occluded names are not in
/// it. An empty non-terminal that only leads to opt-out delegations is left out too (§7.1 allows it).
enum NSEC3Chain {
    /// One record of the chain, with the name it was made for.
    struct Link {
        var digest: NSEC3Hash.Digest
        var name: DomainName
        var rrset: RRset
    }

    /// The empty non-terminals of `members`: ancestors strictly below `apex` that are not members
    /// themselves, each once, in canonical order. `members` must be in canonical order.
    ///
    /// No set of names is needed: walking in canonical order with a stack of the current name's
    /// ancestors (members and empty non-terminals already found), the nearest one on the stack is
    /// where the missing ancestors start. Most names sit one label below an ancestor on the stack,
    /// which costs one label count and no allocation.
    static func emptyNonTerminals(of members: [DomainName], apex: DomainName) -> [DomainName] {
        var stack: [(name: DomainName, labels: Int)] = [(apex, apex.labelCount)]
        var result: [DomainName] = []
        for member in members where member != apex && member.isSubdomain(of: apex) {
            while stack.count > 1 && !member.isSubdomain(of: stack[stack.count - 1].name) { stack.removeLast() }
            let top = stack[stack.count - 1].labels
            let labels = member.labelCount
            if labels - top > 1 {
                var missing: [DomainName] = []
                var ancestor = member.parent!
                for _ in 0..<(labels - top - 1) {
                    missing.append(ancestor)
                    ancestor = ancestor.parent!
                }
                for (offset, name) in missing.reversed().enumerated() {
                    result.append(name)
                    stack.append((name, top + 1 + offset))
                }
            }
            stack.append((member, labels))
        }
        return result
    }

    /// The NSEC3 RRset for the name hashing to `digest`, pointing at `next`.
    static func rrset(
        digest: NSEC3Hash.Digest, next: NSEC3Hash.Digest, types: [RecordType], settings: SigningPolicy.NSEC3Settings,
        apex: DomainName, ttl: UInt32, dnsClass: DNSClass
    ) -> RRset {
        let nsec3 = NSEC3(
            hashAlgorithm: settings.hashAlgorithm, flags: settings.optOut ? NSEC3.optOutFlag : 0,
            iterations: settings.iterations, salt: settings.salt, nextHashedOwner: next.bytes, types: TypeBitmap(types))
        return RRset(name: digest.ownerName(zone: apex), type: .NSEC3, dnsClass: dnsClass, ttl: ttl, rdatas: [.nsec3(nsec3)])
    }

    /// The whole chain over `members` (any order), in hash order, built on all cores; `types(i)` is
    /// the bitmap of `members[i]` (empty for an empty non-terminal). `apex` should be lowercase (it
    /// ends every owner name).
    static func build(
        members: [DomainName], types: (Int) -> [RecordType], apex: DomainName, settings: SigningPolicy.NSEC3Settings,
        ttl: UInt32, dnsClass: DNSClass
    ) throws(ZoneSigningError) -> [Link] {
        let hasher = settings.hasher
        let digests = ParallelWork.map(count: members.count, minimumChunk: 512, scratch: { () }) { index, _ in
            hasher.digest(members[index])
        }
        var order = Array(members.indices)
        order.sort { digests[$0] < digests[$1] }
        for i in order.indices.dropFirst() where digests[order[i - 1]] == digests[order[i]] {
            throw .nsec3HashCollision(zone: apex, members[order[i - 1]], members[order[i]])
        }
        return ParallelWork.map(count: order.count, minimumChunk: 512, scratch: { () }) { position, _ in
            let member = order[position]
            let next = digests[order[position + 1 < order.count ? position + 1 : 0]]
            let rrset = rrset(
                digest: digests[member], next: next, types: types(member), settings: settings, apex: apex,
                ttl: ttl, dnsClass: dnsClass)
            return Link(digest: digests[member], name: members[member], rrset: rrset)
        }
    }
}
