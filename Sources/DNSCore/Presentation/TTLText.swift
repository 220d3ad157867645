/// TTL and duration text: plain seconds, or BIND's units (`1w2d3h4m5s`, case-insensitive).
public enum TTLText {
    /// Largest TTL RFC 2181 §8 allows (the top bit must be zero).
    public static let max: UInt32 = 0x7FFF_FFFF

    public static func parse(_ text: ArraySlice<UInt8>) -> UInt32? {
        guard !text.isEmpty else { return nil }
        var total: UInt64 = 0
        var current: UInt64 = 0
        var digits = 0
        var sawUnit = false
        for c in text {
            if DomainName.isDigit(c) {
                current = current * 10 + UInt64(c - 48)
                digits += 1
                guard current <= UInt64(max) else { return nil }
                continue
            }
            let multiplier: UInt64
            switch c | 0x20 {
            case UInt8(ascii: "s"): multiplier = 1
            case UInt8(ascii: "m"): multiplier = 60
            case UInt8(ascii: "h"): multiplier = 3600
            case UInt8(ascii: "d"): multiplier = 86400
            case UInt8(ascii: "w"): multiplier = 604_800
            default: return nil
            }
            guard digits > 0 else { return nil }
            total += current * multiplier
            current = 0
            digits = 0
            sawUnit = true
        }
        if digits > 0 {
            // A bare number after units (`1h30`) counts as seconds, as BIND reads it.
            total += current
        } else if !sawUnit {
            return nil
        }
        guard total <= UInt64(max) else { return nil }
        return UInt32(total)
    }

    public static func parse(_ text: String) -> UInt32? { parse(Array(text.utf8)[...]) }
}
