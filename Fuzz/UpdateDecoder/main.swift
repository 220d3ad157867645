// libFuzzer target: `UpdateMessage(decoding:)` (RFC 2136 UPDATE) on hostile bytes must throw or succeed,
// never trap, hang or leak; what it accepts must survive encode → decode with the same sections, and
// `UpdateEvaluator.evaluate` on it (against a small zone) must refuse or apply, never trap.
import DNSCore
import FuzzerDriver

#if canImport(Glibc)
import Glibc
#endif

let origin = try! DomainName("example.com.")
let zone = try! Zone(parsing: """
    $ORIGIN example.com.
    @ 3600 SOA ns1 hostmaster 10 3600 600 86400 300
    @ 3600 NS ns1
    @ 60 ALIAS lb.example.net.
    ns1 300 A 192.0.2.53
    www 300 A 192.0.2.1
    alias 300 CNAME www

    """, origin: origin)

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? UpdateMessage(decoding: bytes) else { return 0 }

    let encoded = message.encode()
    let again: UpdateMessage
    do {
        again = try UpdateMessage(decoding: encoded)
    } catch {
        fatalError("re-decoding our own encoding failed: \(error)\ninput: \(hex(bytes))\nencoded: \(hex(encoded))")
    }
    guard again.id == message.id, again.zones == message.zones, again.prerequisites == message.prerequisites,
          again.updates == message.updates, again.additional == message.additional, again.edns == message.edns,
          again.tsig == message.tsig
    else {
        fatalError("decode(encode(m)) != m\ninput: \(hex(bytes))\nencoded: \(hex(encoded))")
    }
    // Aimed at our zone whatever it names, so the prerequisites and changes are really evaluated.
    var aimed = message
    if !aimed.zones.isEmpty { aimed.zones[0] = Question(name: origin, type: .SOA) }
    var copy = zone
    _ = try? UpdateEvaluator.evaluate(aimed, zone: &copy)
    _ = copy.check()
    return 0
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}

// SwiftPM gives every executable a Swift entry point, so libFuzzer's own main is not linked: pass it the
// command line and the callback here. (Last in the file: top-level code runs in order.)
var fuzzerArgc = CommandLine.argc
var fuzzerArgv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&fuzzerArgc, &fuzzerArgv) { data, size in
    guard let data else { return 0 }
    return LLVMFuzzerTestOneInput(data, size)
})
