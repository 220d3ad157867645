/// A request handler whose work is done by another handler that can be replaced while the server
/// runs: a daemon rebuilds its router when an operator adds a TSIG key or a downstream ACL, and the
/// listeners keep their sockets. A request in flight finishes with the handler it started with.
public final class SwappableRequestHandler: DNSRequestHandler {
    private let current: Locked<any DNSRequestHandler>

    public init(_ handler: any DNSRequestHandler) { current = Locked(handler) }

    public func replace(with handler: any DNSRequestHandler) { current.withLock { $0 = handler } }

    public func handle(_ request: DNSRequest) -> DNSResponseAction { current.current.handle(request) }
}
