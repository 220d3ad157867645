import DNSCore
import NIOCore
import NIOPosix

/// One question to one server, for the tools that ask rather than serve (`dns-signer check-chain`):
/// UDP, TCP when the answer is truncated, each exchange bounded by `timeout`, UDP retried `attempts`
/// times. The exchanges are `UpstreamResolver`'s; this only lets the caller choose the question, the
/// RD bit and the server, and hands back the whole message.
public struct DNSQueryClient: Sendable {
    public var timeout: Duration
    /// UDP tries before giving up on a silent server (a lost datagram is not an answer).
    public var attempts: Int
    public var udpPayloadSize: UInt16?
    public var group: any EventLoopGroup
    /// Set: UDP questions share its socket instead of opening one each (see `SharedUDPExchanger` for
    /// when that is right).
    public var shared: SharedUDPExchanger?

    public init(timeout: Duration = .seconds(2), attempts: Int = 2, udpPayloadSize: UInt16? = EDNS.defaultPayloadSize,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, shared: SharedUDPExchanger? = nil) {
        self.timeout = timeout
        self.attempts = attempts
        self.udpPayloadSize = udpPayloadSize
        self.group = group
        self.shared = shared
    }

    /// How asking ended: the server's message (whatever its RCODE), or why there is none.
    public enum Outcome: Sendable {
        case answer(Message)
        case failed(String)
    }

    /// Asks `server` for `name`/`type`. `recursionDesired` false asks an authoritative server about its
    /// own data; true asks a resolver to go and find out.
    public func query(_ name: DomainName, type: RecordType, dnsClass: DNSClass = .IN, server: ListenAddress,
                      recursionDesired: Bool = false, dnssecOK: Bool = false) async -> Outcome {
        let address: SocketAddress
        do { address = try SocketAddress(ipAddress: server.host, port: server.port) } catch {
            return .failed("\(server.host) is not an IP address")
        }
        let exchanger = UpstreamResolver(resolvers: [server], timeout: timeout, rounds: 1,
                                         udpPayloadSize: udpPayloadSize, group: group)
        var last = "timed out"
        for _ in 0..<max(1, attempts) {
            if Task.isCancelled { return .failed("cancelled") }
            let id = UInt16.random(in: .min ... .max)
            let query = Message.query(name: name, type: type, dnsClass: dnsClass, id: id, recursionDesired: recursionDesired,
                                      do: dnssecOK, udpPayloadSize: udpPayloadSize)
            var exchange = if let shared { await shared.exchange(query, to: address, timeout: timeout) }
                else { await exchanger.exchangeUDP(query, to: address) }
            if case .answer(let message) = exchange, message.flags.tc {
                var retry = query
                retry.id = message.id &+ 1
                exchange = await exchanger.exchangeTCP(retry, to: address)
            }
            switch exchange {
            case .answer(let message): return .answer(message)
            case .failure(let reason): last = "\(reason)"
            }
        }
        return .failed(last)
    }

    /// The `nameserver` entries of `/etc/resolv.conf` (or `path`) as addresses on port 53; entries we
    /// cannot use (a link-local address with a zone, `fe80::1%eth0`) are left out.
    public static func systemResolvers(path: String = "/etc/resolv.conf") -> [ListenAddress] {
        let text = (try? ZoneFiles.readText(path)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver", !fields[1].contains("%") else { return nil }
            return ListenAddress(host: String(fields[1]), port: 53)
        }
    }
}
