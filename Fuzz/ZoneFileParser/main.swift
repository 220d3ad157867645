// libFuzzer target: `ZoneFileParser` on hostile text must throw a `ZoneFileError` or succeed, never trap or
// hang; and a zone it accepts, printed by `ZoneFileWriter` and parsed again, must be the same zone.
import DNSCore
import FuzzerDriver

#if canImport(Glibc)
import Glibc
#endif

enum Fixture {
    static let origin: DomainName = "example."
}

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var parser = ZoneFileParser(origin: Fixture.origin, file: "fuzz")
    guard let records = try? parser.parse(bytes: bytes) else { return 0 }

    let zone = Zone(records: records, origin: Fixture.origin)
    let text = ZoneFileWriter().write(zone)
    var reparser = ZoneFileParser(origin: Fixture.origin, file: "written")
    let reparsed: [ResourceRecord]
    do {
        reparsed = try reparser.parse(text)
    } catch {
        fatalError("our writer's output does not parse: \(error)\n--- input\n\(quoted(bytes))\n--- written\n\(text)")
    }
    let again = Zone(records: reparsed, origin: Fixture.origin)
    if again != zone {
        fatalError(
            "parse(write(zone)) != zone\n--- input\n\(quoted(bytes))\n--- written\n\(text)\n--- rewritten\n\(ZoneFileWriter().write(again))")
    }
    return 0
}

/// The input as text when it is UTF-8, else as hex, so a report can be pasted into a test.
func quoted(_ bytes: [UInt8]) -> String {
    if let text = String(validating: bytes, as: UTF8.self) { return text }
    return bytes.map { String($0, radix: 16) }.joined(separator: " ")
}

// SwiftPM gives every executable a Swift entry point, so libFuzzer's own main is not linked: pass it the
// command line and the callback here. (Last in the file: top-level code runs in order.)
var fuzzerArgc = CommandLine.argc
var fuzzerArgv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&fuzzerArgc, &fuzzerArgv) { data, size in
    // libFuzzer passes a real buffer even for empty input; a null one would only ever mean size 0.
    guard let data else { return 0 }
    return LLVMFuzzerTestOneInput(data, size)
})
