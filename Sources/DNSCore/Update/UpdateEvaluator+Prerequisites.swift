extension UpdateEvaluator {
    /// RFC 2136 §3.2: every prerequisite must hold; the first that does not gives the RCODE. The
    /// value-dependent ones (class of the zone) are gathered per RRset and compared whole at the end
    /// (§3.2.3: the RRset must be exactly the records given, TTLs aside).
    public static func checkPrerequisites(_ prerequisites: [UpdateRecord], in zone: Zone) throws(UpdateRefusal) {
        var wanted: [RRsetKey: RRset] = [:]
        var order: [RRsetKey] = []
        for record in prerequisites {
            guard record.ttl == 0 else {
                throw UpdateRefusal(.FORMERR, "a prerequisite must have TTL 0 (RFC 2136 §3.2.1)", record: record)
            }
            guard record.name.isSubdomain(of: zone.origin) else {
                throw UpdateRefusal(.NOTZONE, "the name is outside the zone \(zone.origin.text)", record: record)
            }
            let present = zone.rrsets(at: record.name)
            switch record.dnsClass {
            case .ANY:
                guard record.rdata == nil else {
                    throw UpdateRefusal(.FORMERR, "an 'exists' prerequisite carries no data (RFC 2136 §3.2.1)", record: record)
                }
                if record.type == .ANY {
                    guard !present.isEmpty else { throw UpdateRefusal(.NXDOMAIN, "prerequisite failed: the name is not in use", record: record) }
                } else if isMeta(record.type) {
                    throw UpdateRefusal(.FORMERR, "type \(record.type) cannot be a prerequisite", record: record)
                } else if !present.contains(where: { $0.type == record.type }) {
                    throw UpdateRefusal(.NXRRSET, "prerequisite failed: no such RRset", record: record)
                }
            case .NONE:
                guard record.rdata == nil else {
                    throw UpdateRefusal(.FORMERR, "a 'does not exist' prerequisite carries no data (RFC 2136 §3.2.2)", record: record)
                }
                if record.type == .ANY {
                    guard present.isEmpty else { throw UpdateRefusal(.YXDOMAIN, "prerequisite failed: the name is in use", record: record) }
                } else if isMeta(record.type) {
                    throw UpdateRefusal(.FORMERR, "type \(record.type) cannot be a prerequisite", record: record)
                } else if present.contains(where: { $0.type == record.type }) {
                    throw UpdateRefusal(.YXRRSET, "prerequisite failed: the RRset exists", record: record)
                }
            case zone.dnsClass:
                guard !isMeta(record.type), let rdata = data(of: record) else {
                    throw UpdateRefusal(.FORMERR, "a value prerequisite needs data of a real type", record: record)
                }
                let key = RRsetKey(name: record.name, type: record.type)
                if wanted[key] == nil {
                    order.append(key)
                    wanted[key] = RRset(name: record.name, type: record.type, dnsClass: zone.dnsClass, ttl: 0)
                }
                wanted[key]!.insert(rdata)
            default:
                throw UpdateRefusal(.FORMERR, "class \(record.dnsClass) has no meaning in a prerequisite", record: record)
            }
        }
        for key in order {
            let expected = wanted[key]!
            let actual = zone.rrset(at: key.name, type: key.type)
            guard let actual, actual.canonicalRData == expected.canonicalRData else {
                throw UpdateRefusal(
                    .NXRRSET,
                    "prerequisite failed: the \(key.type) RRset at \(key.name.text) is "
                        + (actual.map { "{\($0.rdatas.map(\.presentation).joined(separator: ", "))}" } ?? "absent")
                        + ", not {\(expected.rdatas.map(\.presentation).joined(separator: ", "))}")
            }
        }
    }

    struct RRsetKey: Hashable {
        var name: DomainName
        var type: RecordType
    }
}
