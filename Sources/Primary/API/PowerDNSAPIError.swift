import DaemonKit

/// Why the API refused a request: the HTTP status and the message PowerDNS clients read from
/// `{"error": ...}`. A refused write has changed nothing.
struct PowerDNSAPIError: Error, Equatable, Sendable, CustomStringConvertible {
    var status: Int
    var message: String

    init(_ status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    static func notFound(_ what: String = "Not Found") -> PowerDNSAPIError { PowerDNSAPIError(404, what) }
    static func unprocessable(_ message: String) -> PowerDNSAPIError { PowerDNSAPIError(422, message) }

    var response: APIResponse { .error(status, message) }
    var description: String { "\(status) \(message)" }
}
