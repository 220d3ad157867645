/// An IPv4 address as four bytes; parsing accepts only the strict dotted quad (no octal, no short forms).
public struct IPv4Address: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 else { return nil }
        self.bytes = bytes
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let value = UInt8(part), !(part.count > 1 && part.first == "0")
            else { return nil }
            bytes.append(value)
        }
        self.bytes = bytes
    }

    public var description: String { bytes.map(String.init).joined(separator: ".") }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}
