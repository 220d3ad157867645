extension ServiceBindingRData {
    public init(wire reader: inout WireReader) throws(WireError) {
        let priority = try reader.readUInt16("\(Self.recordType) priority")
        let target = try reader.readName()
        var params: [SvcParam] = []
        while !reader.isAtEnd {
            let key = try reader.readUInt16("SvcParamKey")
            let length = Int(try reader.readUInt16("SvcParam length"))
            let value = try reader.readBytes(length, "SvcParamValue")
            if let last = params.last, key <= last.key {
                throw .invalidValue(type: Self.recordType, field: "SvcParams", reason: "key \(key) not in increasing order")
            }
            if let reason = Self.validate(key: key, value: value) {
                throw .invalidValue(type: Self.recordType, field: SvcParam.name(of: key), reason: reason)
            }
            params.append(SvcParam(key: key, value: value))
        }
        self.init(priority: priority, target: target, params: params)
    }

    public func encode(to writer: inout WireWriter, canonical: Bool) {
        writer.write(priority)
        writer.write(target)
        for param in params {
            writer.write(param.key)
            writer.write(UInt16(param.value.count))
            writer.write(bytes: param.value)
        }
    }

    /// Why a wire value is not allowed for its key (RFC 9460 §7), or nil.
    static func validate(key: UInt16, value: [UInt8]) -> String? {
        switch key {
        case 0: value.isEmpty || value.count % 2 != 0 ? "must list key numbers" : nil
        case 1: alpnIDs(value) == nil ? "must be a non-empty list of non-empty protocol ids" : nil
        case 2: value.isEmpty ? nil : "takes no value"
        case 3: value.count == 2 ? nil : "must be a 16-bit port"
        case 4: !value.isEmpty && value.count % 4 == 0 ? nil : "must list IPv4 addresses"
        case 6: !value.isEmpty && value.count % 16 == 0 ? nil : "must list IPv6 addresses"
        default: nil
        }
    }

    static func alpnIDs(_ value: [UInt8]) -> [[UInt8]]? {
        var reader = WireReader(value)
        var ids: [[UInt8]] = []
        while !reader.isAtEnd {
            guard let id = try? reader.readCharacterString(), !id.isEmpty else { return nil }
            ids.append(id)
        }
        return ids.isEmpty ? nil : ids
    }

    public init(presentation parser: inout RDataParser) throws(ZoneFileError) {
        let priority = try parser.uint16("priority")
        let target = try parser.name("target")
        var params: [SvcParam] = []
        while !parser.isAtEnd {
            let token = try parser.next("SvcParam")
            let raw = Array(token.text)
            let equals = raw.firstIndex(of: UInt8(ascii: "="))
            let name = String(decoding: raw[..<(equals ?? raw.endIndex)], as: UTF8.self)
            guard let key = SvcParam.key(named: name) else {
                throw parser.invalid("SvcParam", "unknown key \"\(name)\"", at: token)
            }
            var valueText = equals.map { raw[($0 + 1)...] } ?? []
            // `key="quoted value"`: the lexer hands the quoted part over as the next token.
            if let equals, equals == raw.endIndex - 1, let quoted = parser.peek(), quoted.quoted {
                valueText = try parser.next(name).text
            }
            if valueText.count >= 2, valueText.first == UInt8(ascii: "\""), valueText.last == UInt8(ascii: "\"") {
                valueText = valueText.dropFirst().dropLast()
            }
            guard let value = Self.wireValue(key: key, text: valueText) else {
                throw parser.invalid(name, "bad value \"\(String(decoding: valueText, as: UTF8.self))\"", at: token)
            }
            if let reason = Self.validate(key: key, value: value) { throw parser.invalid(name, reason, at: token) }
            params.append(SvcParam(key: key, value: value))
        }
        params.sort { $0.key < $1.key }
        for (a, b) in zip(params, params.dropFirst()) where a.key == b.key {
            throw parser.invalid("SvcParams", "key \(SvcParam.name(of: a.key)) appears twice", at: nil)
        }
        self.init(priority: priority, target: target, params: params)
    }

    /// Converts a presentation value to wire form; nil when it does not parse.
    static func wireValue(key: UInt16, text: ArraySlice<UInt8>) -> [UInt8]? {
        let items = splitValueList(text)
        switch key {
        case 0:
            guard let items else { return nil }
            var out: [UInt8] = []
            for item in items {
                guard let k = SvcParam.key(named: String(decoding: item, as: UTF8.self)) else { return nil }
                out += [UInt8(k >> 8), UInt8(k & 0xFF)]
            }
            return out
        case 1:
            guard let items, items.allSatisfy({ !$0.isEmpty && $0.count <= 255 }) else { return nil }
            return items.flatMap { [UInt8($0.count)] + $0 }
        case 2: return text.isEmpty ? [] : nil
        case 3:
            guard let port = UInt16(String(decoding: text, as: UTF8.self)) else { return nil }
            return [UInt8(port >> 8), UInt8(port & 0xFF)]
        case 4:
            guard let items else { return nil }
            var out: [UInt8] = []
            for item in items {
                guard let address = IPv4Address(String(decoding: item, as: UTF8.self)) else { return nil }
                out += address.bytes
            }
            return out
        case 5: return Base64.decode(text)
        case 6:
            guard let items else { return nil }
            var out: [UInt8] = []
            for item in items {
                guard let address = IPv6Address(String(decoding: item, as: UTF8.self)) else { return nil }
                out += address.bytes
            }
            return out
        default: return Token(text: text).unescaped()
        }
    }

    /// Splits a comma-separated value list (RFC 9460 Appendix A.1): the character-string escapes are
    /// undone first, then `\,` and `\\` protect commas and backslashes inside one item.
    static func splitValueList(_ text: ArraySlice<UInt8>) -> [[UInt8]]? {
        guard let bytes = Token(text: text).unescaped() else { return nil }
        var items: [[UInt8]] = [[]]
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: ",") {
                items.append([])
            } else if c == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else { return nil }
                items[items.count - 1].append(bytes[i])
            } else {
                items[items.count - 1].append(c)
            }
            i += 1
        }
        return items
    }

    public var presentation: String {
        var parts = ["\(priority)", target.text]
        for param in params {
            let name = SvcParam.name(of: param.key)
            switch param.key {
            case 0:
                let keys = stride(from: 0, to: param.value.count, by: 2).map {
                    SvcParam.name(of: UInt16(param.value[$0]) << 8 | UInt16(param.value[$0 + 1]))
                }
                parts.append("\(name)=\(keys.joined(separator: ","))")
            case 1:
                // Value-list escapes first (`\` and `,` inside an id), then character-string quoting
                // (RFC 9460 Appendix A.1): an id `a,b` prints as `a\\,b`, an id `a\b` as `a\\\\b`.
                let ids = (Self.alpnIDs(param.value) ?? []).map { id in
                    var escaped: [UInt8] = []
                    for byte in id {
                        if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\\") { escaped.append(UInt8(ascii: "\\")) }
                        escaped.append(byte)
                    }
                    return CharacterString.quoted(escaped).dropFirst().dropLast()
                }
                parts.append("\(name)=\"\(ids.joined(separator: ","))\"")
            case 2: parts.append(name)
            case 3: parts.append("\(name)=\(UInt16(param.value[0]) << 8 | UInt16(param.value[1]))")
            case 4:
                let addresses = stride(from: 0, to: param.value.count, by: 4).map {
                    IPv4Address(bytes: Array(param.value[$0..<($0 + 4)]))!.description
                }
                parts.append("\(name)=\(addresses.joined(separator: ","))")
            case 5: parts.append("\(name)=\(Base64.encode(param.value))")
            case 6:
                let addresses = stride(from: 0, to: param.value.count, by: 16).map {
                    IPv6Address(bytes: Array(param.value[$0..<($0 + 16)]))!.description
                }
                parts.append("\(name)=\(addresses.joined(separator: ","))")
            default: parts.append("\(name)=\(CharacterString.quoted(param.value))")
            }
        }
        return parts.joined(separator: " ")
    }
}
