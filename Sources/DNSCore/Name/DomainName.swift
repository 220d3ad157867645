/// A domain name, held as its uncompressed wire form (length-prefixed labels ending in the root label).
///
/// Keeping the wire form means encoding is a copy and canonical comparison needs no parsing. The case of
/// the letters is kept as given (it is printed back and sent on the wire), but equality, hashing and
/// ordering ignore ASCII case as RFC 4343 requires.
public struct DomainName: Sendable {
    /// Uncompressed wire bytes, always ending in the zero-length root label.
    public let wire: [UInt8]

    public static let maxLength = 255
    public static let maxLabelLength = 63
    public static let root = DomainName(trustedWire: [0])

    /// Wraps bytes already known to be a valid uncompressed name (decoder and builder internals).
    init(trustedWire: [UInt8]) {
        self.wire = trustedWire
    }

    /// Builds a name from labels, checking the RFC 1035 limits.
    public init<Labels: Sequence>(labels: Labels) throws(NameError) where Labels.Element: Collection<UInt8> {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for label in labels {
            guard !label.isEmpty else { throw .emptyLabel }
            guard label.count <= Self.maxLabelLength else { throw .labelTooLong(length: label.count) }
            bytes.append(UInt8(label.count))
            bytes.append(contentsOf: label)
        }
        bytes.append(0)
        guard bytes.count <= Self.maxLength else { throw .nameTooLong(length: bytes.count) }
        self.wire = bytes
    }

    /// Number of labels, not counting the root.
    public var labelCount: Int {
        var count = 0
        var i = 0
        while wire[i] != 0 {
            count += 1
            i += Int(wire[i]) + 1
        }
        return count
    }

    public var isRoot: Bool { wire.count == 1 }

    /// The labels from left to right, without the root label.
    public var labels: [ArraySlice<UInt8>] {
        var result: [ArraySlice<UInt8>] = []
        var i = 0
        while wire[i] != 0 {
            let length = Int(wire[i])
            result.append(wire[(i + 1)..<(i + 1 + length)])
            i += length + 1
        }
        return result
    }

    /// Offsets of each label's length byte, left to right, root excluded.
    var labelOffsets: [Int] {
        var result: [Int] = []
        result.reserveCapacity(8)
        var i = 0
        while wire[i] != 0 {
            result.append(i)
            i += Int(wire[i]) + 1
        }
        return result
    }

    /// True for `*.rest` (RFC 4592: the leftmost label is exactly `*`).
    public var isWildcard: Bool { wire.count >= 3 && wire[0] == 1 && wire[1] == UInt8(ascii: "*") }

    /// The name with its leftmost label removed; the root's parent is nil.
    public var parent: DomainName? {
        guard !isRoot else { return nil }
        return DomainName(trustedWire: Array(wire[(Int(wire[0]) + 1)...]))
    }

    /// The name with `label` prepended (`label.self`).
    public func prepending<Label: Collection<UInt8>>(_ label: Label) throws(NameError) -> DomainName {
        guard !label.isEmpty else { throw .emptyLabel }
        guard label.count <= Self.maxLabelLength else { throw .labelTooLong(length: label.count) }
        guard wire.count + label.count + 1 <= Self.maxLength else {
            throw .nameTooLong(length: wire.count + label.count + 1)
        }
        var bytes: [UInt8] = [UInt8(label.count)]
        bytes.reserveCapacity(wire.count + label.count + 1)
        bytes.append(contentsOf: label)
        bytes.append(contentsOf: wire)
        return DomainName(trustedWire: bytes)
    }

    /// This relative name (without its root label) placed in front of `origin`.
    public func appending(_ origin: DomainName) throws(NameError) -> DomainName {
        let total = wire.count - 1 + origin.wire.count
        guard total <= Self.maxLength else { throw .nameTooLong(length: total) }
        return DomainName(trustedWire: Array(wire.dropLast()) + origin.wire)
    }

    /// The wildcard name `*.self`.
    public var wildcard: DomainName? { try? prepending([UInt8(ascii: "*")]) }

    /// ASCII-lowercased copy (the canonical form of RFC 4034 §6.2).
    public func lowercased() -> DomainName {
        DomainName(trustedWire: DomainName.lowercase(wire))
    }

    /// Lowercases wire bytes. Length octets are at most 63, below `A`, so they are never touched.
    @inline(__always)
    static func lowercase(_ bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        for i in copy.indices where copy[i] >= 0x41 && copy[i] <= 0x5A {
            copy[i] |= 0x20
        }
        return copy
    }

    /// True when `self` equals `other` or lies below it.
    public func isSubdomain(of other: DomainName) -> Bool {
        let offset = wire.count - other.wire.count
        guard offset >= 0 else { return false }
        // The suffix must start on a label boundary.
        var i = 0
        while i < offset {
            i += Int(wire[i]) + 1
        }
        guard i == offset else { return false }
        return DomainName.equalIgnoringCase(wire[offset...], other.wire[...])
    }

    /// The suffix of this name with `count` labels (count ≤ labelCount).
    public func suffix(labels count: Int) -> DomainName {
        let offsets = labelOffsets
        guard count < offsets.count else { return self }
        return DomainName(trustedWire: Array(wire[offsets[offsets.count - count]...]))
    }

    static func equalIgnoringCase(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        var i = a.startIndex
        var j = b.startIndex
        while i < a.endIndex {
            var x = a[i]
            var y = b[j]
            if x >= 0x41 && x <= 0x5A { x |= 0x20 }
            if y >= 0x41 && y <= 0x5A { y |= 0x20 }
            if x != y { return false }
            i += 1
            j += 1
        }
        return true
    }
}

extension DomainName: Hashable {
    public static func == (lhs: DomainName, rhs: DomainName) -> Bool {
        equalIgnoringCase(lhs.wire[...], rhs.wire[...])
    }

    public func hash(into hasher: inout Hasher) {
        // One combine over a lowercased copy on the stack: names are hashed on every zone lookup.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: wire.count) { buffer in
            for (i, byte) in wire.enumerated() {
                buffer[i] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
            }
            hasher.combine(bytes: UnsafeRawBufferPointer(buffer))
        }
    }
}

extension DomainName: Comparable {
    /// Canonical DNS name order (RFC 4034 §6.1): compare labels from the rightmost, each as
    /// lowercased octet strings where a shorter prefix sorts first.
    public static func < (lhs: DomainName, rhs: DomainName) -> Bool {
        canonicalCompare(lhs, rhs) < 0
    }

    /// Three-way canonical comparison: negative, zero or positive.
    public static func canonicalCompare(_ lhs: DomainName, _ rhs: DomainName) -> Int {
        let a = lhs.labelOffsets
        let b = rhs.labelOffsets
        var i = a.count - 1
        var j = b.count - 1
        while i >= 0 && j >= 0 {
            let result = compareLabel(lhs.wire, a[i], rhs.wire, b[j])
            if result != 0 { return result }
            i -= 1
            j -= 1
        }
        return (i + 1) - (j + 1)
    }

    private static func compareLabel(_ x: [UInt8], _ xo: Int, _ y: [UInt8], _ yo: Int) -> Int {
        let xl = Int(x[xo])
        let yl = Int(y[yo])
        for k in 0..<min(xl, yl) {
            var p = x[xo + 1 + k]
            var q = y[yo + 1 + k]
            if p >= 0x41 && p <= 0x5A { p |= 0x20 }
            if q >= 0x41 && q <= 0x5A { q |= 0x20 }
            if p != q { return Int(p) - Int(q) }
        }
        return xl - yl
    }
}
