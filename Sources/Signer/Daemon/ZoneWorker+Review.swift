import DaemonKit
import DNSCore
import Foundation
import Logging

/// The review step before publishing, as the worker carries it out: `ReviewGate` decides, this runs the
/// commands, writes the zone files they and operators read, stores the review row and raises the events.
/// A held or rejected version ends its poll as `.held`: the previous version stays served and its
/// signature refreshes and key steps go on as before (they are not reviewed).
extension ZoneWorker {
    struct ReviewWork: Sendable {
        var gate: ReviewGate
        /// The configuration changed (perhaps `zone approve|reject`): read the review row at the next tick.
        var decisionAsked = false
        /// A review row may be in the store: clear it when a version is published.
        var rowStored = false
        /// The zone file written for the operator of the version waiting.
        var zoneFile: String?
    }

    /// At start: the review the store holds. A row whose content is already published (a crash between
    /// the publication and clearing the row) is dropped; an approved one is taken on at the first poll.
    func restoreReview() {
        guard let record = try? store.review(zone: origin.text) else { return }
        reviewing.rowStored = true
        reviewing.zoneFile = record.zoneFile
        if record.candidate.contentHash == state.unsignedHash {
            dropReview()
            return
        }
        if !reviewing.gate.restore(record.phase).isEmpty { transferAsked = true }
        logger.notice("review restored", metadata: meta([
            "stage": "\(record.stage.rawValue)", "status": "\(record.status.rawValue)", "serial": "\(record.serial)",
        ]))
    }

    /// New settings: other review settings review the primary's version afresh; any change may carry an
    /// operator's decision.
    func updateReview(_ config: SignerZoneConfig) {
        if config.reviewSettings != reviewing.gate.settings {
            logger.notice("review settings in force", metadata: meta(["review": "\(ReviewOptions.text(config))"]))
        }
        if reviewing.gate.update(config.reviewSettings) {
            logger.notice("review settings changed: the primary's current version is reviewed afresh", metadata: meta())
            dropReview()
            transferAsked = true
        }
        reviewing.decisionAsked = true
    }

    /// At a tick after a configuration change: the operator's decision on the version waiting, if any.
    func takeReviewDecision() -> [ZoneCycle.Action] {
        guard reviewing.decisionAsked else { return [] }
        reviewing.decisionAsked = false
        guard case .waiting = reviewing.gate.phase, let record = try? store.review(zone: origin.text), record.status != .pending,
              let action = reviewing.gate.decided(record.stage, serial: record.serial, approved: record.status == .approved,
                                                 by: record.decidedBy ?? "an operator")
        else { return [] }
        logger.notice("review decided", metadata: meta([
            "stage": "\(record.stage.rawValue)", "serial": "\(record.serial)", "decision": "\(record.status.rawValue)",
            "by": "\(record.decidedBy ?? "-")",
        ]))
        removeReviewFile()
        guard action == .pollNow else { return [] }
        transferAsked = true
        return machine.event(.notified(now: now()))
    }

    /// In a poll, before signing: the primary still sends the content waiting for review or rejected by it.
    func heldPoll(_ contentHash: [UInt8]) -> [ZoneCycle.Action]? {
        guard let reason = reviewing.gate.holding(contentHash) else { return nil }
        return finishHeld(reason)
    }

    /// In a poll, with a new signed and verified version: its reviews. nil: publish it; else the poll's
    /// end with the previous version kept.
    func reviewed(_ change: ZoneUpdate.Change, contentHash: [UInt8]) async -> [ZoneCycle.Action]? {
        if reviewing.gate.settings.isOff && reviewing.gate.phase == .idle { return nil }
        let candidate = ReviewGate.Candidate(
            contentHash: contentHash, unsignedSerial: change.unsigned.serial?.rawValue ?? 0,
            signedSerial: change.signed.zone.serial?.rawValue ?? 0, previousSignedSerial: state.signedSerial)
        var action = reviewing.gate.offer(candidate, now: now())
        while true {
            switch action {
            case .publish, .pollNow:
                return nil
            case let .runHook(candidate, stage, timeout):
                action = reviewing.gate.hookFinished(candidate, stage, await runHook(change, candidate, stage, timeout: timeout), now: now())
            case let .askOperator(candidate, stage, superseded):
                return askOperator(change, candidate, stage, superseded: superseded)
            case let .rejected(candidate, stage, reason):
                logger.warning("review rejected the new version; serving the previous one", metadata: meta([
                    "stage": "\(stage.rawValue)", "serial": "\(candidate.serial(for: stage))", "reason": "\(reason)",
                ]))
                let record = SignerStore.ReviewRecord(stage: stage, status: .rejected, candidate: candidate, zoneFile: nil, reason: reason,
                                                      createdAt: now())
                removeReviewFile()
                storeReview(record, event: OperatorEvent(
                    kind: .reviewRejected, severity: .warning, zone: origin.text, time: now(),
                    summary: "\(origin.text): the review command rejected the \(stage.rawValue) version with serial "
                        + "\(candidate.serial(for: stage)); still serving \(servedText): \(reason)",
                    details: SignerStore.reviewDetails(record)))
                return finishHeld("the \(stage.rawValue) review rejected this version (serial \(candidate.serial(for: stage))): \(reason)")
            case .hold(let reason):
                return finishHeld(reason)
            }
        }
    }

    /// The version was stored and is served: its review (or an older one's row) is done.
    func reviewPublished() {
        reviewing.gate.published()
        if reviewing.rowStored { dropReview() }
    }

    // MARK: Carrying out

    private var servedText: String {
        state.signedSerial.map { "the previous version (signed serial \($0))" } ?? "nothing (no version published yet)"
    }

    private func finishHeld(_ reason: String) -> [ZoneCycle.Action] {
        state.lastSuccessAt = now()
        state.lastPollResult = "held: \(reason)"
        return finishPoll(.held, change: nil)
    }

    private func runHook(_ change: ZoneUpdate.Change, _ candidate: ReviewGate.Candidate, _ stage: ReviewGate.Stage,
                         timeout: Int64) async -> ReviewGate.HookResult {
        guard let command = config.reviewCommand else { return .failed("no review command is configured (--review-command)") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent(
            "countersign-review-\(origin.text)\(stage.rawValue)-\(candidate.serial(for: stage))-\(UUID().uuidString).zone")
        defer { try? FileManager.default.removeItem(at: file) }
        do {
            try Data(zoneText(change, stage).utf8).write(to: file)
        } catch {
            return .failed("cannot write the zone file for the review command: \(error)")
        }
        let clock = ContinuousClock()
        let began = clock.now
        let result = await ReviewHook.run(ReviewHook.Invocation(
            command: command, zone: origin.text, stage: stage, candidate: candidate, zoneFile: file.path, timeout: timeout))
        logger.info("review command finished", metadata: meta([
            "stage": "\(stage.rawValue)", "serial": "\(candidate.serial(for: stage))", "result": "\(result)",
            "seconds": "\(Self.seconds(clock.now - began))",
        ]))
        return result
    }

    private func askOperator(_ change: ZoneUpdate.Change, _ candidate: ReviewGate.Candidate, _ stage: ReviewGate.Stage,
                             superseded: ReviewGate.Candidate?) -> [ZoneCycle.Action] {
        removeReviewFile()
        let serial = candidate.serial(for: stage)
        // Beside the database: the operator needs something to review, and it outlives a restart.
        let directory = URL(fileURLWithPath: store.path).deletingLastPathComponent().appendingPathComponent("review")
        let file = directory.appendingPathComponent("\(origin.text)\(stage.rawValue)-\(serial).zone")
        var path: String? = file.path
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(zoneText(change, stage).utf8).write(to: file)
        } catch {
            logger.error("cannot write the zone file for review", metadata: meta(["reason": "\(error)"]))
            path = nil
        }
        reviewing.zoneFile = path
        let record = SignerStore.ReviewRecord(stage: stage, status: .pending, candidate: candidate, zoneFile: path, reason: nil, createdAt: now())
        let replaces = superseded.map { " It replaces the version with serial \($0.serial(for: stage)) that was waiting." } ?? ""
        storeReview(record, event: OperatorEvent(
            kind: .reviewPending, severity: .warning, zone: origin.text, time: now(),
            summary: "\(origin.text): the \(stage.rawValue) version with serial \(serial) waits for review: "
                + "`dns-signer zone approve \(origin.text) \(serial)` or `dns-signer zone reject \(origin.text) \(serial)`"
                + (path.map { " (zone file: \($0))" } ?? "") + "; still serving \(servedText).\(replaces)",
            details: SignerStore.reviewDetails(record)))
        logger.notice("new version waits for review", metadata: meta([
            "stage": "\(stage.rawValue)", "serial": "\(serial)", "file": "\(path ?? "-")",
        ]))
        return finishHeld("waiting for review of the \(stage.rawValue) version (serial \(serial))")
    }

    private func zoneText(_ change: ZoneUpdate.Change, _ stage: ReviewGate.Stage) -> String {
        ZoneFileWriter().write(stage == .unsigned ? change.unsigned : change.signed.zone)
    }

    private func storeReview(_ record: SignerStore.ReviewRecord, event: OperatorEvent) {
        do {
            try store.recordReview(zone: origin.text, record, events: [event])
            reviewing.rowStored = true
        } catch {
            logger.error("cannot store the review", metadata: meta(["reason": "\(error)"]))
        }
    }

    private func dropReview() {
        removeReviewFile()
        do {
            try store.clearReview(zone: origin.text)
            reviewing.rowStored = false
        } catch {
            logger.error("cannot clear the review", metadata: meta(["reason": "\(error)"]))
        }
    }

    private func removeReviewFile() {
        if let file = reviewing.zoneFile { try? FileManager.default.removeItem(atPath: file) }
        reviewing.zoneFile = nil
    }
}
