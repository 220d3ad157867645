import DaemonKit
import DNSCore
import DNSEdge
import Foundation
import NIOCore

/// Parking (issue 15): between polls that can only be serial checks, a zone's polls are run by the
/// daemon's `SerialPoller` and its worker sleeps until something else is due. The worker takes its
/// polls back when it wakes for any reason — a NOTIFY, new settings, a re-signing or key step, the
/// content check, or the poller handing the zone back because the primary said something else.
extension ZoneWorker {
    /// What the poller reported while the zone was parked; written on the poller's loop, taken by the
    /// worker when it wakes.
    final class ParkedPolls: Sendable {
        private let reports = Locked<(quietAt: Int64?, handedBack: Bool)>((nil, false))

        func quiet(at time: Int64) { reports.withLock { $0.quietAt = max($0.quietAt ?? time, time) } }
        func handBack() { reports.withLock { $0.handedBack = true } }
        var lastQuiet: Int64? { reports.withLock { $0.quietAt } }
        func take() -> (quietAt: Int64?, handedBack: Bool) {
            reports.withLock { reports in
                defer { reports = (nil, false) }
                return reports
            }
        }
    }

    /// Seconds the loop may sleep before the next `tick`; parks the zone first when its next poll can
    /// only be a serial check, and then sleeps past the poll until whatever else is due.
    func secondsToSleep() -> Double {
        guard let until = park() else { return secondsToNextDeadline() }
        let remaining = Double(until) - Date().timeIntervalSince1970
        return min(3600, max(0.25, remaining + 0.01))
    }

    /// Parks the zone when it may be; returns until when its worker may sleep (nil: not parked).
    private func park() -> Int64? {
        guard let poller, !parked, mayPark, let held = state.unsignedSerial,
              let lastCheck = lastContentCheck, machine.nextPoll < lastCheck + config.contentCheckSeconds else { return nil }
        var servers: [SocketAddress] = []
        for primary in config.primaries {
            guard let address = try? SocketAddress(ipAddress: primary.host, port: primary.port) else { return nil }
            servers.append(address)
        }
        parked = true
        let zone = origin.text
        let result = unchangedSerialResult(held)
        let reports = parkedPolls
        let times = pollTimes
        let wakeup = wakeup
        let metrics = CountersignMetrics.UnchangedPolls(zone: zone)
        let settings = Self.settings(config)
        poller.watch(origin, owner: ObjectIdentifier(self), serial: held, servers: servers, firstAt: machine.nextPoll,
                     interval: settings.pollInterval, seed: settings.jitterSeed,
                     quiet: { time in
                         reports.quiet(at: time)
                         times.note(SignerStore.PollTime(zone: zone, lastPollAt: time, lastSuccessAt: time, result: result))
                         metrics.record(at: time)
                     },
                     handBack: {
                         reports.handBack()
                         wakeup.wake()
                     })
        let contentCheck = lastCheck + config.contentCheckSeconds
        return min(machine.nextDeadlineBesidesPoll ?? contentCheck, contentCheck)
    }

    /// Nothing waits for the worker and the primary answered its last poll: only then are its polls
    /// someone else's.
    private var mayPark: Bool {
        machine.phase == .idle && !machine.pollQueued && !transferAsked && !hasPendingRequest && isSettledOnSerial
    }

    /// The zone's first poll is done, its primary answers, and a serial check says everything about it:
    /// the serial mode, or `auto` settled on it (never content mode, whose primaries change content without
    /// a new serial).
    var isSettledOnSerial: Bool {
        guard machine.failures == 0, !machine.isExpired, hasPublished, startActions == nil else { return false }
        switch config.pollMode {
        case .serial: return true
        case .auto: return detectedMode == .serial
        case .content: return false
        }
    }

    /// A NOTIFY's serial is the one the zone already holds from its primary (RFC 1996 §3.7 lets a secondary
    /// take the NOTIFY's SOA as a hint; Knot ignores such a NOTIFY too). A serial check would say "same
    /// serial" and nothing would be fetched, so nothing is asked: a primary that restarts and notifies every
    /// zone (NSD does, once per zone) costs one datagram each. A stale hint is harmless here: a primary
    /// whose content moved without a new serial is not in serial mode, and `zone refresh` asks no hint.
    func notifiedSerialIsHeld(_ serial: SerialNumber) -> Bool {
        isSettledOnSerial && state.unsignedSerial == serial.rawValue
    }

    /// Takes the zone's polls back from the poller; the machine learns of the quiet polls it ran, and of a
    /// hand-back as of a NOTIFY (poll now). Called first whenever the worker wakes.
    func unpark(now time: Int64) -> [ZoneCycle.Action] {
        guard parked, let poller else { return [] }
        parked = false
        poller.release(origin, owner: ObjectIdentifier(self))
        let (quietAt, handedBack) = parkedPolls.take()
        var actions: [ZoneCycle.Action] = []
        if let quietAt {
            actions += machine.event(.quietPolls(now: time, lastAt: quietAt))
            state.lastPollAt = max(state.lastPollAt ?? quietAt, quietAt)
            state.lastSuccessAt = max(state.lastSuccessAt ?? quietAt, quietAt)
            // The poll times noted the same result: the batched write records it.
            // The serial held did not change while parked.
            let result = state.unsignedSerial.map(unchangedSerialResult)
            state.lastPollResult = result
            recordedState?.lastPollResult = result
        }
        if handedBack { actions += machine.event(.notified(now: time)) }
        return actions
    }

    /// The loop ended (the zone was removed, the daemon stops): the poller forgets the zone.
    func leavePoller() {
        if parked { poller?.release(origin, owner: ObjectIdentifier(self)) }
        parked = false
    }
}
