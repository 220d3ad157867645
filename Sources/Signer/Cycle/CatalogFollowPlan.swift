import DNSCore

/// What one received catalog changes among the signer's zones, decided without the store: members
/// that are new are added, members this catalog had parked are resumed (with their keys), zones this
/// catalog added that are no longer members are parked, and a member whose name is held otherwise
/// (added by hand, or by another catalog) is left alone — unless that other catalog handed it over to
/// this one (RFC 9432 §5.5).
///
/// Member resets (RFC 9432 §5.4): a member whose unique id differs from the one recorded when it was
/// added is the producer saying "this is a new zone under an old name" (deleted and created again,
/// handed to another customer). A consumer must then drop the zone's state and transfer it afresh. For
/// a signer that state is the unsigned and signed copies, their IXFR journal and the zone's poll
/// history; the DNSSEC keys are **kept**: the parent's DS names our KSK, and new keys would make the
/// zone bogus until the registrar publishes a new DS — a reset must not break the chain of trust. An
/// operator who wants new keys rolls them (`dns-signer keys roll`). The same holds for a zone taken
/// over from another catalog under a different id.
struct CatalogFollowPlan: Equatable, Sendable {
    /// A zone of the signer, as the plan sees it.
    struct Existing: Equatable, Sendable {
        /// Added by this catalog (else by hand or another catalog: never touched, but see `movingTo`).
        var ours: Bool
        var parked: Bool
        /// The unique id its catalog listed it under when last applied; nil for a zone added by hand or
        /// recorded before ids were kept (then the first id seen is taken without a reset).
        var memberID: String? = nil
        /// The catalog its owning catalog's `coo` property hands it over to, if any.
        var movingTo: DomainName? = nil
    }

    var add: [DomainName] = []
    var resume: [DomainName] = []
    var park: [DomainName] = []
    /// Members held by hand or by another catalog.
    var leftAlone: [DomainName] = []
    /// Members whose unique id changed (§5.4): state dropped and transferred afresh, keys kept. A member
    /// may be in `resume` or `takeOver` too.
    var reset: [DomainName] = []
    /// Members another catalog handed over to this one with `coo` (§5.5): they become this catalog's.
    var takeOver: [DomainName] = []
    /// The unique id and `coo` to record, for the members this catalog holds after the plan whose
    /// recorded ones differ (so an unchanged member costs no write).
    var records: [DomainName: Record] = [:]

    struct Record: Equatable, Sendable {
        var id: String
        var coo: DomainName?
    }

    var isEmpty: Bool { add.isEmpty && resume.isEmpty && park.isEmpty && reset.isEmpty && takeOver.isEmpty }

    /// Names only, no ids: for callers that do not know them (nothing is reset).
    init(members: [DomainName], existing: [DomainName: Existing]) {
        self.init(catalog: .root, members: members.map { CatalogMember(zone: $0, id: "") }, existing: existing, compareIDs: false)
    }

    init(catalog: DomainName, members: [CatalogMember], existing: [DomainName: Existing]) {
        self.init(catalog: catalog, members: members, existing: existing, compareIDs: true)
    }

    private init(catalog: DomainName, members: [CatalogMember], existing: [DomainName: Existing], compareIDs: Bool) {
        let catalog = catalog.lowercased()
        let wanted = Set(members.map(\.zone))
        for member in members.sorted(by: { $0.zone < $1.zone }) {
            let name = member.zone
            let record = Record(id: member.id, coo: member.coo)
            // Unique ids are labels, compared as DNS compares them: without case.
            func idChanged(_ zone: Existing) -> Bool {
                compareIDs && zone.memberID.map { $0.lowercased() != member.id.lowercased() } ?? false
            }
            switch existing[name] {
            case nil:
                add.append(name)
                records[name] = record
            case let zone? where zone.ours:
                if zone.parked { resume.append(name) }
                if idChanged(zone) { reset.append(name) }
                if zone.memberID != record.id || zone.movingTo != record.coo { records[name] = record }
            case let zone? where zone.movingTo == catalog && compareIDs:
                takeOver.append(name)
                if zone.parked { resume.append(name) }
                if idChanged(zone) { reset.append(name) }
                records[name] = record
            case _?:
                leftAlone.append(name)
            }
        }
        for (name, zone) in existing where zone.ours && !zone.parked && !wanted.contains(name) {
            park.append(name)
        }
        park.sort()
        resume.sort()
    }
}
