import DaemonKit
import DNSCore
import Foundation

extension PowerDNSAPI {
    /// `GET /zones` (`?zone=NAME` narrows it to one), without RRsets, only the zones the key may use.
    func listZones(_ request: APIRequest, key: APIKeyEntry) throws -> APIResponse {
        var zones = try store.listZones().filter { key.allows(zone: $0.name) }
        if let wanted = request.query["zone"] {
            let name = (try? PrimaryStore.zoneName(wanted).text) ?? wanted
            zones = zones.filter { $0.name == name }
        }
        return try Self.json(200, zones.map { zoneObject($0, rrsets: nil) })
    }

    /// `GET /zones/{id}`: the zone with its RRsets as stored (ALIAS as ALIAS, as PowerDNS keeps them);
    /// `rrsets=false` leaves them out, `rrset_name` and `rrset_type` narrow them.
    func getZone(_ origin: DomainName, _ request: APIRequest) throws -> APIResponse {
        let summary = try summary(origin)
        guard request.query["rrsets"] != "false" else { return try Self.json(200, zoneObject(summary, rrsets: nil)) }
        let zone: Zone
        do { zone = try store.exportZone(origin.text) } catch let error as StoreError where error.kind == .unknownZone {
            throw PowerDNSAPIError.notFound("Could not find domain '\(origin.text)'")
        }
        var rrsets = zone.rrsets
        if let name = request.query["rrset_name"] {
            let wanted = try? DomainName(name)
            rrsets = rrsets.filter { $0.name == wanted }
        }
        if let type = request.query["rrset_type"] {
            rrsets = rrsets.filter { $0.type.description == type.uppercased() }
        }
        return try Self.json(200, zoneObject(summary, rrsets: rrsets.map(Self.rrsetObject)))
    }

    /// `DELETE /zones/{id}`: 204.
    func deleteZone(_ origin: DomainName) throws -> APIResponse {
        do { try store.deleteZone(origin.text) } catch let error as StoreError where error.kind == .unknownZone {
            throw PowerDNSAPIError.notFound("Could not find domain '\(origin.text)'")
        }
        return APIResponse(status: 204)
    }

    /// `POST /zones`: a primary zone from `name`, `nameservers` and/or `rrsets` (an SOA is made when none is
    /// given, as PowerDNS does); 201 with the zone. Secondary kinds, `masters` and `dnssec` are refused:
    /// signing is dns-signer's job.
    func createZone(_ request: APIRequest, key: APIKeyEntry) throws -> APIResponse {
        let body = try Self.decode(PowerDNSJSON.ZoneCreate.self, request.body)
        guard body.name.hasSuffix(".") else {
            throw PowerDNSAPIError.unprocessable("DNS Name '\(body.name)' is not canonical: the zone name must end with a dot")
        }
        let origin: DomainName
        do { origin = try PrimaryStore.zoneName(body.name) } catch {
            throw PowerDNSAPIError.unprocessable("bad zone name '\(body.name)': \(error)")
        }
        guard key.allows(zone: origin.text) else {
            throw PowerDNSAPIError(403, "API key '\(key.name)' may not use zone \(origin.text)")
        }
        let kind = (body.kind ?? "Native").lowercased()
        guard ["native", "master", "primary"].contains(kind) else {
            throw PowerDNSAPIError.unprocessable("zone kind '\(body.kind ?? "")' is not supported: dns-primary holds primary zones only (Native, Master)")
        }
        guard (body.masters ?? []).isEmpty else {
            throw PowerDNSAPIError.unprocessable("'masters' is not supported: dns-primary holds primary zones only")
        }
        guard body.dnssec != true, body.presigned != true, (body.nsec3param ?? "").isEmpty else {
            throw PowerDNSAPIError.unprocessable("DNSSEC is not done here: dns-signer signs the zones dns-primary serves")
        }
        var zone = Zone(origin: origin)
        for change in try rrsetChanges(body.rrsets ?? [], origin: origin) {
            if let set = change.rrset { zone.insert(set) }
        }
        let nameservers = body.nameservers ?? []
        if !nameservers.isEmpty {
            guard zone.rrset(at: origin, type: .NS) == nil else {
                throw PowerDNSAPIError.unprocessable("Nameservers list MUST NOT be mixed with zone-level NS in rrsets")
            }
            var set = RRset(name: origin, type: .NS, ttl: 3600)
            for server in nameservers {
                guard server.hasSuffix("."), let name = try? DomainName(server) else {
                    throw PowerDNSAPIError.unprocessable("Nameserver '\(server)' is not canonical (absolute, with a trailing dot)")
                }
                set.insert(.ns(NS(target: name)))
            }
            zone.insert(set)
        }
        if zone.soa == nil {
            guard let ns = zone.rrset(at: origin, type: .NS), case let .ns(first)? = ns.rdatas.first else {
                throw PowerDNSAPIError.unprocessable("the zone needs name servers: give 'nameservers' or an NS RRset at the apex")
            }
            let soa = SOA(mname: first.target, rname: (try? origin.prepending(Array("hostmaster".utf8))) ?? origin,
                          serial: SerialNumber(1), refresh: 10800, retry: 3600, expire: 604800, minimum: 3600)
            zone.insert(RRset(name: origin, type: .SOA, ttl: 3600, rdatas: [.soa(soa)]))
        }
        let summary: ZoneSummary
        do {
            summary = try store.createZone(zone, now: clock())
        } catch let error as StoreError {
            if error.kind == .zoneExists { throw PowerDNSAPIError(409, "Domain '\(origin.text)' already exists") }
            throw PowerDNSAPIError.unprocessable(error.description)
        }
        return try Self.json(201, zoneObject(summary, rrsets: zone.rrsets.map(Self.rrsetObject)))
    }

    func zoneObject(_ summary: ZoneSummary, rrsets: [PowerDNSJSON.RRset]?) -> PowerDNSJSON.Zone {
        PowerDNSJSON.Zone(
            id: summary.name, name: summary.name, url: "/api/v1/servers/\(Self.serverID)/zones/\(summary.name)",
            serial: summary.serial, notified_serial: summary.serial, edited_serial: summary.serial, rrsets: rrsets)
    }

    static func rrsetObject(_ set: RRset) -> PowerDNSJSON.RRset {
        PowerDNSJSON.RRset(name: set.name.text, type: set.type.description, ttl: set.ttl, changetype: nil,
                           records: set.rdatas.map { .init(content: $0.presentation, disabled: false) }, comments: [])
    }
}
