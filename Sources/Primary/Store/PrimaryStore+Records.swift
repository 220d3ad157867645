import DNSCore
import Foundation
import GRDB

extension PrimaryStore {
    /// Adds one record to its RRset. A TTL different from the RRset's lowers the whole set's TTL (RFC
    /// 2181 §5.2, as DNSCore's `Zone.add` does). Adding a record that is already there is refused.
    @discardableResult
    func addRecord(zone: String, name: String, ttl: UInt32, type: String, rdata: String, now: Date) throws -> Zone {
        let origin = try PrimaryStore.zoneName(zone)
        let record = try PrimaryStore.parseRecord(origin: origin, name: name, ttl: ttl, type: type, rdata: rdata)
        let shown = record.description
        return try edit(zone: zone, record: shown, now: now) { zone in
            if zone.rrset(at: record.name, type: record.type)?.contains(record.rdata) == true {
                throw StoreError(.duplicate, zone: origin.text, record: shown, reason: "the record already exists")
            }
            zone.add(record)
        }
    }

    /// Deletes the RRset of `type` at `name`, or only the record with `rdata` when given.
    @discardableResult
    func deleteRecords(zone: String, name: String, type: String, rdata: String? = nil, now: Date) throws -> Zone {
        let origin = try PrimaryStore.zoneName(zone)
        let owner = try PrimaryStore.ownerName(name, origin: origin, record: "\(name) \(type)")
        let recordType = try PrimaryStore.recordType(type, zone: origin.text, record: "\(name) \(type)")
        var shown = "\(owner.text) \(recordType)"
        var record: ResourceRecord?
        if let rdata {
            let parsed = try PrimaryStore.parseRecord(origin: origin, name: name, ttl: 0, type: type, rdata: rdata)
            shown = "\(owner.text) \(recordType) \(parsed.rdata.presentation)"
            record = parsed
        }
        return try edit(zone: zone, record: shown, now: now) { [shown] zone in
            if let record {
                guard zone.remove(record) else {
                    throw StoreError(.notFound, zone: origin.text, record: shown, reason: "no such record in the zone")
                }
            } else if zone.removeRRset(at: owner, type: recordType) == nil {
                throw StoreError(.notFound, zone: origin.text, record: shown, reason: "no such RRset in the zone")
            }
        }
    }

    /// Replaces the whole RRset of `type` at `name` (an empty list deletes it).
    @discardableResult
    func replaceRRset(
        zone: String, name: String, ttl: UInt32, type: String, rdatas: [String], now: Date
    ) throws -> Zone {
        let origin = try PrimaryStore.zoneName(zone)
        let owner = try PrimaryStore.ownerName(name, origin: origin, record: "\(name) \(type)")
        let recordType = try PrimaryStore.recordType(type, zone: origin.text, record: "\(name) \(type)")
        var set = RRset(name: owner, type: recordType, ttl: ttl)
        for text in rdatas {
            let record = try PrimaryStore.parseRecord(origin: origin, name: name, ttl: ttl, type: type, rdata: text)
            set.insert(record.rdata)
        }
        let shown = "\(owner.text) \(ttl) IN \(recordType) "
            + set.rdatas.map(\.presentation).joined(separator: " | ")
        return try edit(zone: zone, record: shown, now: now) { zone in
            zone.removeRRset(at: owner, type: recordType)
            zone.insert(set)
        }
    }

    // MARK: Parsing operator input

    static func ownerName(_ name: String, origin: DomainName, record: String) throws -> DomainName {
        guard !name.contains(where: \.isNewline) else {
            throw StoreError(.invalidName, zone: origin.text, record: record, reason: "a name cannot hold a line break")
        }
        do {
            return try DomainName(name, origin: origin)
        } catch {
            throw StoreError(.invalidName, zone: origin.text, record: record, reason: "bad owner name '\(name)': \(error)")
        }
    }

    static func recordType(_ text: String, zone: String, record: String) throws -> RecordType {
        guard let type = RecordType(mnemonic: text) else {
            throw StoreError(.invalidRecord, zone: zone, record: record, reason: "unknown record type '\(text)'")
        }
        return type
    }

    /// One record from the CLI's words, parsed by DNSCore's zone file parser exactly as a file would be.
    static func parseRecord(origin: DomainName, name: String, ttl: UInt32, type: String, rdata: String) throws -> ResourceRecord {
        let shown = "\(name) \(ttl) \(type) \(rdata)"
        let owner = try ownerName(name, origin: origin, record: shown)
        let recordType = try recordType(type, zone: origin.text, record: shown)
        guard ttl <= TTLText.max else {
            throw StoreError(.invalidRecord, zone: origin.text, record: shown, reason: "TTL \(ttl) above 2^31-1 (RFC 2181 §8)")
        }
        guard !rdata.contains(where: \.isNewline) else {
            throw StoreError(.invalidRecord, zone: origin.text, record: shown, reason: "RDATA cannot hold a line break")
        }
        let line = "\(owner.text) \(ttl) IN \(recordType) \(rdata)\n"
        var parser = ZoneFileParser(origin: origin, file: "record")
        let records: [ResourceRecord]
        do {
            records = try parser.parse(line)
        } catch {
            throw StoreError(.invalidRecord, zone: origin.text, record: shown, reason: "bad RDATA: \(error.message)")
        }
        guard records.count == 1, let record = records.first, record.type == recordType, record.name == owner else {
            throw StoreError(.invalidRecord, zone: origin.text, record: shown, reason: "expected exactly one \(recordType) record")
        }
        return record
    }
}
