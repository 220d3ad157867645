extension UpdateEvaluator {
    /// One change of the update section, prescanned.
    enum Change {
        case add(ResourceRecord)
        case deleteName(DomainName)
        case deleteRRset(DomainName, RecordType)
        case deleteRecord(ResourceRecord)
    }

    /// RFC 2136 §3.4.1: every change is checked before any is applied; one bad change refuses them all.
    static func prescan(_ updates: [UpdateRecord], zone: Zone) throws(UpdateRefusal) -> [Change] {
        var changes: [Change] = []
        changes.reserveCapacity(updates.count)
        for record in updates {
            guard record.name.isSubdomain(of: zone.origin) else {
                throw UpdateRefusal(.NOTZONE, "the name is outside the zone \(zone.origin.text)", record: record)
            }
            switch record.dnsClass {
            case zone.dnsClass:
                guard !isMeta(record.type) else {
                    throw UpdateRefusal(.FORMERR, "type \(record.type) cannot be added", record: record)
                }
                guard record.ttl <= TTLText.max else {
                    throw UpdateRefusal(.FORMERR, "TTL \(record.ttl) above 2^31-1 (RFC 2181 §8)", record: record)
                }
                guard let rdata = data(of: record) else {
                    throw UpdateRefusal(.FORMERR, "an added record needs data", record: record)
                }
                changes.append(.add(ResourceRecord(name: record.name, dnsClass: zone.dnsClass, ttl: record.ttl, rdata: rdata)))
            case .ANY:
                guard record.ttl == 0, record.rdata == nil else {
                    throw UpdateRefusal(.FORMERR, "a delete of an RRset or name has TTL 0 and no data (RFC 2136 §2.5.2)", record: record)
                }
                if record.type == .ANY {
                    changes.append(.deleteName(record.name))
                } else if isMeta(record.type) {
                    throw UpdateRefusal(.FORMERR, "type \(record.type) cannot be deleted", record: record)
                } else {
                    changes.append(.deleteRRset(record.name, record.type))
                }
            case .NONE:
                guard record.ttl == 0 else {
                    throw UpdateRefusal(.FORMERR, "a delete of a record has TTL 0 (RFC 2136 §2.5.4)", record: record)
                }
                guard !isMeta(record.type), let rdata = data(of: record) else {
                    throw UpdateRefusal(.FORMERR, "a delete of a record names its type and data", record: record)
                }
                changes.append(.deleteRecord(ResourceRecord(name: record.name, dnsClass: zone.dnsClass, ttl: 0, rdata: rdata)))
            default:
                throw UpdateRefusal(.FORMERR, "class \(record.dnsClass) has no meaning in an update", record: record)
            }
        }
        return changes
    }

    /// Types that may sit beside a CNAME (RFC 4035 §2.5): the DNSSEC records of the name itself.
    static let besideCNAME: Set<RecordType> = [.RRSIG, .NSEC, .NSEC3]

    /// RFC 2136 §3.4.2, one change.
    static func apply(_ change: Change, to zone: inout Zone) {
        switch change {
        case let .add(record):
            let present = zone.rrsets(at: record.name)
            switch record.type {
            case .SOA:
                // §3.4.2.2: an SOA replaces the zone's only when its serial is newer.
                guard case let .soa(new) = record.rdata else { return }
                if let current = zone.rrset(at: record.name, type: .SOA) {
                    guard case let .soa(old)? = current.rdatas.first, new.serial > old.serial else { return }
                }
                zone.insert(RRset(record))
                return
            case .CNAME:
                if present.contains(where: { $0.type != .CNAME && !besideCNAME.contains($0.type) }) { return }
                zone.insert(RRset(record))
                return
            case .ALIAS:
                if present.contains(where: { $0.type == .CNAME }) { return }
                zone.insert(RRset(record))
                return
            default:
                if !besideCNAME.contains(record.type) && present.contains(where: { $0.type == .CNAME }) { return }
            }
            var set = zone.rrset(at: record.name, type: record.type)
                ?? RRset(name: record.name, type: record.type, dnsClass: zone.dnsClass, ttl: record.ttl)
            set.insert(record.rdata)
            set.ttl = record.ttl
            zone.insert(set)
        case let .deleteName(name):
            for set in zone.rrsets(at: name) where !(name == zone.origin && (set.type == .SOA || set.type == .NS)) {
                zone.removeRRset(at: name, type: set.type)
            }
        case let .deleteRRset(name, type):
            if name == zone.origin && (type == .SOA || type == .NS) { return }
            zone.removeRRset(at: name, type: type)
        case let .deleteRecord(record):
            if record.type == .SOA { return }
            if record.type == .NS && record.name == zone.origin,
               let set = zone.rrset(at: record.name, type: .NS), set.count == 1, set.contains(record.rdata) {
                return
            }
            zone.remove(record)
        }
    }
}
