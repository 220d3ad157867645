/// An IPv6 address as sixteen bytes; prints the RFC 5952 canonical text.
public struct IPv6Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// Parses RFC 4291 §2.2 text, including `::` and a trailing dotted quad.
    public init?(_ text: String) {
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        let bytes = Array(text.utf8)
        var halves: [String] = []
        if let split = (0..<(bytes.count - 1)).first(where: { bytes[$0] == 0x3A && bytes[$0 + 1] == 0x3A }) {
            halves = [String(decoding: bytes[..<split], as: UTF8.self), String(decoding: bytes[(split + 2)...], as: UTF8.self)]
            guard !halves[1].utf8.starts(with: [0x3A]), !halves[1].contains("::") else { return nil }
        } else {
            halves = [text]
        }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, field) in fields.enumerated() {
                if i == fields.count - 1, field.contains("."), let v4 = IPv4Address(String(field)) {
                    result.append(UInt16(v4.bytes[0]) << 8 | UInt16(v4.bytes[1]))
                    result.append(UInt16(v4.bytes[2]) << 8 | UInt16(v4.bytes[3]))
                    continue
                }
                guard !field.isEmpty, field.count <= 4, let value = UInt16(field, radix: 16) else { return nil }
                result.append(value)
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all += [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        self.bytes = all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    public var description: String {
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        // Longest run of two or more zero groups becomes "::" (first one on ties).
        var bestStart = -1
        var bestLength = 1
        var i = 0
        while i < 8 {
            if groups[i] == 0 {
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > bestLength {
                    bestStart = i
                    bestLength = j - i
                }
                i = j
            } else {
                i += 1
            }
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        if bestStart < 0 { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}
