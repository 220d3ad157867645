/// An address and port to listen on or connect to, as operators write it: `127.0.0.1:5300`,
/// `[::1]:5300`, or a bare address with a default port.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[v6]:port`, `v6` or `host` (then `defaultPort`).
    public init(parsing text: String, defaultPort: Int = 53) throws(ListenAddressError) {
        var host = Substring(text)
        var port = defaultPort
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw .malformed(text, "missing ] after an IPv6 address") }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let value = Int(rest.dropFirst()) else {
                    throw .malformed(text, "expected :PORT after ]")
                }
                port = value
            }
        } else if host.filter({ $0 == ":" }).count == 1, let colon = host.lastIndex(of: ":") {
            guard let value = Int(host[host.index(after: colon)...]) else { throw .malformed(text, "port is not a number") }
            port = value
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw .malformed(text, "no address") }
        guard (0...65535).contains(port) else { throw .malformed(text, "port \(port) is not in 0...65535") }
        self.host = String(host)
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Why an address given on the command line or in a config file could not be read.
public enum ListenAddressError: Error, Equatable, CustomStringConvertible {
    case malformed(String, String)

    public var description: String {
        switch self {
        case let .malformed(text, reason): "\(text): \(reason)"
        }
    }
}
