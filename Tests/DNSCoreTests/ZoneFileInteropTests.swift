import Foundation
import Testing
@testable import DNSCore

/// External judges for our zone-file writer: BIND's named-checkzone/named-compilezone and Knot's
/// kzonecheck. A missing tool fails the test unless COUNTERSIGN_ALLOW_MISSING_TOOLS=1.
private enum ZoneTools {
    static let allowMissing = ProcessInfo.processInfo.environment["COUNTERSIGN_ALLOW_MISSING_TOOLS"] == "1"

    static func path(_ tool: String) -> String? {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/sbin", "/usr/bin", "/sbin", "/usr/local/bin"]
        return dirs.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Run the test when its tools exist, or when they are missing but missing is not allowed (so it fails).
    static func runnable(_ tools: String...) -> Bool {
        !allowMissing || tools.allSatisfy { path($0) != nil }
    }

    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs `tool` with a bounded wait, output captured in files (a pipe could fill and block the tool).
    static func run(_ tool: String, _ arguments: [String], in directory: URL, timeout: TimeInterval = 60) throws -> Result {
        guard let executable = path(tool) else {
            throw ToolError(message: "\(tool) is not installed (apt-get install -y bind9-utils knot-dnssecutils); "
                + "set COUNTERSIGN_ALLOW_MISSING_TOOLS=1 to skip")
        }
        let outURL = directory.appendingPathComponent("\(tool).out")
        let errURL = directory.appendingPathComponent("\(tool).err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try ProcessLauncher.launch(process)
        if done.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            _ = done.wait(timeout: .now() + 5)
            throw ToolError(message: "\(tool) did not finish within \(Int(timeout)) s")
        }
        return Result(
            status: process.terminationStatus,
            output: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            errors: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    struct ToolError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

/// A temporary directory removed after `body`.
private func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("countersign-zone-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try body(url)
}

/// Every type we print, delegations with glue, wildcards, escapes, and an unknown type.
private let richZoneText = ##"""
    $ORIGIN example.com.
    $TTL 3600
    @ SOA ns1 hostmaster ( 2024010101 2h 1h 2w 5m )
    @ NS ns1
    @ NS ns2
    @ MX 10 mail
    @ TXT "v=spf1 mx -all"
    @ SPF "v=spf1 mx -all"
    @ CAA 0 issue "letsencrypt.org"
    @ CAA 128 iodef "mailto:security@example.com"
    @ ALIAS lb.example.net.
    @ DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==
    @ CDS 2371 13 2 1F987CC6583E92DF0890718C42A4A4CE3F7CF0E8A8BD6BD8A5F2C9AD1DC2D0B6
    @ HTTPS 1 . alpn=h2,h3 port=443
    ns1 A 192.0.2.1
    ns1 AAAA 2001:db8::1
    ns2 A 192.0.2.2
    mail A 192.0.2.25
    www A 192.0.2.80
    www AAAA 2001:db8::80
    www SSHFP 4 2 123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0
    _443._tcp.www TLSA 3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6
    alias CNAME www
    *.wild A 192.0.2.99
    *.wild TXT "wildcard"
    txt TXT "say \"hi\"" "semi;colon (paren)" "back\\slash" "\200\001\255" ""
    txt TXT plain words
    escaped\.dot TXT "a label with a dot"
    space\ name TXT "a label with a space"
    _sip._tcp SRV 10 60 5060 www
    naptr NAPTR 100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .
    ptr PTR www
    legacy DNAME example.net.
    svc SVCB 1 www alpn=h2 port=8443
    svc2 SVCB 0 www
    unknown TYPE65280 \# 4 0A000001
    empty TYPE65280 \# 0
    sub NS ns.sub
    sub NS ns1
    sub DS 2371 13 2 1F987CC6583E92DF0890718C42A4A4CE3F7CF0E8A8BD6BD8A5F2C9AD1DC2D0B6
    ns.sub A 192.0.2.53
    ns.sub AAAA 2001:db8::53
    other NS ns.example.net.
    """##

private func richZone() throws -> Zone {
    try Zone(parsing: richZoneText, origin: "example.com.", file: "rich.db")
}

/// A larger zone with random hosts, delegations with glue, wildcards and arbitrary TXT bytes.
private func generatedZone(seed: UInt64, hosts: Int) throws -> Zone {
    var rng = SplitMix64(seed: seed)
    var text = "$ORIGIN gen.example.\n$TTL 300\n@ SOA ns1 hostmaster 7 3600 600 86400 60\n@ NS ns1\nns1 A 198.51.100.1\n"
    let letters = Array("abcdefghijklmnopqrstuvwxyz0123456789")
    func host() -> String {
        let length = Int.random(in: 1...12, using: &rng)
        let first = letters[Int.random(in: 0..<26, using: &rng)]
        return String([first] + (1..<length).map { _ in letters.randomElement(using: &rng)! })
    }
    var used: Set<String> = ["ns1"]
    var hostNames: [String] = []
    for i in 0..<hosts {
        var name = host()
        while used.contains(name) { name = host() + "\(i)" }
        used.insert(name)
        switch Int.random(in: 0..<10, using: &rng) {
        case 0:
            // A delegation with in-bailiwick glue.
            text += "\(name) NS ns.\(name)\n\(name) NS ns1\nns.\(name) A 203.0.113.\(i % 256)\n"
        case 1:
            text += "*.\(name) A 192.0.2.\(i % 256)\n"
        case 2 where !hostNames.isEmpty:
            text += "\(name) CNAME \(hostNames.randomElement(using: &rng)!)\n"
        default:
            hostNames.append(name)
            text += "\(name) A 10.\(i >> 16 & 255).\(i >> 8 & 255).\(i & 255)\n"
            if Bool.random(using: &rng) { text += "\(name) AAAA 2001:db8::\(String(i, radix: 16))\n" }
            if Bool.random(using: &rng) {
                let bytes = (0..<Int.random(in: 0...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                text += "\(name) TXT \(CharacterString.quoted(bytes))\n"
            }
            if Int.random(in: 0..<4, using: &rng) == 0 { text += "\(name) MX 10 \(name)\n" }
        }
    }
    return try Zone(parsing: text, origin: "gen.example.")
}

@Suite(.serialized) struct ZoneFileInteropTests {
    /// Writes `zone` portably and asks both checkers about it.
    private func expectAccepted(_ zone: Zone, file: String) throws {
        let text = ZoneFileWriter.portable.write(zone)
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent(file).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let bind = try ZoneTools.run(
                "named-checkzone", ["-k", "fail", "-i", "local", zone.origin.text, path], in: dir)
            #expect(bind.status == 0, "named-checkzone rejected our output:\n\(bind.output)\(bind.errors)")
            let knot = try ZoneTools.run("kzonecheck", ["-o", zone.origin.text, path], in: dir)
            #expect(knot.status == 0, "kzonecheck rejected our output:\n\(knot.output)\(knot.errors)")
        }
    }

    @Test(.enabled(if: ZoneTools.runnable("named-checkzone", "kzonecheck")))
    func richZoneIsAcceptedByBINDAndKnot() throws {
        let zone = try richZone()
        #expect(zone.check().isEmpty)
        try expectAccepted(zone, file: "rich.db")
    }

    @Test(.enabled(if: ZoneTools.runnable("named-checkzone", "kzonecheck")))
    func generatedZonesAreAcceptedByBINDAndKnot() throws {
        for seed in [1, 2, 3] as [UInt64] {
            let zone = try generatedZone(seed: seed, hosts: 1500)
            #expect(zone.check().filter { $0.severity == .error }.isEmpty)
            try expectAccepted(zone, file: "gen-\(seed).db")
        }
    }

    @Test func ourOutputReadsBackToTheSameZone() throws {
        for zone in [try richZone(), try generatedZone(seed: 9, hosts: 800)] {
            for writer in [ZoneFileWriter(), ZoneFileWriter.portable] {
                let text = writer.write(zone)
                let again = try Zone(parsing: text, origin: zone.origin)
                #expect(again == zone)
                #expect(writer.write(again) == text, "output is not stable")
            }
        }
    }

    @Test func writerPutsSOAFirstThenCanonicalOrder() throws {
        let zone = try richZone()
        let lines = ZoneFileWriter(header: false).write(zone).split(separator: "\n")
        #expect(lines.first?.hasPrefix("example.com.\t3600\tIN\tSOA\tns1.example.com. hostmaster.example.com. 2024010101") == true)
        let names = try lines.map { try DomainName(String($0.prefix { $0 != "\t" })) }
        #expect(zip(names.dropFirst(), names.dropFirst(2)).allSatisfy { !($1 < $0) })
        #expect(lines.contains("txt.example.com.\t3600\tIN\tTXT\t\"say \\\"hi\\\"\" \"semi;colon (paren)\" \"back\\\\slash\" \"\\200\\001\\255\" \"\""))
        #expect(lines.contains("escaped\\.dot.example.com.\t3600\tIN\tTXT\t\"a label with a dot\""))
        #expect(lines.contains("example.com.\t3600\tIN\tALIAS\tlb.example.net."))
        #expect(ZoneFileWriter.portable.write(zone).contains("example.com.\t3600\tIN\tTYPE65401\t\\# 16 026C62076578616D706C65036E657400"))
        #expect(lines.contains("unknown.example.com.\t3600\tIN\tTYPE65280\t\\# 4 0A000001"))
    }

    @Test(.enabled(if: ZoneTools.runnable("named-compilezone")))
    func bindsRewriteReadsBackToTheSameZone() throws {
        for zone in [try richZone(), try generatedZone(seed: 5, hosts: 1000)] {
            try withTemporaryDirectory { dir in
                let path = dir.appendingPathComponent("in.db").path
                try ZoneFileWriter.portable.write(zone).write(toFile: path, atomically: true, encoding: .utf8)
                let result = try ZoneTools.run("named-compilezone", ["-i", "none", "-o", "-", zone.origin.text, path], in: dir)
                #expect(result.status == 0, "named-compilezone failed:\n\(result.errors)")
                let reread = try Zone(parsing: result.output, origin: zone.origin, file: "named-compilezone")
                #expect(reread == zone)
                #expect(ZoneDiff(from: zone, to: reread).isEmpty)
            }
        }
    }

    @Test(.enabled(if: ZoneTools.runnable("named-checkzone")))
    func bindRejectsWhatOurChecksReject() throws {
        // Sanity check of the judge: a CNAME beside other data fails both BIND and our checks.
        let zone = try Zone(parsing: richZoneText + "\nwww CNAME alias\n", origin: "example.com.")
        #expect(zone.check().contains { $0.severity == .error && $0.type == .CNAME })
        try withTemporaryDirectory { dir in
            let path = dir.appendingPathComponent("bad.db").path
            try ZoneFileWriter.portable.write(zone).write(toFile: path, atomically: true, encoding: .utf8)
            let bind = try ZoneTools.run("named-checkzone", ["-k", "fail", "-i", "local", "example.com.", path], in: dir)
            #expect(bind.status != 0)
        }
    }
}
