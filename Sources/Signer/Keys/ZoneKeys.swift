import DNSCore
import Foundation

/// A zone's lifecycle with the keys' private halves: what the worker signs with. The lifecycle says
/// what each key does; this turns that into a `ZoneKeySet`, makes new keys when the lifecycle asks
/// and keeps them in the store before any version uses them.
struct ZoneKeys: Sendable {
    let origin: DomainName
    var lifecycle: KeyLifecycle
    /// Every stored key of the zone, removed ones included (their tags stay taken).
    private(set) var material: [Rollover.KeyRef: SigningKey]

    /// From the store: the stored lifecycle, or one adopting the stored keys (a zone signed before
    /// lifecycles existed).
    static func load(_ store: SignerStore, config: SignerZoneConfig) throws -> ZoneKeys {
        let zone = config.origin.text
        let stored = try store.keys(zone: zone)
        var material: [Rollover.KeyRef: SigningKey] = [:]
        for key in stored { material[Rollover.KeyRef(tag: key.keyTag, algorithm: key.algorithm.rawValue)] = key }
        let lifecycle: KeyLifecycle
        if let saved = try store.keyLifecycle(zone: zone) {
            lifecycle = saved
        } else {
            let info = try store.keyInfo(zone: zone)
            lifecycle = KeyLifecycle.adopting(info.map { ($0.keyTag, $0.algorithm, $0.flags, $0.createdAt) }, csk: config.csk)
        }
        for key in lifecycle.liveKeys where material[KeyLifecycle.ref(key)] == nil {
            throw SignerStoreError(.corrupt, zone: zone, field: "key \(key.tag)", reason: "the key lifecycle names a key the store does not hold")
        }
        return ZoneKeys(origin: config.origin, lifecycle: lifecycle, material: material)
    }

    /// `other`'s keys (new ones included: they are stored) with `lifecycle` instead of its own: a step
    /// whose commit failed keeps the keys it made but not the states it moved to.
    init(keeping other: ZoneKeys, lifecycle: KeyLifecycle) {
        origin = other.origin
        self.lifecycle = lifecycle
        material = other.material
    }

    private init(origin: DomainName, lifecycle: KeyLifecycle, material: [Rollover.KeyRef: SigningKey]) {
        self.origin = origin
        self.lifecycle = lifecycle
        self.material = material
    }

    /// The keys to sign with and what each does; empty (and `insecure`) for a zone served without DNSSEC.
    func keySet() throws -> ZoneKeySet {
        let usages = lifecycle.usages
        let keys = try usages.map { entry -> SigningKey in
            guard let key = material[entry.ref] else {
                throw SignerStoreError(.corrupt, zone: origin.text, field: "key \(entry.ref.tag)", reason: "private key missing from the store")
            }
            return key
        }
        return try ZoneKeySet(zone: origin, keys: keys, usage: usages.map(\.usage), cdsDelete: lifecycle.publishesDelete)
    }

    /// The DNSKEYs the parent's DS may name now (each must stay published and sign the DNSKEY RRset).
    var anchors: [DNSKEY] { lifecycle.anchors.compactMap { material[$0]?.dnskey } }

    var isInsecure: Bool { lifecycle.insecure || lifecycle.liveKeys.isEmpty }

    func key(_ ref: Rollover.KeyRef) -> SigningKey? { material[ref] }

    /// Makes the keys `generation` asks for, each with a tag no key of the zone ever had (tags name keys
    /// in RRSIG, DS and `keys` commands), and stores them before anything is signed with them.
    mutating func generate(_ generation: KeyLifecycle.Generation, store: SignerStore, now: Int64) throws -> [ManagedKey] {
        let (made, managed) = try make(generation, now: now)
        try store.storeKeys(zone: origin.text, keys: made, now: Date(timeIntervalSince1970: TimeInterval(now)))
        keep(made)
        return managed
    }

    /// New keys for `generation` with key tags no other key of the zone has, not yet stored: the caller
    /// stores them (`SignerStore.storeKeys`) before anything is signed with them, then `keep`s them.
    func make(_ generation: KeyLifecycle.Generation, now: Int64) throws -> (keys: [SigningKey], managed: [ManagedKey]) {
        var made: [SigningKey] = []
        var managed: [ManagedKey] = []
        let taken = Set(material.keys.map(\.tag)).union(lifecycle.keys.map(\.tag))
        for role in generation.roles {
            var key = try SigningKey.generate(algorithm: generation.algorithm, flags: role.flags)
            var attempts = 0
            while taken.contains(key.keyTag) || made.contains(where: { $0.keyTag == key.keyTag }) {
                attempts += 1
                guard attempts < 16 else { throw SignerError.keyGeneration("no free key tag after 16 keys") }
                key = try SigningKey.generate(algorithm: generation.algorithm, flags: role.flags)
            }
            made.append(key)
            managed.append(ManagedKey(tag: key.keyTag, algorithm: key.algorithm.rawValue, role: role, state: .prePublished,
                                      since: now, created: now, activeSince: nil))
        }
        return (made, managed)
    }

    /// Takes stored keys into the material signing uses.
    mutating func keep(_ keys: [SigningKey]) {
        for key in keys { material[Rollover.KeyRef(tag: key.keyTag, algorithm: key.algorithm.rawValue)] = key }
    }
}
