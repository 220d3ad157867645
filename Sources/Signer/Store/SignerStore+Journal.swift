import DNSCore
import DNSEdge
import DaemonKit
import GRDB

extension SignerStore {
    /// What `publish` does to the journal: append the step leading to the version it stores (encoded
    /// before the write lock is taken), or start the journal again.
    enum JournalWrite: Sendable {
        case append(JournalDelta, data: [UInt8])
        case reset

        /// The step between two stored versions of the signed zone, or `.reset` when there is none: no
        /// diff (a zone signed in full: first signing, new algorithm, NSEC↔NSEC3), or a diff that leaves
        /// the SOA alone (a version IXFR could not name).
        init(signedChanges: ZoneDiff?, origin: DomainName) {
            guard let signedChanges, let delta = JournalDelta(changes: signedChanges, origin: origin) else {
                self = .reset
                return
            }
            self = .append(delta, data: JournalDeltaCodec.encode(delta))
        }
    }

    static func writeJournal(_ write: JournalWrite, limits: JournalLimits, zoneID: Int64, _ db: Database) throws {
        switch write {
        case let .append(delta, data):
            try ZoneJournalTable.append(from: delta.fromSerial, to: delta.toSerial, data: data, limits: limits, zoneID: zoneID, db)
        case .reset:
            try ZoneJournalTable.reset(zoneID: zoneID, db)
        }
    }

    /// The steps an IXFR from `serial` needs (see `ZoneJournalTable.steps`).
    func journalSteps(zone origin: DomainName, from serial: SerialNumber) throws -> [JournalDelta] {
        do {
            return try pool.read { db in try ZoneJournalTable.steps(from: serial, zoneID: SignerStore.zoneID(db, origin), db) }
        } catch let error as JournalError {
            throw SignerStoreError(.corrupt, zone: origin.text, reason: "\(error)")
        }
    }

    /// How far back the journal reaches, or nil when it is empty.
    func journalReach(zone name: String) throws -> JournalReach? {
        let origin = try SignerStore.zoneName(name)
        return try pool.read { db in try ZoneJournalTable.reach(zoneID: SignerStore.zoneID(db, origin), db) }
    }
}

/// The signer's journal as IXFR reads it.
struct SignerJournalSource: ZoneJournalSource {
    let store: SignerStore

    func journalSteps(zone: DomainName, from serial: SerialNumber) throws -> [JournalDelta] {
        try store.journalSteps(zone: zone, from: serial)
    }
}
