extension CatalogZone {
    /// Reads a received catalog (a zone whose origin is the catalog's name) into its members.
    ///
    /// Refused with a `CatalogZoneError`, so the consumer changes nothing: no SOA; a version other than
    /// exactly one TXT "2"; a member node with several PTRs; one zone listed at two ids; a member that
    /// is the catalog itself; a group property that is not one string per record; more than
    /// `maxMembers` members. RFC 9432 lets a consumer ignore just the broken member in some of these
    /// cases; refusing the whole catalog instead is deliberate: a catalog that drops a zone it should
    /// not would remove that zone from the whole fleet, so an operator looks first.
    ///
    /// Read besides the members: `group` (§4.4.2) and `coo` (§4.4.1, one PTR naming the catalog the
    /// zone moves to; several PTRs there are refused like a member node's). Ignored, as §4.3 and §4.4
    /// ask: properties this code does not know (`ext`, custom), names outside `zones` and `version`,
    /// and a node under `zones` with properties but no PTR.
    public init(parsing zone: Zone, maxMembers: Int = 100_000) throws(CatalogZoneError) {
        let origin = zone.origin.lowercased()
        guard zone.soa != nil else { throw .missingSOA(catalog: origin.text) }
        let versionName = CatalogZone.child("version", of: origin)
        guard let version = zone.rrset(at: versionName, type: .TXT), !version.rdatas.isEmpty else {
            throw .missingVersion(catalog: origin.text)
        }
        let versions = version.rdatas.map { rdata -> String in
            guard case let .txt(txt) = rdata else { return "?" }
            return String(decoding: txt.strings.joined(), as: UTF8.self)
        }
        guard versions == [CatalogZone.schemaVersion] else {
            throw .unsupportedVersion(catalog: origin.text, found: versions.map { "\"\($0)\"" }.joined(separator: ", "))
        }

        let zonesName = CatalogZone.child("zones", of: origin)
        let memberDepth = zonesName.labelCount + 1
        var targets: [(id: String, node: DomainName, zone: DomainName)] = []
        var groups: [String: [String]] = [:]
        var owners: [String: DomainName] = [:]
        for name in zone.names where name.isSubdomain(of: zonesName) {
            if name.labelCount == memberDepth {
                guard let ptrs = zone.rrset(at: name, type: .PTR), !ptrs.rdatas.isEmpty else { continue }
                guard ptrs.rdatas.count == 1, case let .ptr(ptr) = ptrs.rdatas[0] else {
                    throw .severalPTRs(node: name.text, count: ptrs.rdatas.count)
                }
                targets.append((CatalogZone.labelText(name), name, ptr.target.lowercased()))
                if targets.count > maxMembers { throw .tooManyMembers(count: targets.count, limit: maxMembers) }
            } else if name.labelCount == memberDepth + 1, CatalogZone.labelText(name).lowercased() == "group",
                      let txts = zone.rrset(at: name, type: .TXT), let parent = name.parent {
                var names: [String] = []
                for rdata in txts.rdatas {
                    guard case let .txt(txt) = rdata, txt.strings.count == 1, !txt.strings[0].isEmpty else {
                        throw .badLabel(node: name.text, reason: "a group property is one non-empty string per TXT record (RFC 9432 §4.4.2)")
                    }
                    names.append(String(decoding: txt.strings[0], as: UTF8.self))
                }
                groups[CatalogZone.labelText(parent).lowercased()] = names
            } else if name.labelCount == memberDepth + 1, CatalogZone.labelText(name).lowercased() == "coo",
                      let ptrs = zone.rrset(at: name, type: .PTR), let parent = name.parent {
                guard ptrs.rdatas.count == 1, case let .ptr(ptr) = ptrs.rdatas[0] else {
                    throw .severalPTRs(node: name.text, count: ptrs.rdatas.count)
                }
                owners[CatalogZone.labelText(parent).lowercased()] = ptr.target.lowercased()
            }
        }
        let members = targets.map {
            CatalogMember(zone: $0.zone, id: $0.id, groups: groups[$0.id.lowercased()] ?? [], coo: owners[$0.id.lowercased()])
        }
        try self.init(origin: origin, members: members)
    }

    /// The first label of `name` as text (escaped as in presentation form, so a binary label stays
    /// printable and distinct).
    static func labelText(_ name: DomainName) -> String {
        let text = name.text
        var label = ""
        var escaped = false
        for character in text {
            if escaped { label.append(character); escaped = false; continue }
            if character == "\\" { label.append(character); escaped = true; continue }
            if character == "." { break }
            label.append(character)
        }
        return label
    }
}
