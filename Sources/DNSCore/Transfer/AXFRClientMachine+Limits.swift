extension AXFRClientMachine {
    /// Bounds on what one transfer may cost us: a broken or hostile primary must not be able to fill
    /// memory or hold a connection forever. Each limit fails with its own `TransferError`.
    ///
    /// The defaults fit zones far larger than the ones this system serves (a 100k-name signed zone is
    /// about 30 MB on the wire) and still stop a runaway stream.
    public struct Limits: Sendable, Hashable {
        /// Total bytes of all AXFR response messages.
        public var maxBytes: Int
        /// Records in the zone (the closing SOA not counted).
        public var maxRecords: Int
        /// Records with one owner, type and class (RRSIGs per covered type).
        public var maxRecordsPerRRset: Int
        /// AXFR response messages.
        public var maxMessages: Int
        /// Longest wait for the next complete message (a peer trickling bytes slower than a message per
        /// `idleTimeout` is cut off even though bytes keep coming).
        public var idleTimeout: Duration

        public init(
            maxBytes: Int = 512 << 20, maxRecords: Int = 5_000_000, maxRecordsPerRRset: Int = 10_000,
            maxMessages: Int = 100_000, idleTimeout: Duration = .seconds(15)
        ) {
            self.maxBytes = maxBytes
            self.maxRecords = maxRecords
            self.maxRecordsPerRRset = maxRecordsPerRRset
            self.maxMessages = maxMessages
            self.idleTimeout = idleTimeout
        }
    }
}
