import DaemonKit
import DNSCore

/// The operator's words for key notices: what happened, and where a human must act, the exact DS
/// records with the registrar's four fields, so nobody has to work them out (the Route 53 seed's
/// "action needed" without the guesswork).
extension KeyNotice {
    func event(zone origin: DomainName, keys: ZoneKeys, now: Int64) -> OperatorEvent? {
        let zone = origin.text
        func names(_ refs: [Rollover.KeyRef]) -> String {
            refs.map { ref in keys.lifecycle.keys.first { KeyLifecycle.ref($0) == ref }?.summary ?? "key \(ref.tag)" }
                .joined(separator: ", ")
        }
        /// The DS records alone, one per line (the `ds` detail, as `dns-signer ds` prints them).
        func dsRecords(_ refs: [Rollover.KeyRef]) -> String {
            refs.compactMap { ref -> String? in
                guard let key = keys.key(ref), let ds = try? key.dnskey.ds(owner: origin, digestType: .sha256) else { return nil }
                return ResourceRecord(name: origin, ttl: 3600, rdata: .ds(ds)).description
            }.joined(separator: "\n")
        }
        func dsText(_ refs: [Rollover.KeyRef]) -> String {
            refs.compactMap { ref -> String? in
                guard let key = keys.key(ref), let ds = try? key.dnskey.ds(owner: origin, digestType: .sha256) else { return nil }
                return ResourceRecord(name: origin, ttl: 3600, rdata: .ds(ds)).description + "\n" + ds.registrarText
            }.joined(separator: "\n\n")
        }
        switch self {
        case .initialKeys(let ksks):
            return OperatorEvent(
                kind: .keyActionNeeded, severity: .warning, zone: zone, time: now,
                summary: "\(zone): new keys (\(names(ksks))); give the registrar this DS record to secure the zone:\n\(dsText(ksks))",
                details: ["action": "add-ds", "add": dsText(ksks), "ds": dsRecords(ksks), "keyTags": ksks.map { "\($0.tag)" }.joined(separator: ","),
                          "deadline": "none: the zone is served signed, and insecure for validators until the DS is at the parent"])
        case let .started(kind, old, new, reason):
            return OperatorEvent(
                kind: .keyRolloverStarted, severity: .info, zone: zone, time: now,
                summary: "\(zone): \(kind.rawValue) rollover started (\(reason)): \(names(old)) → \(names(new))",
                details: ["rollover": kind.rawValue, "old": old.map { "\($0.tag)" }.joined(separator: ","),
                          "new": new.map { "\($0.tag)" }.joined(separator: ","), "reason": reason])
        case let .submitDS(new, old):
            let parentNote = "A parent that reads CDS/CDNSKEY (RFC 7344) does this by itself; `dns-signer keys status \(zone)` shows what the parent's servers publish."
            return OperatorEvent(
                kind: .keyActionNeeded, severity: .warning, zone: zone, time: now,
                summary: "\(zone): replace the DS at the registrar. Add:\n\(dsText(new))\n\nthen remove the DS of \(names(old)):\n\(dsText(old))\n\n"
                    + "Until the new DS is at every parent server the old key stays in service and the zone stays valid; no deadline. \(parentNote)",
                details: ["action": "replace-ds", "add": dsText(new), "remove": dsText(old), "ds": dsRecords(new), "removeDS": dsRecords(old),
                          "keyTags": new.map { "\($0.tag)" }.joined(separator: ","),
                          "deadline": "none: the rollover waits, with both keys in service, until the parent publishes the new DS"])
        case .removeDS(let old):
            return OperatorEvent(
                kind: .keyActionNeeded, severity: .warning, zone: zone, time: now,
                summary: "\(zone): going insecure: remove every DS of the zone at the registrar (CDS/CDNSKEY DELETE are published). Remove:\n\(dsText(old))\n\n"
                    + "The zone stays signed until the DS is gone from every parent server and from caches; no deadline.",
                details: ["action": "remove-ds", "remove": dsText(old), "removeDS": dsRecords(old), "keyTags": old.map { "\($0.tag)" }.joined(separator: ","),
                          "deadline": "none: the zone stays signed until the DS is gone"])
        case .stepStarted:
            return nil
        case let .finished(kind, old, new):
            let oldKSKs = old.filter { ref in keys.lifecycle.keys.contains { KeyLifecycle.ref($0) == ref && $0.role.signsKeys } }
            var removal = kind == .unsign ? "the zone is now served without DNSSEC" : "old keys \(names(old)) removed"
            if kind != .unsign && !oldKSKs.isEmpty {
                removal += "; if the registrar still lists their DS, it may be deleted:\n\(dsText(oldKSKs))"
            }
            return OperatorEvent(
                kind: .keyRolloverFinished, severity: .info, zone: zone, time: now,
                summary: "\(zone): \(kind.rawValue) rollover finished: \(kind == .unsign ? "" : "now signing with \(names(new)); ")\(removal)",
                details: ["rollover": kind.rawValue, "old": old.map { "\($0.tag)" }.joined(separator: ","),
                          "new": new.map { "\($0.tag)" }.joined(separator: ",")])
        }
    }
}
