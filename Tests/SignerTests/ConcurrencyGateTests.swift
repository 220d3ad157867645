import Foundation
import Testing
@testable import Signer

/// The gate the first polls of many zones pass through: never more than its width at once, and every
/// caller gets through once places free up.
@Suite struct ConcurrencyGateTests {
    /// What the bodies saw, and a latch that holds them inside the gate until the test opens it.
    actor Record {
        var running = 0
        var most = 0
        var finished = 0
        private var open = false
        private var held: [CheckedContinuation<Void, Never>] = []

        func enter() {
            running += 1
            most = max(most, running)
        }

        func waitForLatch() async {
            if open { return }
            await withCheckedContinuation { held.append($0) }
        }

        func leave() {
            running -= 1
            finished += 1
        }

        func openLatch() {
            open = true
            for waiter in held { waiter.resume() }
            held = []
        }
    }

    @Test(.timeLimit(.minutes(1))) func atMostWidthRunAtOnceAndEveryCallerGetsThrough() async throws {
        let gate = ConcurrencyGate(width: 3)
        let record = Record()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    await gate.run {
                        await record.enter()
                        await record.waitForLatch()
                        await record.leave()
                    }
                }
            }
            // Three bodies get in and stay (the latch is shut); bounded wait, then a moment for a fourth
            // that should not come.
            let deadline = Date().addingTimeInterval(10)
            while await record.running < 3, Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
            try await Task.sleep(for: .milliseconds(200))
            let inside = await record.running
            #expect(inside == 3, "with the latch shut, \(inside) callers are inside a gate of width 3")
            await record.openLatch()
            try await group.waitForAll()
        }
        #expect(await record.most == 3, "more than the gate's width ran at once")
        #expect(await record.finished == 40, "not every caller got through")
    }
}
