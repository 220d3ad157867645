/// An SOA serial with RFC 1982 serial-number arithmetic (32-bit, SERIAL_BITS = 32).
///
/// Ordering is partial: two serials exactly 2^31 apart are incomparable, so `<` and `>` are both false.
public struct SerialNumber: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }

    /// Largest increment RFC 1982 §3.1 allows in one addition.
    public static let maxIncrement: UInt32 = 0x7FFF_FFFF

    public static func < (lhs: SerialNumber, rhs: SerialNumber) -> Bool {
        let (i1, i2) = (lhs.rawValue, rhs.rawValue)
        return (i1 < i2 && i2 - i1 < 0x8000_0000) || (i1 > i2 && i1 - i2 > 0x8000_0000)
    }

    public static func > (lhs: SerialNumber, rhs: SerialNumber) -> Bool { rhs < lhs }

    /// Adds `n` (at most 2^31 - 1), wrapping modulo 2^32.
    public func adding(_ n: UInt32) -> SerialNumber {
        precondition(n <= SerialNumber.maxIncrement, "RFC 1982 allows increments up to 2^31 - 1")
        return SerialNumber(rawValue &+ n)
    }

    /// The next serial that is strictly greater than both `self` and `candidate`: `candidate` itself when
    /// it is greater (a date or unix-time policy), else `self + 1`.
    public func next(atLeast candidate: SerialNumber) -> SerialNumber {
        candidate > self ? candidate : adding(1)
    }

    public var description: String { String(rawValue) }
}
