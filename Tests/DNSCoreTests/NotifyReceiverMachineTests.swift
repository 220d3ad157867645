import Testing
@testable import DNSCore

@Suite("NOTIFY receiver machine")
struct NotifyReceiverMachineTests {
    let zone: DomainName = "example.test."

    @Test func aFloodStartsOneRefresh() {
        var machine = NotifyReceiverMachine()
        #expect(machine.event(.notified(zone: zone, serial: SerialNumber(5))) == .refresh(zone))
        for _ in 0..<1000 {
            #expect(machine.event(.notified(zone: zone, serial: SerialNumber(5))) == .coalesced(zone))
        }
        #expect(machine.isRefreshing(zone))
        #expect(machine.event(.refreshFinished(zone: zone)) == .none)
        #expect(!machine.isRefreshing(zone))
    }

    @Test func aNewerSerialDuringARefreshQueuesExactlyOneMore() {
        var machine = NotifyReceiverMachine()
        #expect(machine.event(.notified(zone: zone, serial: SerialNumber(5))) == .refresh(zone))
        #expect(machine.event(.notified(zone: zone, serial: SerialNumber(6))) == .deferred(zone))
        #expect(machine.event(.notified(zone: zone, serial: SerialNumber(7))) == .coalesced(zone))
        #expect(machine.event(.notified(zone: zone, serial: nil)) == .coalesced(zone))
        #expect(machine.event(.refreshFinished(zone: zone)) == .refresh(zone))
        #expect(machine.event(.refreshFinished(zone: zone)) == .none)
    }

    @Test func aNotifyWithoutSerialDuringARefreshQueuesOneMore() {
        var machine = NotifyReceiverMachine()
        #expect(machine.event(.notified(zone: zone, serial: nil)) == .refresh(zone))
        #expect(machine.event(.notified(zone: zone, serial: nil)) == .deferred(zone))
        #expect(machine.event(.refreshFinished(zone: zone)) == .refresh(zone))
    }

    @Test func zonesAreIndependent() {
        var machine = NotifyReceiverMachine()
        #expect(machine.event(.notified(zone: zone, serial: nil)) == .refresh(zone))
        #expect(machine.event(.notified(zone: "other.test.", serial: nil)) == .refresh("other.test."))
        #expect(machine.event(.refreshFinished(zone: "nowhere.test.")) == .none)
    }
}
