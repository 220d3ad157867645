import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs CPU-bound work over index ranges on every core (signing, verifying, hashing a zone).
///
/// Work is cut into chunks several times more numerous than the cores, so a slow chunk does not leave
/// the other cores idle at the end, and each chunk reuses its own scratch buffers. Small jobs run on
/// the calling thread: for a handful of signatures starting threads costs more than it saves.
enum ParallelWork {
    /// Calls `body` once per chunk of `0..<count`, concurrently. Chunks are disjoint; `body` must only
    /// write to state owned by its chunk.
    static func forEachChunk(count: Int, minimumChunk: Int = 64, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let cores = max(1, CoreCount.online)
        if count <= minimumChunk || cores == 1 {
            body(0..<count)
            return
        }
        let chunkSize = max(minimumChunk, count / (cores * 16))
        let chunks = (count + chunkSize - 1) / chunkSize
        // concurrentPerform wants a @Sendable closure; the chunks are disjoint by construction, which
        // the compiler cannot see, hence the unchecked box.
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let start = chunk * chunkSize
                work.value(start..<min(count, start + chunkSize))
            }
        }
    }

    /// `transform` applied to every index of `0..<count`, concurrently, results in index order. Each
    /// chunk gets its own scratch value from `scratch` (a reusable buffer, for instance).
    static func map<T, Scratch>(
        count: Int, minimumChunk: Int = 64, scratch: () -> Scratch, _ transform: (Int, inout Scratch) -> T
    ) -> [T] {
        guard count > 0 else { return [] }
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            let base = UncheckedSendable(buffer.baseAddress!)
            forEachChunk(count: count, minimumChunk: minimumChunk) { range in
                var local = scratch()
                for index in range { (base.value + index).initialize(to: transform(index, &local)) }
            }
            initialized = count
        }
    }
}

/// A value handed to concurrent chunks that only touch their own part of it.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// The number of cores online, read once (a system property, not a clock or a file).
private enum CoreCount {
    static let online: Int = {
        #if canImport(Glibc) || canImport(Musl) || canImport(Darwin)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 2
        #endif
    }()
}
