import DNSCore
import DNSEdge
import Foundation

extension PrimaryStore {
    /// Applies an RFC 2136 update the edge has let through (TSIG and ACL checked): prerequisites, changes,
    /// the zone's checks and the serial increase in one `BEGIN IMMEDIATE` transaction — the same `edit` as
    /// every CLI edit. A refusal (a failed prerequisite, a bad record, a zone that would fail its checks)
    /// changes nothing; an update that changes nothing keeps the serial.
    func applyUpdate(_ message: UpdateMessage, zone origin: DomainName, now: Date) -> UpdateOutcome {
        do {
            let result = try edit(origin: origin.lowercased(), record: nil, keepUnchanged: true, now: now) { zone in
                try UpdateEvaluator.evaluate(message, zone: &zone)
            }
            return result.changed ? .applied(serial: result.zone.serial) : .unchanged
        } catch let refusal as UpdateRefusal {
            return .refused(refusal)
        } catch let error as StoreError {
            switch error.kind {
            case .unknownZone:
                return .refused(UpdateRefusal(.NOTAUTH, "not a zone this server is primary for"))
            case .zoneCheckFailed, .invalidRecord, .invalidName, .duplicate, .notFound, .invalidArgument:
                return .refused(UpdateRefusal(.REFUSED, "the zone would fail its checks: \(error.reason)"))
            case .corrupt, .zoneExists, .invalidZoneFile:
                return .refused(UpdateRefusal(.SERVFAIL, "\(error)"))
            }
        } catch {
            // SQLite: the lock not had within the busy timeout, a full disk. The client may retry.
            return .refused(UpdateRefusal(.SERVFAIL, "the store could not take the update: \(error)"))
        }
    }
}
