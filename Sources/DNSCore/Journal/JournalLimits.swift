/// How much history a zone's journal keeps: at most `maxVersions` steps and `maxBytes` of stored
/// steps, the newest kept. Whatever is dropped only costs a client that far behind a full transfer.
public struct JournalLimits: Sendable, Equatable, CustomStringConvertible {
    public var maxVersions: Int
    public var maxBytes: Int

    /// 100 versions cover more than a day of hourly changes plus signature refreshes, and a secondary
    /// down longer than that is cheaper to send the whole zone; 64 MiB bounds the disk a busy zone's
    /// journal takes while fitting a hundred diffs of a large zone's signature refresh.
    public static let `default` = JournalLimits(maxVersions: 100, maxBytes: 64 << 20)

    public init(maxVersions: Int, maxBytes: Int) {
        self.maxVersions = maxVersions
        self.maxBytes = maxBytes
    }

    /// Zero versions: no journal (every IXFR is answered AXFR-style).
    public var isDisabled: Bool { maxVersions <= 0 || maxBytes <= 0 }

    /// How many of the oldest steps to drop, given every step's stored size, oldest first: the newest
    /// steps are kept while they fit both limits together (a step larger than `maxBytes` alone is not kept).
    public func dropCount(sizesOldestFirst sizes: [Int]) -> Int {
        var kept = 0
        var bytes = 0
        for size in sizes.reversed() {
            guard kept < maxVersions, bytes + size <= maxBytes else { break }
            kept += 1
            bytes += size
        }
        return sizes.count - kept
    }

    public var description: String { "\(maxVersions) versions, \(maxBytes) bytes" }
}
