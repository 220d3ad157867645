import DaemonKit
import DNSCore
import DNSEdge
import Logging

/// IXFR in (issue 14): a poll that must transfer asks for the changes since the serial we hold, applies
/// them to the unsigned copy and hands the signing pipeline the diff, so a one-record change costs what
/// the change costs. AXFR stays the proof: the first transfer after a start, every content check
/// (`--content-check`) and every transfer in content poll mode are AXFRs, and an AXFR at the serial IXFR
/// built that finds other content raises `transfer.ixfr-mismatch` and takes the AXFR's content.
extension ZoneWorker {
    /// What a poll's transfer brought.
    enum PolledTransfer {
        /// IXFR: the primary holds our serial.
        case upToDate(SerialNumber)
        /// IXFR: the changes, applied to the unsigned copy we hold.
        case incremental(zone: Zone, diff: ZoneDiff, result: IXFRClientMachine.Result)
        /// The whole zone, from an AXFR or an IXFR answered AXFR-style.
        case full(TransferResult, type: CountersignMetrics.TransferType)
        /// A broken IXFR: refused, the zone stays as it was (see `refuses(broken:)`).
        case broken(TransferError)
    }

    /// How long a primary that answered IXFR with NOTIMP, REFUSED or FORMERR is asked with AXFR only.
    var ixfrRetrySeconds: Int64 { config.contentCheckSeconds }

    /// The transfer for this poll: IXFR when it may be used, else (or when the primary has no IXFR, no
    /// history, or cannot be reached that way) AXFR through `fetchFull`.
    func transferForPoll(fetchFull: () async throws -> TransferResult) async throws -> PolledTransfer {
        guard hasPublished, await incrementalAllowed() else { return .full(try await fetchFull(), type: .axfr) }
        // A small zone's working copy may have been let go between cycles: the changes apply to it.
        ensureCurrent()
        guard let current, let held = current.unsigned.rrset(at: origin, type: .SOA)?.records.first else {
            return .full(try await fetchFull(), type: .axfr)
        }
        let key = try transferKey()
        for primary in config.primaries {
            let answer: IXFRClientMachine.Action
            do {
                answer = try await transfers.incrementalTransfer(zone: origin, from: primary, current: held, tsigKey: key,
                                                                 timeout: .seconds(120))
            } catch {
                if error.meansNoIXFR {
                    ixfrRetryAt = now() + ixfrRetrySeconds
                    logger.notice("the primary does not answer IXFR; using AXFR", metadata: meta([
                        "primary": "\(primary)", "reason": "\(error)", "retry_ixfr_s": "\(ixfrRetrySeconds)",
                    ]))
                    break
                }
                if error.isBrokenTransfer {
                    if refuses(broken: error, from: primary) { return .broken(error) }
                    break
                }
                // Unreachable or failing: the next primary; the AXFR below reports what is wrong.
                logger.info("IXFR failed; trying the next primary", metadata: meta(["primary": "\(primary)", "reason": "\(error)"]))
                continue
            }
            switch answer {
            case .upToDate(let soa):
                // A serial below ours is not "up to date" but a restore or a mistake: the AXFR's guards judge it.
                guard soa.serial == current.unsigned.serial else { break }
                CountersignMetrics.transferReceived(zone: origin.text, type: .ixfrCurrent)
                return .upToDate(soa.serial)
            case .incremental(let result):
                do {
                    let applied = try current.unsigned.applying(result.sequences)
                    CountersignMetrics.transferReceived(zone: origin.text, type: .ixfr)
                    lastBrokenIXFR = nil
                    return .incremental(zone: applied.zone, diff: ZoneDiff(from: current.unsigned, to: applied.zone, at: applied.changedNames),
                                        result: result)
                } catch {
                    if refuses(broken: error, from: primary) { return .broken(error) }
                }
            case .full(let result):
                CountersignMetrics.transferReceived(zone: origin.text, type: .ixfrFull)
                return .full(result, type: .ixfrFull)
            case .needsFull(let soa):
                logger.info("the primary has no IXFR history from our serial; using AXFR", metadata: meta([
                    "primary": "\(primary)", "serial": "\(soa.serial)",
                ]))
            case .send, .needMore, .failed:
                continue
            }
            break
        }
        return .full(try await fetchFull(), type: .axfr)
    }

    /// A broken IXFR is refused (the poll ends, the zone stays, one alert) and IXFR rests for
    /// `ixfrRetrySeconds`, so AXFR takes over at the next poll. When IXFR is tried again and breaks the
    /// same way, it is not refused again (the alert was given): the poll goes on with AXFR at once.
    func refuses(broken error: TransferError, from primary: ListenAddress) -> Bool {
        ixfrRetryAt = now() + ixfrRetrySeconds
        let reason = "\(error)"
        defer { lastBrokenIXFR = reason }
        guard lastBrokenIXFR != reason else {
            logger.warning("IXFR broken again the same way; using AXFR", metadata: meta(["primary": "\(primary)", "reason": "\(reason)"]))
            return false
        }
        return true
    }

    /// IXFR is used when the zone is set to it, the content check is not due (it is an AXFR), the poll
    /// mode is serial (content mode compares whole transfers), no review is configured (a review holds
    /// a version by the AXFR's content hash), and the primary has not said lately that it lacks IXFR.
    func incrementalAllowed() async -> Bool {
        guard config.transferMode == .ixfr, reviewing.gate.settings.isOff, reviewing.gate.phase == .idle else { return false }
        guard let last = lastContentCheck, now() - last < config.contentCheckSeconds else { return false }
        if let retry = ixfrRetryAt, now() < retry { return false }
        return await pollMode() == .serial
    }

    /// The configured TSIG key, or an error when it is not in the store.
    func transferKey() throws -> TSIGKey? {
        let key = try config.tsigKeyName.flatMap { try store.tsigKey(named: $0) }
        if let name = config.tsigKeyName, key == nil { throw SignerError.unknownTSIGKey(name) }
        return key
    }

    /// After an AXFR at the serial of a version IXFR built: the event when the content differs.
    func contentCheckEvent(axfr: Zone, current: ZoneUpdate.Current) -> OperatorEvent? {
        guard builtByIXFR, let serial = axfr.serial, serial == current.unsigned.serial, axfr != current.unsigned else { return nil }
        let diff = ZoneDiff(from: current.unsigned, to: axfr)
        let summary = ChangeSummary(diff)
        logger.error("the AXFR content check differs from what IXFR built at the same serial; taking the AXFR", metadata: meta([
            "serial": "\(serial)", "difference": "\(summary.sentence)",
        ]))
        return OperatorEvent(
            kind: .transferIXFRMismatch, severity: .warning, zone: origin.text, time: now(),
            summary: "\(origin.text): the AXFR content check at serial \(serial) differs from what IXFR built (\(summary.sentence)); "
                + "serving the AXFR's content",
            details: ["serial": "\(serial)", "difference": summary.sentence]
                .merging(summary.examples.isEmpty ? [:] : ["examples": summary.examples.joined(separator: "\n")]) { $1 })
    }
}

extension TransferError {
    /// The primary sent something we must not use (a protocol, content, TSIG or limit violation), as
    /// opposed to not answering or failing to (connection, time, a server error): the first is refused
    /// and alerted at once, the second is a failed poll that is retried.
    var isBrokenTransfer: Bool {
        switch self {
        case .connectFailed, .connectTimeout, .network, .cancelled, .idleTimeout, .deadlineExceeded, .serverError: false
        default: true
        }
    }
}
