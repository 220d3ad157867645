import Testing
@testable import DNSCore

typealias NotifyTestMachine = NotifySenderMachine<String>

private let soa = ResourceRecord(
    name: "example.test.", ttl: 3600,
    rdata: .soa(SOA(mname: "ns1.example.test.", rname: "hostmaster.example.test.", serial: SerialNumber(42),
                    refresh: 7200, retry: 3600, expire: 1_209_600, minimum: 300)))

private func answer(to message: Message, rcode: RCode = .NOERROR) -> Message {
    var response = message.makeResponse(rcode: rcode)
    response.flags.aa = true
    return response
}

@Suite("NOTIFY sender machine")
struct NotifySenderMachineTests {
    let policy = NotifyTestMachine.Policy(initialTimeout: 1000, maxTimeout: 4000, maxAttempts: 4)

    @Test func sendsToEveryTargetAndStopsRetryingOnceAnswered() throws {
        var machine = NotifyTestMachine(zone: "example.test.", soa: soa, targets: ["a", "b"], policy: policy, idSeed: 7)
        let first = machine.event(.start(now: 0))
        #expect(first.send.map(\.target) == ["a", "b"])
        #expect(first.wakeAt == 1000)
        let toA = try #require(first.send.first { $0.target == "a" }).message
        #expect(toA.flags.opcode == .NOTIFY && toA.flags.aa && !toA.flags.qr)
        #expect(toA.question == Question(name: "example.test.", type: .SOA))
        #expect(toA.answers == [soa])
        #expect(first.send[0].message.id != first.send[1].message.id)

        let answered = machine.event(.response(from: "a", message: answer(to: toA), now: 300))
        #expect(answered.finished == [.answered("a", rcode: .NOERROR, attempts: 1)])
        #expect(answered.send.isEmpty)

        // Only b, which stayed silent, is sent again, with a doubled timeout.
        let retry = machine.event(.timer(now: 1000))
        #expect(retry.send.map(\.target) == ["b"])
        #expect(retry.send[0].attempt == 2)
        #expect(retry.wakeAt == 3000)
        #expect(!machine.isFinished)
    }

    @Test func givesUpAfterTheLastAttempt() {
        var machine = NotifyTestMachine(zone: "example.test.", soa: nil, targets: ["silent"], policy: policy, idSeed: 1)
        var sends = machine.event(.start(now: 0)).send.count
        var now: UInt64 = 0
        var finished: [NotifyTestMachine.Outcome] = []
        for _ in 0..<10 where !machine.isFinished {
            now += 5000
            let action = machine.event(.timer(now: now))
            sends += action.send.count
            finished += action.finished
        }
        #expect(sends == 4)
        #expect(finished == [.gaveUp("silent", attempts: 4)])
        #expect(machine.isFinished)
    }

    @Test func ignoresAnswersThatDoNotMatch() throws {
        var machine = NotifyTestMachine(zone: "example.test.", soa: soa, targets: ["a"], policy: policy, idSeed: 3)
        let sent = try #require(machine.event(.start(now: 0)).send.first).message
        var wrongID = answer(to: sent)
        wrongID.id &+= 1
        #expect(machine.event(.response(from: "a", message: wrongID, now: 1)).finished.isEmpty)
        var notAResponse = answer(to: sent)
        notAResponse.flags.qr = false
        #expect(machine.event(.response(from: "a", message: notAResponse, now: 1)).finished.isEmpty)
        // Right ID from a different peer is not an answer either.
        #expect(machine.event(.response(from: "z", message: answer(to: sent), now: 1)).finished.isEmpty)
        var otherZone = answer(to: sent)
        otherZone.questions = [Question(name: "other.test.", type: .SOA)]
        #expect(machine.event(.response(from: "a", message: otherZone, now: 1)).finished.isEmpty)
        // An error answer still ends the retries (the secondary heard us).
        let refused = machine.event(.response(from: "a", message: answer(to: sent, rcode: .REFUSED), now: 2))
        #expect(refused.finished == [.answered("a", rcode: .REFUSED, attempts: 1)])
        #expect(machine.isFinished)
    }

    @Test func aLateAnswerToAnEarlierAttemptCounts() throws {
        var machine = NotifyTestMachine(zone: "example.test.", soa: soa, targets: ["a"], policy: policy, idSeed: 9)
        let sent = try #require(machine.event(.start(now: 0)).send.first).message
        _ = machine.event(.timer(now: 1000))
        let action = machine.event(.response(from: "a", message: answer(to: sent), now: 1500))
        #expect(action.finished == [.answered("a", rcode: .NOERROR, attempts: 2)])
        #expect(action.wakeAt == nil)
    }
}
