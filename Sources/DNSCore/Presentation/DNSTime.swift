/// RRSIG time fields in presentation form: `YYYYMMDDHHmmSS` in UTC, or plain seconds (RFC 4034 §3.2).
/// Pure calendar arithmetic (no Foundation, no clock).
public enum DNSTime {
    public static func format(_ seconds: UInt32) -> String {
        let days = Int(seconds / 86400)
        let rest = Int(seconds % 86400)
        let (year, month, day) = civil(fromDays: days)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return pad(year, 4) + pad(month, 2) + pad(day, 2) + pad(rest / 3600, 2) + pad(rest / 60 % 60, 2) + pad(rest % 60, 2)
    }

    public static func parse(_ text: ArraySlice<UInt8>) -> UInt32? {
        guard !text.isEmpty, text.allSatisfy(DomainName.isDigit) else { return nil }
        if text.count != 14 { return UInt32(String(decoding: text, as: UTF8.self)) }
        let digits = text.map { Int($0 - 48) }
        func number(_ from: Int, _ count: Int) -> Int { digits[from..<(from + count)].reduce(0) { $0 * 10 + $1 } }
        let (year, month, day) = (number(0, 4), number(4, 2), number(6, 2))
        let (hour, minute, second) = (number(8, 2), number(10, 2), number(12, 2))
        guard (1970...2106).contains(year), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
              second < 60
        else { return nil }
        let total = days(fromCivil: year, month, day) * 86400 + hour * 3600 + minute * 60 + second
        guard total >= 0, total <= Int(UInt32.max) else { return nil }
        return UInt32(total)
    }

    /// Howard Hinnant's days-from-civil algorithm.
    static func days(fromCivil y: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y - 1 : y
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civil(fromDays z: Int) -> (Int, Int, Int) {
        let z = z + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
