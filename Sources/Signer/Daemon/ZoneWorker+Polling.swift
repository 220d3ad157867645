import DNSCore
import DNSEdge
import Logging

/// Cheap polls (issue 15): in serial mode a poll is one SOA query, and the zone is transferred only
/// when the serial moved, after a NOTIFY or `zone refresh`, or when the periodic content check is due —
/// so ten thousand unchanged zones cost ten thousand small UDP exchanges a minute, not ten thousand
/// transfers. Content mode keeps the seeds' "transfer and compare every minute" for primaries that change
/// content without raising the serial.
extension ZoneWorker {
    /// One second per try: a primary that does not answer an SOA query in that time is transferred
    /// from anyway (and the transfer says what is wrong).
    /// The questions share one socket: an SOA serial is only a hint (the transfer it triggers is checked
    /// on its own), and a socket per question was most of an unchanged poll's cost.
    static let soaClient = DNSQueryClient(timeout: .seconds(1), attempts: 2, shared: soaExchanger)
    /// The SOA questions' socket, shared with the daemon's `SerialPoller` (which runs on its loop).
    static let soaExchanger = SharedUDPExchanger()

    /// The serial the primary answers when it equals the one we hold and no transfer is called for:
    /// the poll may end there. nil: transfer.
    func unchangedSerial() async -> UInt32? {
        // While polls fail, go straight to the transfer: its error is the one to report, and an SOA query
        // to a primary that is down would only add its timeout to every retry.
        guard machine.failures == 0, !transferAsked, let held = state.unsignedSerial,
              // A content check is due at the first poll after a start and every `contentCheckSeconds` after.
              let last = lastContentCheck, now() - last < config.contentCheckSeconds else {
            settleModeBesideTransfer()
            return nil
        }
        guard await pollMode() == .serial, let serial = await primarySerial(), serial == held else { return nil }
        return serial
    }

    /// `auto` settles at the first poll, while its transfer runs (one `version.bind` question beside it,
    /// not before it), so that the zone may be parked after that poll (ZoneWorker+Parking) rather than
    /// after a second poll of its own. Not awaited: if the answer comes after the poll, the zone's next
    /// poll is its own and parks after it.
    private func settleModeBesideTransfer() {
        guard config.pollMode == .auto, detectedMode == nil, !modeSettling else { return }
        modeSettling = true
        Task { [weak self] in
            _ = await self?.pollMode()
            await self?.modeSettled()
        }
    }

    private func modeSettled() { modeSettling = false }

    /// What `zone status` says of a poll that found the serial held (the worker's own or the poller's).
    func unchangedSerialResult(_ serial: UInt32) -> String {
        "unchanged (SOA serial \(serial); serial polling, content check every \(SignerStoreOptions.duration(config.contentCheckSeconds)))"
    }

    /// The mode in force: the configured one, or for `auto` what the primary's `version.bind` says
    /// (asked once; PowerDNS → content, anything else or no answer → serial).
    func pollMode() async -> SignerZoneConfig.PollMode {
        guard config.pollMode == .auto else { return config.pollMode }
        if let detectedMode { return detectedMode }
        var mode = SignerZoneConfig.PollMode.serial
        var software = "no answer"
        if let primary = config.primaries.first,
           case .answer(let message) = await Self.soaClient.query(DomainName("version.bind."), type: .TXT, dnsClass: .CH, server: primary) {
            let texts = message.answers.compactMap { record -> String? in
                if case .txt(let txt) = record.rdata { return txt.strings.map { String(decoding: $0, as: UTF8.self) }.joined() }
                return nil
            }
            software = texts.first ?? "no version"
            if texts.contains(where: { $0.lowercased().contains("powerdns") }) { mode = .content }
        }
        detectedMode = mode
        logger.notice("poll mode chosen", metadata: ["zone": "\(origin.text)", "mode": "\(mode.rawValue)", "primary": "\(software)"])
        return mode
    }

    /// The serial of the first primary that answers its SOA authoritatively.
    func primarySerial() async -> UInt32? {
        for primary in config.primaries {
            guard case .answer(let message) = await Self.soaClient.query(origin, type: .SOA, server: primary),
                  message.rcode == .NOERROR, message.flags.aa else { continue }
            for record in message.answers where record.name == origin {
                if case .soa(let soa) = record.rdata { return soa.serial.rawValue }
            }
        }
        return nil
    }
}
