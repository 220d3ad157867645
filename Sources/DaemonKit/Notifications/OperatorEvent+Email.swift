extension OperatorEvent {
    /// `[countersign] example.com: re-signed, serial 1700000000 → 1700000060` — the zone without its
    /// final dot (as people write it), then what happened; a summary that already starts with the zone
    /// does not repeat it.
    package var emailSubject: String {
        var what = summary
        if let zone {
            for prefix in [zone + ":", zone.dropLastDot + ":"] where what.hasPrefix(prefix) {
                what = String(what.dropFirst(prefix.count)).trimmingWhitespace()
                break
            }
        }
        what = what.replacingLineBreaks
        if what.count > 140 { what = String(what.prefix(139)) + "…" }
        if let zone { return "[countersign] \(zone.dropLastDot): \(what)" }
        return "[countersign] \(what)"
    }

    /// A plain-text body for a small screen: the sentence first, then short labelled lines, the details
    /// (one per line, multi-line values such as DS records indented under their name), and the id.
    package func emailBody(channel: String) -> String {
        var lines = [summary.replacingLineBreaks, ""]
        if let zone { lines.append("Zone:     \(zone)") }
        lines.append("Event:    \(kind.rawValue)")
        lines.append("Severity: \(severity.rawValue)")
        lines.append("When:     \(NotificationTime.readable(time))")
        if !details.isEmpty {
            lines.append("")
            for key in details.keys.sorted() {
                let value = details[key] ?? ""
                let valueLines = value.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                if valueLines.count <= 1 && key.count + value.count <= 60 {
                    lines.append("\(key): \(value)")
                } else {
                    lines.append("\(key):")
                    lines.append(contentsOf: valueLines.map { "  " + $0 })
                }
            }
        }
        lines.append("")
        lines.append("Event id: \(id)")
        lines.append("-- ")
        lines.append("Sent by Countersign to the notification channel '\(channel)'.")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    var dropLastDot: String { self != "." && hasSuffix(".") ? String(dropLast()) : self }
    var replacingLineBreaks: String {
        String(map { $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
    }
}
