import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Posts one event to one Standard Webhooks endpoint with async-http-client.
///
/// 2xx is delivered; 410 Gone disables the endpoint; anything else — 3xx included, since following a
/// redirect would post the body somewhere the operator did not configure — is a failure to retry, with
/// the response's `Retry-After` passed on.
enum WebhookClient {
    /// At most this much of an error response is kept for `last_error`.
    static let errorBodyLimit = 512

    static func post(_ event: OperatorEvent, to target: WebhookTarget, now: Int64) async -> DeliveryOutcome {
        let body = event.webhookBody()
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "countersign-notifications/1")
        for (name, value) in WebhookSignature.headers(id: event.id, timestamp: now, body: body, secret: target.secret) {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(body)
        let timeout = TimeAmount.seconds(max(1, target.timeout))
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: HTTPClient.Configuration.Timeout(connect: timeout, read: timeout))
        // A refused connection is this attempt's failure, reported at once: the worker retries on its own
        // schedule, and retrying inside the client would hold every other channel up for the whole timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let outcome: DeliveryOutcome
        do {
            let response = try await client.execute(request, timeout: timeout)
            let status = Int(response.status.code)
            let text = await responseText(response)
            if (200..<300).contains(status) {
                outcome = .delivered("HTTP \(status)")
            } else if status == 410 {
                outcome = .gone("HTTP 410 Gone" + (text.isEmpty ? "" : ": \(text)"))
            } else {
                let retryAfter = response.headers.first(name: "Retry-After").flatMap { RetryPolicy.parseRetryAfter($0, now: now) }
                outcome = .failed("HTTP \(status) \(response.status.reasonPhrase)" + (text.isEmpty ? "" : ": \(text)"),
                                  retryAfter: retryAfter)
            }
        } catch {
            outcome = .failed("\(target.url): \(error)")
        }
        try? await client.shutdown()
        return outcome
    }

    /// The start of the response body as one line of text, for error messages; the rest is drained.
    private static func responseText(_ response: HTTPClientResponse) async -> String {
        var kept: [UInt8] = []
        do {
            for try await chunk in response.body {
                if kept.count < errorBodyLimit { kept += chunk.readableBytesView.prefix(errorBodyLimit - kept.count) }
            }
        } catch {
            return ""
        }
        return String(decoding: kept, as: UTF8.self).replacingLineBreaks.trimmingWhitespace()
    }
}
