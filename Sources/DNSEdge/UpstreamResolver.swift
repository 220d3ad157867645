import DNSCore
import NIOCore
import NIOPosix

/// Resolves ALIAS targets through configured recursive resolvers: a query with RD set over UDP, the
/// same query over TCP when the answer comes back truncated, each exchange bounded by `timeout`, and
/// the next resolver (then another round) after a timeout, SERVFAIL/REFUSED or unusable answer.
/// NXDOMAIN and NODATA are answers, not reasons to ask elsewhere.
///
/// It never waits longer than `rounds × resolvers × 2 × timeout` (a UDP and a TCP exchange each).
public struct UpstreamResolver: Sendable {
    public var resolvers: [ListenAddress]
    /// Bound on one exchange (UDP, or the TCP retry including its connect).
    public var timeout: Duration
    /// How many times the list of resolvers is gone through.
    public var rounds: Int
    /// EDNS payload size offered; nil sends no OPT record (answers then fit in 512 bytes or come truncated).
    public var udpPayloadSize: UInt16?
    /// Accept only answers a validating resolver authenticated (`serve --alias-require-authentic`): the
    /// query carries DO (CD clear), and an answer without AD, or a SERVFAIL the resolver explains as a
    /// DNSSEC failure, is `.unauthenticated` (see `AliasAuthenticity`).
    public var requireAuthenticated: Bool
    public var group: any EventLoopGroup

    public init(resolvers: [ListenAddress], timeout: Duration = .seconds(2), rounds: Int = 2,
                udpPayloadSize: UInt16? = EDNS.defaultPayloadSize, requireAuthenticated: Bool = false,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.resolvers = resolvers
        self.timeout = timeout
        self.rounds = rounds
        self.udpPayloadSize = udpPayloadSize
        self.requireAuthenticated = requireAuthenticated
        self.group = group
    }

    /// How one exchange with one resolver ended.
    enum Exchange: Sendable {
        case answer(Message)
        case failure(AliasFailureReason)
    }

    /// Both families of `target`, looked up concurrently.
    public func resolve(_ target: DomainName) async -> [AliasAddressFamily: AliasLookup] {
        async let v4 = resolve(target, family: .v4)
        async let v6 = resolve(target, family: .v6)
        return [.v4: await v4, .v6: await v6]
    }

    /// The addresses of one family of `target`, or why there are none.
    public func resolve(_ target: DomainName, family: AliasAddressFamily) async -> AliasLookup {
        guard !resolvers.isEmpty else { return .failed(.badAnswer("no resolver is configured")) }
        var last = AliasFailureReason.timeout
        for _ in 0..<max(1, rounds) {
            for server in resolvers {
                if Task.isCancelled { return .failed(last) }
                switch await ask(target, family: family, server: server) {
                case .answer(let message):
                    let lookup = AliasAnswerReader.read(message, target: target, family: family,
                                                        requireAuthenticated: requireAuthenticated)
                    switch lookup {
                    case .failed(let reason):
                        switch reason {
                        // Another resolver may do better (one of several may be the validating one).
                        case .serverFailure, .badAnswer, .unauthenticated: last = reason
                        default: return lookup
                        }
                    case .resolved: return lookup
                    }
                case .failure(let reason):
                    last = reason
                }
            }
        }
        return .failed(last)
    }

    /// One question to one resolver: UDP, then TCP when truncated.
    func ask(_ target: DomainName, family: AliasAddressFamily, server: ListenAddress) async -> Exchange {
        let address: SocketAddress
        do { address = try SocketAddress(ipAddress: server.host, port: server.port) } catch {
            return .failure(.badAnswer("resolver \(server) is not an IP address"))
        }
        let id = UInt16.random(in: .min ... .max)
        let query = Message.query(name: target, type: family.recordType, id: id, recursionDesired: true,
                                  do: requireAuthenticated, udpPayloadSize: udpPayloadSize)
        let udp = await exchangeUDP(query, to: address)
        if case .answer(let message) = udp, message.flags.tc {
            var retry = query
            retry.id = id &+ 1
            return await exchangeTCP(retry, to: address)
        }
        return udp
    }

    static let anyIPv4 = try! SocketAddress(ipAddress: "0.0.0.0", port: 0)
    static let anyIPv6 = try! SocketAddress(ipAddress: "::", port: 0)

    func exchangeUDP(_ query: Message, to address: SocketAddress) async -> Exchange {
        let loop = group.next()
        let promise = loop.makePromise(of: Exchange.self)
        let handler = UpstreamUDPHandler(query: query, server: address, timeout: timeout, promise: promise)
        let bind = DatagramBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            // An address, not a host string: `bind(host:)` goes through getaddrinfo, which asks the kernel for
            // every interface (a netlink socket and dump) on each call — most of a poll's CPU at rest.
            .bind(to: address.protocol == .inet6 ? Self.anyIPv6 : Self.anyIPv4)
        let channel: any Channel
        do { channel = try await bind.get() } catch {
            return .failure(.badAnswer("cannot open a UDP socket: \(error)"))
        }
        let result = (try? await promise.futureResult.get()) ?? .failure(.timeout)
        try? await channel.close()
        return result
    }

    func exchangeTCP(_ query: Message, to address: SocketAddress) async -> Exchange {
        let loop = group.next()
        let promise = loop.makePromise(of: Exchange.self)
        let start = NIODeadline.now()
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(AXFRClient.nanoseconds(timeout)))
            .channelInitializer { [timeout] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(TCPFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(
                        UpstreamTCPHandler(query: query, deadline: start + .nanoseconds(AXFRClient.nanoseconds(timeout)),
                                           promise: promise))
                }
            }
        let channel: any Channel
        do { channel = try await bootstrap.connect(to: address).get() } catch {
            promise.succeed(.failure(.timeout))
            if case ChannelError.connectTimeout = error { return .failure(.timeout) }
            return .failure(.badAnswer("TCP connection to \(address) failed: \(error)"))
        }
        let result = (try? await promise.futureResult.get()) ?? .failure(.timeout)
        try? await channel.close()
        return result
    }
}
