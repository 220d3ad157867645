import DaemonKit
import DNSCore
import Foundation

extension PowerDNSAPI {
    /// One RRset of a PATCH (or of a zone creation): replace with `rrset`, or delete (`rrset == nil`).
    struct RRsetChange {
        var name: DomainName
        var type: RecordType
        var rrset: RRset?
    }

    /// `PATCH /zones/{id}` with `{"rrsets": [...]}`: every REPLACE and DELETE in one transaction with one
    /// serial increase, checked as the CLI's edits are; 204. A PATCH that changes nothing keeps the serial.
    func patchZone(_ origin: DomainName, _ request: APIRequest) throws -> APIResponse {
        _ = try summary(origin)
        let patch = try Self.decode(PowerDNSJSON.Patch.self, request.body)
        let changes = try rrsetChanges(patch.rrsets, origin: origin, changetypeRequired: true)
        do {
            try store.edit(origin: origin, record: nil, keepUnchanged: true, now: clock()) { zone in
                for change in changes {
                    zone.removeRRset(at: change.name, type: change.type)
                    if let set = change.rrset { zone.insert(set) }
                }
            }
        } catch let error as StoreError {
            if error.kind == .unknownZone { throw PowerDNSAPIError.notFound("Could not find domain '\(origin.text)'") }
            throw PowerDNSAPIError.unprocessable(error.description)
        }
        return APIResponse(status: 204)
    }

    /// Reads and checks RRsets as PowerDNS does: absolute names inside the zone, a known type, changetype
    /// REPLACE or DELETE, a TTL and records for REPLACE, each record's content in zone-file syntax (parsed
    /// by the store's parser, as `record add` is), no record twice, no RRset twice, no disabled records
    /// and no comments (dns-primary keeps neither).
    /// `changetypeRequired`: a PATCH must say REPLACE or DELETE; the RRsets of a zone creation need not.
    func rrsetChanges(_ rrsets: [PowerDNSJSON.RRset], origin: DomainName, changetypeRequired: Bool = false) throws -> [RRsetChange] {
        var seen: Set<String> = []
        var changes: [RRsetChange] = []
        for item in rrsets {
            let shown = "RRset \(item.name) IN \(item.type)"
            guard item.name.hasSuffix(".") else {
                throw PowerDNSAPIError.unprocessable("\(shown): DNS Name '\(item.name)' is not canonical (absolute, with a trailing dot)")
            }
            let name: DomainName
            do { name = try DomainName(item.name) } catch {
                throw PowerDNSAPIError.unprocessable("\(shown): bad name: \(error)")
            }
            guard name.isSubdomain(of: origin) else {
                throw PowerDNSAPIError.unprocessable("\(shown): Name is out of zone")
            }
            guard let type = RecordType(mnemonic: item.type), !type.isMeta else {
                throw PowerDNSAPIError.unprocessable("\(shown): unknown or meta record type '\(item.type)'")
            }
            guard seen.insert("\(name.lowercased().text)/\(type)").inserted else {
                throw PowerDNSAPIError.unprocessable("\(shown): Duplicate RRset in request")
            }
            guard (item.comments ?? []).isEmpty else {
                throw PowerDNSAPIError.unprocessable("\(shown): comments are not supported by dns-primary")
            }
            if changetypeRequired && item.changetype == nil {
                throw PowerDNSAPIError.unprocessable("\(shown): Changetype not understood: give REPLACE or DELETE")
            }
            switch (item.changetype ?? "REPLACE").uppercased() {
            case "DELETE":
                changes.append(RRsetChange(name: name, type: type, rrset: nil))
            case "REPLACE":
                let records = item.records ?? []
                guard !records.isEmpty else {
                    changes.append(RRsetChange(name: name, type: type, rrset: nil))
                    continue
                }
                guard let ttl = item.ttl else { throw PowerDNSAPIError.unprocessable("\(shown): TTL is missing") }
                var set = RRset(name: name, type: type, ttl: ttl)
                for record in records {
                    guard record.disabled != true else {
                        throw PowerDNSAPIError.unprocessable("\(shown): disabled records are not supported by dns-primary")
                    }
                    let parsed: ResourceRecord
                    do {
                        parsed = try PrimaryStore.parseRecord(origin: origin, name: item.name, ttl: ttl, type: type.description,
                                                              rdata: record.content)
                    } catch let error as StoreError {
                        throw PowerDNSAPIError.unprocessable("\(shown): record '\(record.content)': \(error.reason)")
                    }
                    guard set.insert(parsed.rdata) else {
                        throw PowerDNSAPIError.unprocessable("\(shown): Duplicate record in RRset: '\(record.content)'")
                    }
                }
                changes.append(RRsetChange(name: name, type: type, rrset: set))
            default:
                throw PowerDNSAPIError.unprocessable("\(shown): Changetype '\(item.changetype ?? "")' not understood (REPLACE or DELETE)")
            }
        }
        return changes
    }
}
