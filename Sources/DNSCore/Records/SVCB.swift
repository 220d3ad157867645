/// SVCB: service binding (RFC 9460 §2.2). HTTPS (type 65) shares this layout.
///
/// ```
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// |                  SvcPriority                  |
/// /                  TargetName                   /   (uncompressed)
/// /        SvcParams: key(16) length(16) value    /   (keys strictly increasing)
/// +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
/// ```
public struct SVCB: ServiceBindingRData {
    public static let recordType = RecordType.SVCB
    public var priority: UInt16
    public var target: DomainName
    public var params: [SvcParam]

    public init(priority: UInt16, target: DomainName, params: [SvcParam]) {
        self.priority = priority
        self.target = target
        self.params = params
    }

    public var rdata: RData { .svcb(self) }
}

/// One SvcParam with its value in wire form; presentation is derived per key.
public struct SvcParam: Sendable, Hashable {
    public var key: UInt16
    public var value: [UInt8]
    public init(key: UInt16, value: [UInt8]) {
        self.key = key
        self.value = value
    }

    static let names: [UInt16: String] = [
        0: "mandatory", 1: "alpn", 2: "no-default-alpn", 3: "port", 4: "ipv4hint", 5: "ech", 6: "ipv6hint",
        7: "dohpath",
    ]

    static func key(named name: String) -> UInt16? {
        if let match = names.first(where: { $0.value == name }) { return match.key }
        guard name.hasPrefix("key"), let number = UInt16(name.dropFirst(3)) else { return nil }
        return number
    }

    static func name(of key: UInt16) -> String { names[key] ?? "key\(key)" }
}

/// Types laid out like SVCB (SVCB, HTTPS).
public protocol ServiceBindingRData: RDataType {
    var priority: UInt16 { get }
    var target: DomainName { get }
    var params: [SvcParam] { get }
    init(priority: UInt16, target: DomainName, params: [SvcParam])
}
