/// HTTPS: the SVCB variant for HTTP origins (RFC 9460 §9); same RDATA layout as SVCB.
///
/// ```
/// | SvcPriority (16) | TargetName (uncompressed) | SvcParams ... |
/// ```
public struct HTTPS: ServiceBindingRData {
    public static let recordType = RecordType.HTTPS
    public var priority: UInt16
    public var target: DomainName
    public var params: [SvcParam]

    public init(priority: UInt16, target: DomainName, params: [SvcParam]) {
        self.priority = priority
        self.target = target
        self.params = params
    }

    public var rdata: RData { .https(self) }
}
