import DNSCore

/// What one received catalog changes among the signer's zones, decided without the store: members
/// that are new are added, members this catalog had parked are resumed (with their keys), zones this
/// catalog added that are no longer members are parked, and a member whose name is held otherwise
/// (added by hand, or by another catalog) is left alone.
struct CatalogFollowPlan: Equatable, Sendable {
    /// A zone of the signer, as the plan sees it.
    struct Existing: Equatable, Sendable {
        /// Added by this catalog (else by hand or another catalog: never touched).
        var ours: Bool
        var parked: Bool
    }

    var add: [DomainName] = []
    var resume: [DomainName] = []
    var park: [DomainName] = []
    /// Members held by hand or by another catalog.
    var leftAlone: [DomainName] = []

    var isEmpty: Bool { add.isEmpty && resume.isEmpty && park.isEmpty }

    init(members: [DomainName], existing: [DomainName: Existing]) {
        let wanted = Set(members)
        for member in members.sorted() {
            switch existing[member] {
            case nil: add.append(member)
            case let zone? where zone.ours: if zone.parked { resume.append(member) }
            case _?: leftAlone.append(member)
            }
        }
        for (name, zone) in existing where zone.ours && !zone.parked && !wanted.contains(name) {
            park.append(name)
        }
        park.sort()
    }
}
