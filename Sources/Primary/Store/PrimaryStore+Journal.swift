import DNSCore
import DNSEdge
import DaemonKit
import GRDB

extension PrimaryStore {
    /// Records the step to `zone`, the expansion about to be served, from `previous`, the one served
    /// before (nil at the first publication since the daemon started). One transaction.
    ///
    /// Without a previous expansion the step is unknown: the journal is kept when it already ends at
    /// `zone`'s serial (a restart with nothing changed) and started again otherwise. A step that leaves
    /// the SOA alone cannot be named by IXFR and starts the journal again too.
    func recordJournal(zone: Zone, previous: Zone?, limits: JournalLimits) throws {
        let origin = zone.origin
        let delta = previous.flatMap { JournalDelta(changes: ZoneDiff(from: $0, to: zone), origin: origin) }
        let data = delta.map(JournalDeltaCodec.encode)
        try writeImmediate { db in
            let id = try PrimaryStore.zoneRow(db, origin).id
            if let delta, let data {
                try ZoneJournalTable.append(from: delta.fromSerial, to: delta.toSerial, data: data, limits: limits, zoneID: id, db)
            } else {
                let newest = try ZoneJournalTable.newestSerial(zoneID: id, db)
                if previous != nil || newest != zone.serial { try ZoneJournalTable.reset(zoneID: id, db) }
            }
        }
    }

    /// The steps an IXFR from `serial` needs (see `ZoneJournalTable.steps`).
    func journalSteps(zone origin: DomainName, from serial: SerialNumber) throws -> [JournalDelta] {
        do {
            return try pool.read { db in try ZoneJournalTable.steps(from: serial, zoneID: PrimaryStore.zoneRow(db, origin).id, db) }
        } catch let error as JournalError {
            throw StoreError(.corrupt, zone: origin.text, reason: "\(error)")
        }
    }

    /// How far back the journal reaches, or nil when it is empty.
    func journalReach(zone name: String) throws -> JournalReach? {
        let origin = try PrimaryStore.zoneName(name)
        return try pool.read { db in try ZoneJournalTable.reach(zoneID: PrimaryStore.zoneRow(db, origin).id, db) }
    }
}

/// The primary's journal as IXFR reads it.
struct PrimaryJournalSource: ZoneJournalSource {
    let store: PrimaryStore

    func journalSteps(zone: DomainName, from serial: SerialNumber) throws -> [JournalDelta] {
        try store.journalSteps(zone: zone, from: serial)
    }
}
