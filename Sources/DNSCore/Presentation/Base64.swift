/// Base64 (RFC 4648 §4) for keys, signatures and TSIG secrets; decoding ignores no junk.
public enum Base64 {
    static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let reverse: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    public static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let b0 = iterator.next() {
            let b1 = iterator.next()
            let b2 = iterator.next()
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | (b1 ?? 0) >> 4)])
            out.append(b1.map { alphabet[Int(($0 & 0x0F) << 2 | (b2 ?? 0) >> 6)] } ?? UInt8(ascii: "="))
            out.append(b2.map { alphabet[Int($0 & 0x3F)] } ?? UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        var i = text.startIndex
        while i < text.endIndex {
            let pad = (text[i + 3] == UInt8(ascii: "=") ? 1 : 0) + (text[i + 2] == UInt8(ascii: "=") ? 1 : 0)
            guard pad == 0 || i + 4 == text.endIndex else { return nil }
            if pad == 2 && text[i + 3] != UInt8(ascii: "=") { return nil }
            var quad: UInt32 = 0
            for k in 0..<(4 - pad) {
                let v = reverse[Int(text[i + k])]
                guard v != 0xFF else { return nil }
                quad |= UInt32(v) << UInt32(18 - 6 * k)
            }
            out.append(UInt8(quad >> 16))
            if pad < 2 { out.append(UInt8((quad >> 8) & 0xFF)) }
            if pad < 1 { out.append(UInt8(quad & 0xFF)) }
            i += 4
        }
        return out
    }

    public static func decode(_ text: String) -> [UInt8]? { decode(Array(text.utf8)[...]) }
}
