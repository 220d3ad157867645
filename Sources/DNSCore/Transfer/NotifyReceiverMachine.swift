/// Turns accepted NOTIFYs (RFC 1996) into zone refreshes, at most one in flight per zone.
///
/// A flood of NOTIFYs for a zone starts one refresh. A NOTIFY that arrives while it runs and could
/// announce something newer than what started it (a higher serial, or no serial) queues exactly one
/// follow-up refresh, started when the running one finishes; repeats of the same serial are absorbed.
/// Authorising the sender (address, TSIG key) is the caller's job, before an event comes here.
public struct NotifyReceiverMachine: Sendable {
    public enum Event: Sendable, Hashable {
        /// An authorised NOTIFY for `zone`; `serial` from its answer section when it carried an SOA.
        case notified(zone: DomainName, serial: SerialNumber?)
        /// The refresh the machine asked for has ended (successfully or not).
        case refreshFinished(zone: DomainName)
    }

    public enum Action: Sendable, Hashable {
        /// Start refreshing the zone now.
        case refresh(DomainName)
        /// A refresh is running; one more will follow it, because this NOTIFY may announce newer data.
        case deferred(DomainName)
        /// Nothing to do: a refresh that covers this NOTIFY is already running or queued.
        case coalesced(DomainName)
        /// A `refreshFinished` for a zone with no refresh in flight.
        case none
    }

    struct ZoneState: Sendable {
        var inFlight = false
        /// The serial announced by the NOTIFY that started the running refresh.
        var runningSerial: SerialNumber?
        var pending = false
        var pendingSerial: SerialNumber?
    }

    var zones: [DomainName: ZoneState] = [:]

    public init() {}

    public func isRefreshing(_ zone: DomainName) -> Bool { zones[zone]?.inFlight ?? false }

    public mutating func event(_ event: Event) -> Action {
        switch event {
        case let .notified(zone, serial):
            var state = zones[zone] ?? ZoneState()
            defer { zones[zone] = state }
            guard state.inFlight else {
                state.inFlight = true
                state.runningSerial = serial
                return .refresh(zone)
            }
            if let serial, let running = state.runningSerial, !(serial > running) { return .coalesced(zone) }
            if state.pending {
                if let serial, let queued = state.pendingSerial, serial > queued { state.pendingSerial = serial }
                if serial == nil { state.pendingSerial = nil }
                return .coalesced(zone)
            }
            state.pending = true
            state.pendingSerial = serial
            return .deferred(zone)
        case let .refreshFinished(zone):
            guard var state = zones[zone], state.inFlight else { return .none }
            defer { zones[zone] = state }
            if state.pending {
                state.pending = false
                state.runningSerial = state.pendingSerial
                state.pendingSerial = nil
                return .refresh(zone)
            }
            state.inFlight = false
            state.runningSerial = nil
            return .none
        }
    }
}
