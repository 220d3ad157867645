import Crypto
import Foundation

/// A webhook endpoint's signing secret. Standard Webhooks serializes secrets as `whsec_` followed by the
/// key in base64; any other text is used as its own UTF-8 bytes (as the reference libraries do), so an
/// operator can paste whatever the receiver was configured with.
package struct WebhookSecret: Sendable, Equatable, CustomStringConvertible {
    package let key: [UInt8]

    package init(_ text: String) throws(NotificationError) {
        if text.hasPrefix("whsec_") {
            guard let decoded = Data(base64Encoded: String(text.dropFirst(6))), !decoded.isEmpty else {
                throw NotificationError(channel: nil, stage: .configuration,
                                        reason: "webhook secret: the part after 'whsec_' is not base64")
            }
            key = Array(decoded)
        } else {
            guard !text.isEmpty else {
                throw NotificationError(channel: nil, stage: .configuration, reason: "webhook secret is empty")
            }
            key = Array(text.utf8)
        }
    }

    package init(key: [UInt8]) { self.key = key }

    /// Never the key: secrets end up in logs through descriptions.
    package var description: String { "whsec_…(\(key.count) bytes)" }
}

/// The Standard Webhooks symmetric signature: `v1,` and the base64 HMAC-SHA256, keyed with the secret,
/// of `{webhook-id}.{webhook-timestamp}.{body}` — exactly the bytes sent, so the receiver verifies the
/// raw body before parsing it.
package enum WebhookSignature {
    package static func sign(id: String, timestamp: Int64, body: [UInt8], secret: WebhookSecret) -> String {
        var content = Array("\(id).\(timestamp).".utf8)
        content += body
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: secret.key))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The three Standard Webhooks headers for one attempt (`timestamp` is the attempt's, not the event's).
    package static func headers(id: String, timestamp: Int64, body: [UInt8], secret: WebhookSecret) -> [(String, String)] {
        [("webhook-id", id), ("webhook-timestamp", String(timestamp)),
         ("webhook-signature", sign(id: id, timestamp: timestamp, body: body, secret: secret))]
    }
}
