/// At most `width` holders at a time, the others waiting in arrival order: the first polls of thousands
/// of zones loaded at once (a transfer, new keys, a full signing each) run a few at a time, so they use
/// every core without holding thousands of zones half-made in memory, and the zones' later deadlines are
/// spread out as their first polls were.
actor ConcurrencyGate {
    private let width: Int
    private var holders = 0
    /// Callers waiting for a place, oldest first from `head` (advanced instead of removing the first
    /// element, which would move every other one: ten thousand zones may wait here at start).
    private var waiting: [CheckedContinuation<Void, Never>] = []
    private var head = 0

    init(width: Int) {
        precondition(width > 0)
        self.width = width
    }

    /// Runs `body` once a place is free.
    func run(_ body: @Sendable () async -> Void) async {
        await enter()
        await body()
        leave()
    }

    private func enter() async {
        if holders < width {
            holders += 1
            return
        }
        // The place is handed over by `leave`, so `holders` already counts this caller when it resumes.
        await withCheckedContinuation { waiting.append($0) }
    }

    private func leave() {
        guard head < waiting.count else {
            holders -= 1
            return
        }
        let next = waiting[head]
        head += 1
        if head == waiting.count {
            waiting.removeAll(keepingCapacity: false)
            head = 0
        }
        next.resume()
    }
}
