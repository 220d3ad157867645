/// One rollover in progress: which keys leave, which arrive, the step it is at and what that step
/// waits for. The steps of each kind are fixed (`steps`); the phase data (when the step started, when
/// its wait ends, what the parent was seen to publish) travels with it into the store, so a restart
/// resumes the step where it was and never shortens a wait.
struct Rollover: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable, CaseIterable {
        /// ZSK pre-publish (RFC 7583 §3.2.1).
        case zsk
        /// Double-KSK (RFC 7583 §3.3.1): one visit to the registrar, a DS replaced.
        case ksk
        /// Double-KSK for a combined key, whose zone signatures move too (RFC 7583 §3.3.3).
        case csk
        /// The whole key set replaced: a new algorithm (RFC 6781 §4.1.4, conservative) or KSK+ZSK ↔ CSK.
        case keySet = "key-set"
        /// CDS/CDNSKEY DELETE, the DS removed, then no signing (RFC 8078 §4).
        case unsign
    }

    /// A timed wait of a step, counted from the step's start (RFC 7583's intervals).
    enum Wait: String, Codable, Sendable {
        /// Dprp + TTLkey: every cache holds the new DNSKEY RRset.
        case dnskey
        /// Dprp + TTLsig (the largest TTL): every cached signature was made by the keys now signing.
        case signatures
    }

    /// What the parent must show before a step may end.
    enum ParentCondition: String, Codable, Sendable {
        /// A DS for each arriving KSK/CSK at every parent server, then Dprp + TTLds.
        case newDS
        /// No DS at every parent server, then Dprp + TTLds.
        case noDS
    }

    struct Step: Sendable, Equatable {
        var name: String
        /// State of the leaving and arriving keys during the step.
        var old: KeyState
        var new: KeyState
        var wait: Wait?
        var parent: ParentCondition?
        /// The parent may still hold the DS of the leaving keys: they must stay published and sign the
        /// DNSKEY RRset for the whole step (checked before every publication).
        var oldAnchored: Bool
        /// What the step is for, in a sentence.
        var purpose: String
    }

    var kind: Kind
    /// Tags of the keys leaving and arriving, with their algorithms (tags alone may repeat across algorithms).
    var old: [KeyRef]
    var new: [KeyRef]
    var step: Int
    var started: Int64
    var stepStarted: Int64
    /// The end of the step's timed wait, never moved earlier once set.
    var waitUntil: Int64?
    /// When every parent server was first seen to satisfy the step's parent condition.
    var parentSatisfiedAt: Int64?
    /// The parent's DS TTL as read with that observation.
    var parentDSTTL: Int64?
    var lastParentCheck: Int64?
    /// The last check's verdict for operators ("DS 123 at 1 of 2 servers: …").
    var parentReport: String?
    /// Why it started (schedule, operator, settings change).
    var reason: String

    struct KeyRef: Codable, Sendable, Hashable {
        var tag: UInt16
        var algorithm: UInt8
    }

    var currentStep: Step { Rollover.steps(kind)[step] }
    var isLastStep: Bool { step == Rollover.steps(kind).count - 1 }

    static func steps(_ kind: Kind) -> [Step] {
        switch kind {
        case .zsk:
            [Step(name: "publish", old: .active, new: .prePublished, wait: .dnskey, parent: nil, oldAnchored: false,
                  purpose: "the new ZSK is published ahead of use until every cache holds it"),
             Step(name: "switch", old: .retiring, new: .active, wait: .signatures, parent: nil, oldAnchored: false,
                  purpose: "the new ZSK signs; the old one stays published until the signatures it made have left every cache")]
        case .ksk:
            [Step(name: "publish", old: .active, new: .prePublished, wait: .dnskey, parent: nil, oldAnchored: false,
                  purpose: "the new KSK is published beside the old one until every cache holds it"),
             Step(name: "submit-ds", old: .retiring, new: .submitted, wait: nil, parent: .newDS, oldAnchored: true,
                  purpose: "CDS/CDNSKEY name the new KSK; waiting for the parent to publish its DS at every server, then for the old DS to leave caches")]
        case .csk:
            [Step(name: "publish", old: .active, new: .prePublished, wait: .dnskey, parent: nil, oldAnchored: false,
                  purpose: "the new CSK is published beside the old one until every cache holds it"),
             Step(name: "submit-ds", old: .retiring, new: .submitted, wait: .signatures, parent: .newDS, oldAnchored: true,
                  purpose: "the new CSK signs and CDS/CDNSKEY name it; waiting for the parent's DS at every server and for the old signatures and DS to leave caches")]
        case .keySet:
            [Step(name: "pre-sign", old: .active, new: .preSigning, wait: .signatures, parent: nil, oldAnchored: false,
                  purpose: "the new keys sign beside the old ones, unpublished, until every cached RRset carries both signatures"),
             Step(name: "publish", old: .active, new: .ready, wait: .dnskey, parent: nil, oldAnchored: false,
                  purpose: "the new keys are published until every cache holds them"),
             Step(name: "submit-ds", old: .leaving, new: .submitted, wait: nil, parent: .newDS, oldAnchored: true,
                  purpose: "CDS/CDNSKEY name the new key; waiting for the parent to publish its DS at every server, then for the old DS to leave caches"),
             Step(name: "withdraw", old: .withdrawn, new: .active, wait: .dnskey, parent: nil, oldAnchored: false,
                  purpose: "the old keys are unpublished but still sign until no cache holds their DNSKEYs")]
        case .unsign:
            [Step(name: "delete-ds", old: .deleting, new: .deleting, wait: nil, parent: .noDS, oldAnchored: true,
                  purpose: "CDS/CDNSKEY DELETE ask the parent to remove the DS; the zone stays signed until the DS is gone from every server and from caches")]
        }
    }
}
