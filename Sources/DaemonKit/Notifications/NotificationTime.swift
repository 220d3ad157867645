/// Calendar arithmetic for the few timestamps notifications write and read (ISO 8601 in webhook bodies,
/// RFC 5322 `Date:` in email, RFC 9110 HTTP-dates in `Retry-After`), done by hand so it is pure, exact and
/// the same on every platform. Times are seconds since 1970, UTC.
package enum NotificationTime {
    static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let dayNames = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]  // 1970-01-01 was a Thursday

    struct Civil: Equatable {
        var year: Int64, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: String
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func civil(_ seconds: Int64) -> Civil {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = dayNames[Int(((days % 7) + 7) % 7)]
        return Civil(year: year, month: month, day: day, hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60,
                     second: secondOfDay % 60, weekday: weekday)
    }

    /// The inverse of `civil`, for parsing.
    static func seconds(year: Int64, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// `2023-11-14T22:13:20Z`.
    package static func iso8601(_ seconds: Int64) -> String {
        let c = civil(seconds)
        return "\(c.year)-\(two(c.month))-\(two(c.day))T\(two(c.hour)):\(two(c.minute)):\(two(c.second))Z"
    }

    /// `2023-11-14 22:13 UTC`, for people.
    package static func readable(_ seconds: Int64) -> String {
        let c = civil(seconds)
        return "\(c.year)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute)) UTC"
    }

    /// `Tue, 14 Nov 2023 22:13:20 +0000` (RFC 5322 §3.3).
    package static func rfc5322(_ seconds: Int64) -> String {
        let c = civil(seconds)
        return "\(c.weekday), \(c.day) \(monthNames[c.month - 1]) \(c.year) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) +0000"
    }

    /// An HTTP-date in the preferred IMF-fixdate form (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110 §5.6.7);
    /// nil for anything else (the obsolete forms are not worth the risk of misreading them).
    package static func parseHTTPDate(_ text: String) -> Int64? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard parts.count == 6, parts[0].hasSuffix(","), parts[5] == "GMT",
              let day = Int(parts[1]), (1...31).contains(day),
              let monthIndex = monthNames.firstIndex(of: parts[2]),
              let year = Int64(parts[3]), parts[3].count == 4 else { return nil }
        let clock = parts[4].split(separator: ":").map { Int($0) }
        guard clock.count == 3, let hour = clock[0], let minute = clock[1], let second = clock[2],
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second) else { return nil }
        return seconds(year: year, month: monthIndex + 1, day: day, hour: hour, minute: minute, second: min(second, 59))
    }
}
