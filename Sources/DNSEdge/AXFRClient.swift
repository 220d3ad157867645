import DNSCore
import NIOCore
import NIOPosix

public typealias TransferLimits = AXFRClientMachine.Limits
public typealias TransferResult = AXFRClientMachine.Result

/// Pulls zones from a primary: an SOA query, then an AXFR, both over one TCP connection, every
/// message checked by `AXFRClientMachine` (RFC 5936, TSIG per RFC 8945); or an IXFR checked by
/// `IXFRClientMachine` (RFC 1995). The signer uses it to poll.
///
/// A call either returns the whole zone or throws a `TransferError`; no partial zone ever leaves it.
/// It never waits past its bounds: the connect timeout, the idle timeout between messages (in the
/// limits) and the overall `timeout`, whichever comes first. The overall timeout and the first idle
/// period count from the start of the connection attempt. Cancelling the calling task ends it at once.
public struct AXFRClient: Sendable {
    public var group: any EventLoopGroup
    public var connectTimeout: Duration
    /// Wall-clock seconds for TSIG (injected so a test can skew it).
    public var clock: WallClock

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                connectTimeout: Duration = .seconds(5), clock: WallClock = .system) {
        self.group = group
        self.connectTimeout = connectTimeout
        self.clock = clock
    }

    /// Transfers `zone` from `server` (an IP address and port), signing with `tsigKey` when given and
    /// then requiring every response to verify with it.
    public func transfer(
        zone: DomainName, from server: ListenAddress, tsigKey: TSIGKey? = nil, limits: TransferLimits = .init(),
        timeout: Duration = .seconds(120)
    ) async throws(TransferError) -> TransferResult {
        let ids = Self.queryIDs()
        let machine = AXFRClientMachine(zone: zone, key: tsigKey, limits: limits, timeout: timeout,
                                        mode: .soaThenTransfer, soaQueryID: ids.0, transferID: ids.1)
        switch try await run(machine, server: server, timeout: timeout) {
        case .complete(let result): return result
        case .failed(let error): throw error
        case let other: throw .network("the transfer ended with \(other)")
        }
    }

    /// Asks `server` for the changes since `current` (the zone's SOA record as we hold it) with IXFR
    /// (RFC 1995) over TCP. Returns what the server sent — up to date, the changes, the whole zone, or
    /// "no history, transfer in full" — or throws; nothing partial leaves it. A server without IXFR
    /// throws a `TransferError` whose `meansNoIXFR` is true.
    public func incrementalTransfer(
        zone: DomainName, from server: ListenAddress, current: ResourceRecord, tsigKey: TSIGKey? = nil,
        limits: TransferLimits = .init(), timeout: Duration = .seconds(120)
    ) async throws(TransferError) -> IXFRClientMachine.Action {
        let machine = IXFRClientMachine(zone: zone, current: current, key: tsigKey, limits: limits, timeout: timeout,
                                        queryID: UInt16.random(in: .min ... .max))
        let action = try await run(machine, server: server, timeout: timeout)
        switch action {
        case .failed(let error): throw error
        case .send, .needMore: throw .network("the IXFR ended with \(action)")
        default: return action
        }
    }

    /// Asks `server` for the zone's SOA over TCP (for a serial check without a transfer); the answer
    /// must be authoritative and, with a key, signed.
    public func querySOA(
        zone: DomainName, from server: ListenAddress, tsigKey: TSIGKey? = nil, timeout: Duration = .seconds(10)
    ) async throws(TransferError) -> SOA {
        let ids = Self.queryIDs()
        let machine = AXFRClientMachine(zone: zone, key: tsigKey, limits: TransferLimits(idleTimeout: timeout),
                                        timeout: timeout, mode: .soaOnly, soaQueryID: ids.0, transferID: ids.1)
        switch try await run(machine, server: server, timeout: timeout) {
        case .soa(let record):
            if case .soa(let soa) = record.rdata { return soa }
            throw .noSOA(zone: zone, reason: "the answer is not an SOA")
        case .failed(let error): throw error
        case let other: throw .network("the SOA query ended with \(other)")
        }
    }

    /// Two different random IDs: a stale answer to the SOA query can never pass as AXFR data.
    static func queryIDs() -> (UInt16, UInt16) {
        let soa = UInt16.random(in: .min ... .max)
        return (soa, soa &+ UInt16.random(in: 1 ... .max))
    }

    /// Connects, runs the machine to its end and returns its final action.
    func run<Machine: TransferClientMachine>(_ machine: Machine, server: ListenAddress, timeout: Duration)
        async throws(TransferError) -> Machine.Action
    {
        let address: SocketAddress
        do { address = try SocketAddress(ipAddress: server.host, port: server.port) } catch {
            throw .connectFailed(server: server.description, reason: "\(server.host) is not an IP address")
        }
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: Machine.Action.self)
        let connectLimit = min(connectTimeout, timeout)
        let origin = AXFRClientHandler<Machine>.now()
        let unixTimeAtOrigin = clock.seconds()
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(.nanoseconds(Self.nanoseconds(connectLimit)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        AXFRClientHandler(machine: machine, promise: promise, origin: origin,
                                          unixTimeAtOrigin: unixTimeAtOrigin))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(to: address).get()
        } catch {
            let failure: TransferError = if case ChannelError.connectTimeout = error {
                .connectTimeout(server: server.description, limit: connectLimit)
            } else {
                .connectFailed(server: server.description, reason: "\(error)")
            }
            promise.fail(failure)
            throw failure
        }
        let outcome: Result<Machine.Action, any Error> = await withTaskCancellationHandler {
            do { return .success(try await promise.futureResult.get()) } catch { return .failure(error) }
        } onCancel: {
            channel.pipeline.fireUserInboundEventTriggered(AXFRClientHandler<Machine>.Cancel())
            promise.fail(TransferError.cancelled)
        }
        channel.close(promise: nil)
        switch outcome {
        case .success(let action): return action
        case .failure(let error as TransferError): throw error
        case .failure(let error): throw .network("\(error)")
        }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
