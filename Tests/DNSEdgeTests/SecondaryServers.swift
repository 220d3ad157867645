import DNSCore
import Foundation
import Testing
@testable import DNSEdge

/// NSD, Knot or BIND, started by a test on loopback as a secondary of our server for example.test,
/// with TSIG on the transfers and NOTIFY accepted from 127.0.0.1 with the same key.
struct SecondaryServer {
    enum Kind: String, CaseIterable, Sendable, CustomStringConvertible {
        case nsd, knot, bind
        var tool: String {
            switch self {
            case .nsd: "nsd"
            case .knot: "knotd"
            case .bind: "named"
            }
        }
        var description: String { rawValue }
    }

    let kind: Kind
    let port: Int
    let directory: URL
    let daemon: BackgroundProcess

    static func start(_ kind: Kind, primaryPort: Int, key: TSIGKey = EdgeFixtures.key) throws -> SecondaryServer {
        let directory = try EdgeFixtures.temporaryDirectory(kind.rawValue)
        let port = try EdgePorts.pick()
        let setup = SecondaryConfig.Setup(
            directory: directory.path, address: "127.0.0.1", port: port, zone: "example.test", primaryPort: primaryPort,
            key: SecondaryConfig.Key(name: String(key.name.text.dropLast()), algorithm: key.algorithm.mnemonic, secret: key.base64Secret))
        let configURL = directory.appendingPathComponent("\(kind.rawValue).conf")
        let arguments: [String]
        switch kind {
        case .nsd:
            try SecondaryConfig.nsd(setup).write(to: configURL, atomically: true, encoding: .utf8)
            arguments = ["-d", "-c", configURL.path]
        case .knot:
            try SecondaryConfig.knot(setup).write(to: configURL, atomically: true, encoding: .utf8)
            arguments = ["-c", configURL.path]
        case .bind:
            try SecondaryConfig.bind(setup).write(to: configURL, atomically: true, encoding: .utf8)
            arguments = ["-g", "-n", "1", "-c", configURL.path]
        }
        let daemon = try BackgroundProcess(kind.tool, arguments, log: directory.appendingPathComponent("daemon.log"))
        return SecondaryServer(kind: kind, port: port, directory: directory, daemon: daemon)
    }

    func stop() {
        daemon.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The serial the secondary serves now, or nil while it has no zone.
    func serial() -> UInt32? {
        guard let output = try? ExternalTool.run("dig", ["@127.0.0.1", "-p", String(port), "+norec", "+time=1", "+tries=1",
                                                         "+short", "example.test", "SOA"], timeout: 10, allowFailure: true)
        else { return nil }
        let fields = output.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count >= 7 else { return nil }
        return UInt32(fields[2])
    }

    /// Waits (bounded) until the secondary serves `serial`.
    func waitForSerial(_ serial: UInt32, seconds: Double = 30) async -> Bool {
        await edgeWait(seconds: seconds) { self.serial() == serial || !daemon.process.isRunning }
            && self.serial() == serial
    }

    /// The secondary's copy of the zone, by AXFR from it.
    func copy() throws -> Zone {
        let output = try ExternalTool.run("kdig", ["@127.0.0.1", "-p", String(port), "+time=5", "example.test", "AXFR"],
                                          timeout: 30, allowFailure: true)
        return try EdgeDig.zone(fromAXFR: output, origin: EdgeFixtures.origin)
    }
}
