/// Answers DNS requests. Called on an event loop thread, so it must be quick and never block:
/// query answering is pure computation over an in-memory snapshot.
public protocol DNSRequestHandler: Sendable {
    func handle(_ request: DNSRequest) -> DNSResponseAction
}
