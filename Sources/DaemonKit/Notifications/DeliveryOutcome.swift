/// What one attempt to deliver one event to one channel came to.
package enum DeliveryOutcome: Sendable, Equatable, CustomStringConvertible {
    /// The receiver took it: `HTTP 204`, the SMTP server's reply, `sendmail exited 0`.
    case delivered(String)
    /// Not delivered; try again later, not before `retryAfter` seconds when the receiver said so.
    case failed(String, retryAfter: Int64? = nil)
    /// The receiver asked never to be sent anything again (HTTP 410 Gone): disable the endpoint.
    case gone(String)

    package var isDelivered: Bool {
        if case .delivered = self { return true }
        return false
    }

    package var description: String {
        switch self {
        case let .delivered(detail): "delivered (\(detail))"
        case let .failed(reason, retryAfter): "failed: \(reason)" + (retryAfter.map { " (retry after \($0) s)" } ?? "")
        case let .gone(reason): "gone: \(reason)"
        }
    }
}
