import DNSCore
import DNSEdge

/// Asks every server of the parent zone for our DS and trusts only what the parent signed: the parent's
/// DNSKEY RRset comes from a validating resolver (its AD bit: authenticated from the resolver's trust
/// anchor), and each server's DS answer — or its proof that there is none — must carry a signature
/// that verifies with those keys. BIND's checkds documents that it does not validate; a spoofed or
/// stale answer must not make us remove the key the real DS names.
struct ParentDSProbe: Sendable {
    /// Validating resolvers (`serve --parent-resolver`).
    var resolvers: [ListenAddress]
    var client: DNSQueryClient

    /// What one parent server showed.
    enum ServerAnswer: Sendable, Equatable {
        case ds(records: [DS], ttl: Int64)
        case noDS
        case unusable(String)
    }

    func observe(zone: DomainName, check: KeyLifecycle.ParentCheck, keys: [DNSKEY], servers configured: [ListenAddress],
                 now: UInt32) async -> KeyLifecycle.ParentObservation {
        guard !resolvers.isEmpty else {
            return .init(satisfied: false, dsTTL: nil, report: "cannot validate the parent's answers: no validating resolver configured "
                + "(dns-signer serve --parent-resolver ADDR); confirm by hand with `dns-signer keys \(check.condition == .newDS ? "ds-seen" : "ds-gone") \(zone.text) TAG`")
        }
        let finder = ParentServerFinder(resolvers: resolvers, client: client)
        let parent: DomainName
        let servers: [(label: String, address: ListenAddress)]
        let parentKeys: [DNSKEY]
        do {
            guard let above = zone.parent else { return .init(satisfied: false, dsTTL: nil, report: "the root zone has no parent") }
            parent = try await finder.enclosingZone(of: above)
            servers = configured.isEmpty ? try await finder.servers(of: zone, port: 53).servers
                : configured.map { ($0.description, $0) }
            parentKeys = try await authenticatedKeys(of: parent)
        } catch {
            return .init(satisfied: false, dsTTL: nil, report: "cannot check the parent: \(error)")
        }
        var answers: [(label: String, answer: ServerAnswer)] = []
        for server in servers {
            answers.append((server.label, await ask(server.address, zone: zone, parent: parent, parentKeys: parentKeys, now: now)))
        }
        return Self.judge(zone: zone, parent: parent, check: check, keys: keys, answers: answers)
    }

    /// The verdict over every server's answer (pure: tests feed it answers).
    static func judge(zone: DomainName, parent: DomainName, check: KeyLifecycle.ParentCheck, keys: [DNSKEY],
                      answers: [(label: String, answer: ServerAnswer)]) -> KeyLifecycle.ParentObservation {
        let tags = keys.map { "\($0.keyTag)" }.joined(separator: ", ")
        var good: [String] = []
        var lacking: [String] = []
        var ttl: Int64?
        for (label, answer) in answers {
            switch (check.condition, answer) {
            case (.newDS, .ds(let records, let recordTTL)):
                if keys.allSatisfy({ key in records.contains { $0.matches(key, owner: zone) } }) {
                    good.append(label)
                    ttl = max(ttl ?? 0, recordTTL)
                } else {
                    lacking.append("\(label): DS \(records.map { "\($0.keyTag)" }.joined(separator: ", "))")
                }
            case (.newDS, .noDS):
                lacking.append("\(label): no DS")
            case (.noDS, .noDS):
                good.append(label)
            case (.noDS, .ds(let records, let recordTTL)):
                ttl = max(ttl ?? 0, recordTTL)
                lacking.append("\(label): still DS \(records.map { "\($0.keyTag)" }.joined(separator: ", "))")
            case (_, .unusable(let reason)):
                lacking.append("\(label): \(reason)")
            }
        }
        let what = check.condition == .newDS ? "DS \(tags)" : "no DS"
        var report = "\(what) at \(good.count) of \(answers.count) servers of \(parent.text)"
        if !good.isEmpty { report += " (yes: \(good.joined(separator: ", ")))" }
        if !lacking.isEmpty { report += "; not yet: \(lacking.joined(separator: "; "))" }
        return .init(satisfied: !answers.isEmpty && lacking.isEmpty, dsTTL: ttl, report: report)
    }

    /// The parent's DNSKEY RRset as a validating resolver vouches for it (AD set).
    func authenticatedKeys(of parent: DomainName) async throws -> [DNSKEY] {
        var reasons: [String] = []
        for resolver in resolvers {
            switch await client.query(parent, type: .DNSKEY, server: resolver, recursionDesired: true, dnssecOK: true) {
            case .answer(let message) where message.rcode == .NOERROR && message.flags.ad:
                let keys = message.answers.compactMap { record -> DNSKEY? in
                    guard record.name == parent, case .dnskey(let key) = record.rdata else { return nil }
                    return key
                }
                if !keys.isEmpty { return keys }
                reasons.append("\(resolver): no DNSKEY for \(parent.text)")
            case .answer(let message):
                reasons.append("\(resolver): \(message.rcode)\(message.flags.ad ? "" : " without the AD bit (not validated)")")
            case .failed(let reason):
                reasons.append("\(resolver): \(reason)")
            }
        }
        throw SignerError.parentUnverifiable("the parent's keys (\(parent.text) DNSKEY) are not authenticated: " + reasons.joined(separator: "; "))
    }

    /// One server's answer to ZONE DS, believed only when signed by the parent's keys.
    func ask(_ server: ListenAddress, zone: DomainName, parent: DomainName, parentKeys: [DNSKEY], now: UInt32) async -> ServerAnswer {
        let message: Message
        switch await client.query(zone, type: .DS, server: server, dnssecOK: true) {
        case .answer(let answer): message = answer
        case .failed(let reason): return .unusable(reason)
        }
        guard message.flags.aa else { return .unusable("answer without the AA bit (not a server of \(parent.text))") }
        let dsRecords = message.answers.filter { $0.name == zone && $0.type == .DS }
        if message.rcode == .NOERROR, !dsRecords.isEmpty {
            let set = RRset(name: zone, type: .DS, ttl: dsRecords[0].ttl, rdatas: dsRecords.map(\.rdata))
            let signatures = Self.signatures(in: message.answers, owner: zone, covering: .DS)
            guard RRsetValidation.isValid(set, signatures: signatures, keys: parentKeys, signer: parent, now: now) else {
                return .unusable("DS not signed by \(parent.text)'s keys")
            }
            return .ds(records: dsRecords.compactMap { if case .ds(let ds) = $0.rdata { ds } else { nil } }, ttl: Int64(dsRecords[0].ttl))
        }
        guard message.rcode == .NOERROR || message.rcode == .NXDOMAIN else { return .unusable("answered \(message.rcode)") }
        return Self.provesNoDS(message, zone: zone, parent: parent, parentKeys: parentKeys, now: now)
            ? .noDS : .unusable("no DS, but no signed proof of it (NSEC/NSEC3)")
    }

    /// A signed NSEC at the name, or NSEC3 matching its hash, whose bitmap lacks DS (RFC 4035 §5.4, RFC 5155 §8.5).
    static func provesNoDS(_ message: Message, zone: DomainName, parent: DomainName, parentKeys: [DNSKEY], now: UInt32) -> Bool {
        for record in message.authority {
            let owner = record.name
            switch record.rdata {
            case .nsec(let nsec) where owner == zone:
                guard !nsec.types.types.contains(.DS) else { return false }
                let set = RRset(name: owner, type: .NSEC, ttl: record.ttl, rdatas: [record.rdata])
                if RRsetValidation.isValid(set, signatures: signatures(in: message.authority, owner: owner, covering: .NSEC),
                                           keys: parentKeys, signer: parent, now: now) { return true }
            case .nsec3(let nsec3):
                guard let hasher = NSEC3Hash(hashAlgorithm: nsec3.hashAlgorithm, salt: nsec3.salt, iterations: nsec3.iterations),
                      NSEC3Hash.ownerName(hash: hasher.hash(zone), zone: parent) == owner else { continue }
                guard !nsec3.types.types.contains(.DS) else { return false }
                let set = RRset(name: owner, type: .NSEC3, ttl: record.ttl, rdatas: [record.rdata])
                if RRsetValidation.isValid(set, signatures: signatures(in: message.authority, owner: owner, covering: .NSEC3),
                                           keys: parentKeys, signer: parent, now: now) { return true }
            default:
                continue
            }
        }
        return false
    }

    static func signatures(in records: [ResourceRecord], owner: DomainName, covering type: RecordType) -> [RRSIG] {
        records.compactMap { record in
            guard record.name == owner, case .rrsig(let rrsig) = record.rdata, rrsig.typeCovered == type else { return nil }
            return rrsig
        }
    }
}
