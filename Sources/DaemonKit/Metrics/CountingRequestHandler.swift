import DNSEdge

/// Wraps a daemon's request handler (its `DNSRequestRouter`) and counts every answer by RCODE, so the
/// query path needs no metrics code of its own: `DNSServer(…, handler: CountingRequestHandler(router))`.
package struct CountingRequestHandler: DNSRequestHandler {
    private let inner: any DNSRequestHandler
    private let metrics: QueryMetrics

    package init(_ inner: any DNSRequestHandler, metrics: QueryMetrics = QueryMetrics()) {
        self.inner = inner
        self.metrics = metrics
    }

    package func handle(_ request: DNSRequest) -> DNSResponseAction {
        let action = inner.handle(request)
        switch action {
        case let .reply(bytes):
            metrics.record(response: bytes)
            return action
        case let .stream(stream):
            // A transfer: counted once, by its first message's RCODE, when the connection takes it.
            let metrics = self.metrics
            var first = true
            return .stream(DNSResponseStream(next: {
                let message = stream.next()
                if first, let message {
                    first = false
                    metrics.record(response: message)
                }
                return message
            }, onFinish: { completed in stream.finish(completed: completed) }))
        case .drop:
            metrics.recordDropped()
            return action
        }
    }
}
