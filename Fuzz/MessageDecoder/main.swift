// libFuzzer target: `Message(decoding:)` on hostile bytes must throw or succeed, never trap, hang or leak;
// and whatever it accepts must survive encode → decode unchanged (encode is our compressor, so this also
// checks that the compression pointers we write point where they should).
import DNSCore
import FuzzerDriver

#if canImport(Glibc)
import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? Message(decoding: bytes) else { return 0 }

    let encoded = message.encode()
    let again: Message
    do {
        again = try Message(decoding: encoded)
    } catch {
        fatalError("re-decoding our own encoding failed: \(error)\ninput: \(hex(bytes))\nencoded: \(hex(encoded))")
    }

    // Names inside RDATA can grow when pointers become labels: a message that no longer fits in 65535 bytes
    // is cut, which is right, not a mismatch. Then each section must be a prefix of the original.
    let cut = again.questions.count < message.questions.count || again.answers.count < message.answers.count
        || again.authority.count < message.authority.count || again.additional.count < message.additional.count
    if cut {
        guard again.questions == Array(message.questions.prefix(again.questions.count)),
            again.answers == Array(message.answers.prefix(again.answers.count)),
            again.authority == Array(message.authority.prefix(again.authority.count)),
            again.additional == Array(message.additional.prefix(again.additional.count)),
            encoded.count > 65535 / 2
        else {
            fatalError("encoding dropped records of a message that fits\ninput: \(hex(bytes))\nencoded: \(hex(encoded))")
        }
        return 0
    }
    if again != message {
        fatalError(
            "decode(encode(m)) != m\ninput: \(hex(bytes))\nencoded: \(hex(encoded))\nfirst: \(message)\nsecond: \(again)")
    }
    // Encoding is a function of the message: the same message must give the same bytes.
    let reencoded = again.encode()
    if reencoded != encoded {
        fatalError("encoding is not stable\ninput: \(hex(bytes))\nfirst: \(hex(encoded))\nsecond: \(hex(reencoded))")
    }
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
    // libFuzzer passes a real buffer even for empty input; a null one would only ever mean size 0.
    guard let data else { return 0 }
    return LLVMFuzzerTestOneInput(data, size)
})
