import DNSEdge
#if canImport(Glibc)
import Glibc
#endif

/// Gives memory freed since the last call back to the kernel. glibc keeps freed memory in its heaps for
/// reuse; after thousands of zones were signed for the first time (each with transient copies), most of
/// it sits between the zones' long-lived allocations, where only `malloc_trim` returns it (measured:
/// 2,000 small zones, 184 → 135 MiB RSS). A walk over the free lists: cheap enough to run every half
/// minute with the poll times' flush.
enum FreedMemory {
    #if canImport(Glibc)
    /// glibc's `malloc_trim`, looked up once (`malloc.h` is not part of Swift's Glibc module); nil on a
    /// C library without it (musl), where this does nothing.
    private static let trim: (@convention(c) (Int) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }  // RTLD_DEFAULT
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()
    #endif

    /// A cycle ran (a transfer, a signing, a key step) since the last `release`: there may be freed memory
    /// to give back. An idle signer has none, and the trim walks the whole heap (hundreds of MiB with ten
    /// thousand zones), so it is skipped then.
    private static let churned = Locked(false)

    static func noteChurn() { churned.withLock { $0 = true } }

    static func release() {
        guard churned.withLock({ churned in defer { churned = false }; return churned }) else { return }
        #if canImport(Glibc)
        _ = trim?(0)
        #endif
    }
}
