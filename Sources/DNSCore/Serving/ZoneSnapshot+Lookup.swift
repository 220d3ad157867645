/// Finding names: the hash table, the RFC 1034 §4.3.2 descent, canonical-order and NSEC3 searches.
/// Everything here works on wire bytes in place (a query name and an offset into it) and allocates only
/// to build a wildcard or next-closer name.
extension ZoneSnapshot {
    /// Where a query name leads in this zone (RFC 1034 §4.3.2 step 3, RFC 4592 §3.3.1).
    enum Location: Equatable {
        /// The name exists here (it may be a cut: then only DS is answered from it, the rest is referred).
        case node(Int32)
        /// The name is below this zone cut (or is the cut itself; see `node`).
        case cut(Int32)
        /// The name is strictly below this DNAME owner (RFC 6672 §2.2).
        case dname(Int32)
        /// The name does not exist, and the wildcard `source` below its closest encloser matches it.
        case wildcard(closestEncloser: Int32, source: Int32)
        /// The name does not exist and no wildcard matches: NXDOMAIN.
        case nonexistent(closestEncloser: Int32)
    }

    // MARK: Name table

    /// FNV-1a over the ASCII-lowercased bytes.
    @inline(__always)
    static func hash(_ bytes: [UInt8], from start: Int, to end: Int) -> UInt32 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var i = start
        while i < end {
            var c = bytes[i]
            if c &- 0x41 < 26 { c |= 0x20 }
            h = (h ^ UInt64(c)) &* 0x100_0000_01b3
            i += 1
        }
        return UInt32(truncatingIfNeeded: h ^ (h >> 29))
    }

    static func makeTable(_ nodes: [Node], names: [UInt8]) -> [UInt64] {
        var capacity = 16
        while capacity < nodes.count * 2 { capacity <<= 1 }
        var slots = [UInt64](repeating: 0, count: capacity)
        let mask = capacity - 1
        for (index, node) in nodes.enumerated() {
            let h = hash(names, from: Int(node.nameStart), to: Int(node.nameStart) + Int(node.nameLength))
            var slot = Int(h) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt64(h) << 32 | UInt64(index + 1)
        }
        return slots
    }

    /// The node named by `bytes[start...]` (a complete wire name, any case), or -1.
    @inline(__always)
    func find(_ bytes: [UInt8], from start: Int) -> Int32 {
        ZoneSnapshot.find(bytes, from: start, slots: slots, nodes: nodes, names: names)
    }

    @inline(__always)
    static func find(_ bytes: [UInt8], from start: Int, slots: [UInt64], nodes: [Node], names: [UInt8]) -> Int32 {
        let length = bytes.count - start
        let h = hash(bytes, from: start, to: bytes.count)
        let mask = slots.count - 1
        var slot = Int(h) & mask
        while true {
            let value = slots[slot]
            if value == 0 { return -1 }
            if UInt32(truncatingIfNeeded: value >> 32) == h {
                let index = Int(truncatingIfNeeded: value & 0xFFFF_FFFF) - 1
                let node = nodes[index]
                if Int(node.nameLength) == length && storedNameEquals(names, node.nameStart, bytes, from: start) {
                    return Int32(index)
                }
            }
            slot = (slot + 1) & mask
        }
    }

    /// Compares a stored (lowercase) name with `bytes[start...]` ignoring the case of the latter.
    @inline(__always)
    static func storedNameEquals(_ names: [UInt8], _ nameStart: UInt32, _ bytes: [UInt8], from start: Int) -> Bool {
        var i = Int(nameStart)
        var j = start
        while j < bytes.count {
            var c = bytes[j]
            if c &- 0x41 < 26 { c |= 0x20 }
            if names[i] != c { return false }
            i += 1
            j += 1
        }
        return true
    }

    /// Index just past the uncompressed wire name starting at `start` in `bytes`.
    @inline(__always)
    static func nameEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var p = start
        while bytes[p] != 0 { p += Int(bytes[p]) + 1 }
        return p + 1
    }

    /// The lowercased name of a node.
    func name(ofNode index: Int32) -> DomainName {
        storedName(nodes[Int(index)].nameStart, nodes[Int(index)].nameLength)
    }

    func storedName(_ start: UInt32, _ length: UInt8) -> DomainName {
        DomainName(trustedWire: Array(names[Int(start)..<Int(start) + Int(length)]))
    }

    // MARK: Descent

    /// Where `name` leads. `name` must be at or below the origin.
    func locate(_ name: DomainName) -> Location {
        let wire = name.wire
        var offset = 0
        while true {
            let index = find(wire, from: offset)
            if index >= 0 {
                let node = nodes[Int(index)]
                if node.stop >= 0 {
                    return nodes[Int(node.stop)].flags.contains(.cut) ? .cut(node.stop) : .dname(node.stop)
                }
                if node.flags.contains(.cut) { return .cut(index) }
                if offset == 0 { return .node(index) }
                if node.flags.contains(.dname) { return .dname(index) }
                if node.flags.contains(.wildcardChild) {
                    let source = findWildcard(below: wire, from: offset)
                    if source >= 0 { return .wildcard(closestEncloser: index, source: source) }
                }
                return .nonexistent(closestEncloser: index)
            }
            // The apex always exists, so this ends there for any in-zone name; the guard is for misuse.
            guard wire[offset] != 0 else { return .nonexistent(closestEncloser: 0) }
            offset += Int(wire[offset]) + 1
        }
    }

    /// The node `*.<bytes[start...]>`, or -1.
    func findWildcard(below bytes: [UInt8], from start: Int) -> Int32 {
        guard let wildcard = ZoneSnapshot.wildcardName(bytes, from: start, to: bytes.count) else { return -1 }
        return find(wildcard, from: 0)
    }

    /// The wire form of `*.<bytes[start..<end]>`, nil when too long.
    static func wildcardName(_ bytes: [UInt8], from start: Int, to end: Int) -> [UInt8]? {
        guard end - start + 2 <= DomainName.maxLength else { return nil }
        var wildcard: [UInt8] = [1, UInt8(ascii: "*")]
        wildcard.reserveCapacity(end - start + 2)
        wildcard.append(contentsOf: bytes[start..<end])
        return wildcard
    }

    /// The first entry of `type` with data at `node`, or -1.
    @inline(__always)
    func entry(_ node: Node, _ type: RecordType) -> Int32 {
        var e = Int(node.firstEntry)
        let end = e + Int(node.entryCount)
        while e < end {
            if entries[e].type == type { return entries[e].hasData ? Int32(e) : -1 }
            e += 1
        }
        return -1
    }

    // MARK: Canonical order (NSEC)

    /// RFC 4034 §6.1 order of `a[aStart...]` and `b[bStart...]` (wire names, any case): <0, 0, >0.
    static func canonicalCompare(_ a: [UInt8], _ aStart: Int, _ b: [UInt8], _ bStart: Int) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { offsets -> Int in
            // A wire name has at most 127 labels and offsets below 255: a's in [0, 128), b's in [128, 256).
            var na = 0
            var i = aStart
            while a[i] != 0 {
                offsets[na] = UInt8(i - aStart)
                na += 1
                i += Int(a[i]) + 1
            }
            var nb = 0
            i = bStart
            while b[i] != 0 {
                offsets[128 + nb] = UInt8(i - bStart)
                nb += 1
                i += Int(b[i]) + 1
            }
            var x = na - 1
            var y = nb - 1
            while x >= 0 && y >= 0 {
                let ao = aStart + Int(offsets[x])
                let bo = bStart + Int(offsets[128 + y])
                let al = Int(a[ao])
                let bl = Int(b[bo])
                var k = 1
                let common = min(al, bl)
                while k <= common {
                    var p = a[ao + k]
                    var q = b[bo + k]
                    if p &- 0x41 < 26 { p |= 0x20 }
                    if q &- 0x41 < 26 { q |= 0x20 }
                    if p != q { return Int(p) - Int(q) }
                    k += 1
                }
                if al != bl { return al - bl }
                x -= 1
                y -= 1
            }
            return x - y
        }
    }

    /// The node owning the NSEC that matches or covers `bytes[start...]`: the last NSEC owner not after
    /// it in canonical order (RFC 4035 §3.1.3). -1 when the zone has no NSEC.
    func nsecPredecessor(_ bytes: [UInt8], from start: Int) -> Int32 {
        var low = 0
        var high = nsecNodes.count
        while low < high {
            let mid = (low + high) / 2
            let node = nodes[Int(nsecNodes[mid])]
            if ZoneSnapshot.canonicalCompare(names, Int(node.nameStart), bytes, start) <= 0 {
                low = mid + 1
            } else {
                high = mid
            }
        }
        return low == 0 ? (nsecNodes.isEmpty ? -1 : nsecNodes[nsecNodes.count - 1]) : nsecNodes[low - 1]
    }

    // MARK: NSEC3

    /// The hash of `bytes[start...]` under the served chain's parameters.
    func nsec3Digest(_ bytes: [UInt8], from start: Int) -> NSEC3Hash.Digest? {
        guard let nsec3Hash else { return nil }
        return nsec3Hash.digest(DomainName(trustedWire: start == 0 ? bytes : Array(bytes[start...])))
    }

    /// The chain position of the NSEC3 matching `digest`, or else covering it (the last owner hash before
    /// it, wrapping around to the last one, RFC 5155 §7.2.1). -1 without a chain.
    func nsec3MatchingOrCovering(_ digest: NSEC3Hash.Digest) -> Int32 {
        guard !nsec3Digests.isEmpty else { return -1 }
        let position = ZoneSnapshot.lowerBound(nsec3Digests, digest)
        if position < nsec3Digests.count && nsec3Digests[position] == digest { return Int32(position) }
        return Int32(position == 0 ? nsec3Digests.count - 1 : position - 1)
    }
}
