/// One whitespace-separated field of presentation input.
///
/// `text` keeps backslash escapes as written (a name's `\.` differs from `.`); surrounding quotes are
/// removed and recorded in `quoted`.
public struct Token: Sendable, Equatable {
    public var text: ArraySlice<UInt8>
    public var quoted: Bool
    public var line: Int
    public var column: Int

    public init(text: ArraySlice<UInt8>, quoted: Bool = false, line: Int = 1, column: Int = 1) {
        self.text = text
        self.quoted = quoted
        self.line = line
        self.column = column
    }

    public var string: String { String(decoding: text, as: UTF8.self) }

    /// Case-insensitive comparison with an ASCII keyword (for `IN`, `$TTL` and the like).
    func matches(_ keyword: StaticString) -> Bool {
        guard !quoted, text.count == keyword.utf8CodeUnitCount else { return false }
        return keyword.withUTF8Buffer { buffer in
            zip(text, buffer).allSatisfy { a, b in (a >= 0x61 && a <= 0x7A ? a - 0x20 : a) == b }
        }
    }

    /// The bytes a `<character-string>` stands for: `\X` → X, `\DDD` → byte DDD.
    public func unescaped() -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                i += 1
                continue
            }
            i += 1
            guard i < text.endIndex else { return nil }
            if DomainName.isDigit(text[i]) {
                guard i + 2 < text.endIndex, DomainName.isDigit(text[i + 1]), DomainName.isDigit(text[i + 2]) else {
                    return nil
                }
                let value = Int(text[i] - 48) * 100 + Int(text[i + 1] - 48) * 10 + Int(text[i + 2] - 48)
                guard value <= 255 else { return nil }
                out.append(UInt8(value))
                i += 3
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return out
    }
}
