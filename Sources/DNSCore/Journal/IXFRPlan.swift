/// What to send for an IXFR request (RFC 1995), decided from the client's serial, the SOA we serve and
/// the journal's steps: a pure function, so every case is tested without a server.
public enum IXFRPlan: Sendable, Equatable {
    /// The client has our version, or a newer one (RFC 1995 §2): the SOA alone.
    case current
    /// One condensed step from the client's version to ours.
    case incremental(JournalDelta)
    /// An AXFR-style response (RFC 1995 §4), and why the journal could not answer.
    case full(reason: String)

    /// - Parameters:
    ///   - clientSerial: the serial of the SOA in the request's authority section.
    ///   - served: the apex SOA RRset being served (what the response must end with).
    ///   - journal: steps oldest first, as stored; may run past `served` (a version stored but not yet
    ///     served), which is ignored.
    public static func plan(clientSerial: SerialNumber, served: RRset, journal: [JournalDelta]) -> IXFRPlan {
        let current = JournalDelta.serial(served)
        if clientSerial == current || clientSerial > current { return .current }
        guard clientSerial < current else {
            return .full(reason: "serial \(clientSerial) is incomparable with ours (\(current)) under RFC 1982")
        }
        let starts = journal.indices.filter { journal[$0].fromSerial == clientSerial }
        guard let start = starts.first else {
            let reach = journal.first.map { "it reaches back to serial \($0.fromSerial)" } ?? "it is empty"
            return .full(reason: "the journal does not reach serial \(clientSerial): \(reach)")
        }
        // A serial used twice names two versions; the client may hold either.
        guard starts.count == 1 else {
            return .full(reason: "serial \(clientSerial) appears twice in the journal")
        }
        var steps: [JournalDelta] = []
        for step in journal[start...] {
            if let previous = steps.last, previous.toSerial != step.fromSerial {
                return .full(reason: "the journal has a gap after serial \(previous.toSerial)")
            }
            steps.append(step)
            if step.toSerial == current { break }
        }
        guard let last = steps.last, last.toSerial == current else {
            return .full(reason: "the journal ends at serial \(steps.last?.toSerial ?? clientSerial), not at the served \(current)")
        }
        guard last.newSOA == served else {
            return .full(reason: "the journal's SOA for serial \(current) differs from the one served")
        }
        return JournalDelta.condensing(steps).map { .incremental($0) } ?? .full(reason: "no steps")
    }
}
