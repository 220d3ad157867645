import Metrics

/// The primary's remote editors: RFC 2136 updates and the PowerDNS-compatible HTTP API (issue 17).
/// Both counters exist from the daemon's start (at 0), so an alert on their rate has a series to watch.
extension CountersignMetrics {
    package enum UpdateName {
        package static let updates = "countersign_updates_total"
        package static let apiRequests = "countersign_api_requests_total"
    }

    /// An RFC 2136 update for one of our zones was answered with `rcode` (`NOERROR`: applied, or nothing to
    /// change). Updates for zones we do not hold are not counted here (their names are the sender's choice);
    /// they show in `countersign_queries_total`.
    package static func updateAnswered(zone: String, rcode: String) {
        Counter(label: UpdateName.updates, dimensions: [("zone", zone), ("rcode", rcode)]).increment()
    }

    /// Creates a zone's `NOERROR` update counter at 0 (the primary does, for every zone it loads).
    package static func declareUpdates(zone: String) {
        _ = Counter(label: UpdateName.updates, dimensions: [("zone", zone), ("rcode", "NOERROR")])
    }

    /// The HTTP API answered a request with `status` (200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 422,
    /// 500, …); 0 `status="200"` from the start.
    package static func apiAnswered(status: Int) {
        Counter(label: UpdateName.apiRequests, dimensions: [("status", "\(status)")]).increment()
    }

    package static func declareAPIRequests() {
        _ = Counter(label: UpdateName.apiRequests, dimensions: [("status", "200")])
    }
}
