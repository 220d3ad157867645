extension TSIGKey {
    /// Reads every key in `text`, which may hold BIND `key "name" { algorithm ...; secret "..."; };`
    /// statements (from `tsig-keygen` or named.conf) or Knot's YAML (`keymgr -t`: `- id:`,
    /// `algorithm:`, `secret:`). Unknown statements between keys are skipped.
    public static func parseConfiguration(_ text: String) throws(TSIGError) -> [TSIGKey] {
        if text.contains("{") { return try parseBIND(text) }
        return try parseKnotYAML(text)
    }

    static func parseBIND(_ text: String) throws(TSIGError) -> [TSIGKey] {
        let tokens = bindTokens(text)
        var keys: [TSIGKey] = []
        var i = 0
        while i < tokens.count {
            guard tokens[i] == "key", i + 2 < tokens.count, tokens[i + 2] == "{" else {
                i += 1
                continue
            }
            let name = tokens[i + 1]
            var algorithm: TSIGAlgorithm? = nil
            var secret: String? = nil
            i += 3
            while i < tokens.count, tokens[i] != "}" {
                let clause = tokens[i]
                if i + 1 < tokens.count, tokens[i + 1] != ";" {
                    if clause == "algorithm" {
                        guard let parsed = TSIGAlgorithm(mnemonic: tokens[i + 1]) else {
                            throw .invalidKey("key \(name): unknown algorithm \(tokens[i + 1])")
                        }
                        algorithm = parsed
                    } else if clause == "secret" {
                        secret = tokens[i + 1]
                    }
                }
                while i < tokens.count, tokens[i] != ";", tokens[i] != "}" { i += 1 }
                if i < tokens.count, tokens[i] == ";" { i += 1 }
            }
            guard let secret else { throw .invalidKey("key \(name) has no secret") }
            keys.append(try TSIGKey(name: name, algorithm: algorithm ?? .hmacSHA256, base64Secret: secret))
            i += 1
        }
        return keys
    }

    /// Words, quoted strings (quotes removed), `{`, `}` and `;`; comments (`#`, `//`, `/* */`) dropped.
    static func bindTokens(_ text: String) -> [String] {
        var tokens: [String] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
            } else if c == "#" || (c == "/" && i + 1 < chars.count && chars[i + 1] == "/") {
                while i < chars.count, !chars[i].isNewline { i += 1 }
            } else if c == "/" && i + 1 < chars.count && chars[i + 1] == "*" {
                i += 2
                while i + 1 < chars.count, !(chars[i] == "*" && chars[i + 1] == "/") { i += 1 }
                i += 2
            } else if c == "{" || c == "}" || c == ";" {
                tokens.append(String(c))
                i += 1
            } else if c == "\"" {
                var j = i + 1
                while j < chars.count, chars[j] != "\"" { j += 1 }
                tokens.append(String(chars[(i + 1)..<min(j, chars.count)]))
                i = j + 1
            } else {
                var j = i
                while j < chars.count, !chars[j].isWhitespace, !"{};\"".contains(chars[j]) { j += 1 }
                tokens.append(String(chars[i..<j]))
                i = j
            }
        }
        return tokens
    }

    static func parseKnotYAML(_ text: String) throws(TSIGError) -> [TSIGKey] {
        var keys: [TSIGKey] = []
        var current: [String: String] = [:]
        func flush() throws(TSIGError) {
            defer { current = [:] }
            guard let id = current["id"] else { return }
            guard let secret = current["secret"] else { throw .invalidKey("key \(id) has no secret") }
            var algorithm = TSIGAlgorithm.hmacSHA256
            if let text = current["algorithm"] {
                guard let parsed = TSIGAlgorithm(mnemonic: text) else {
                    throw .invalidKey("key \(id): unknown algorithm \(text)")
                }
                algorithm = parsed
            }
            keys.append(try TSIGKey(name: id, algorithm: algorithm, base64Secret: secret))
        }
        for rawLine in text.split(whereSeparator: \.isNewline) {
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            var content = line.drop(while: { $0 == " " || $0 == "\t" })
            let startsItem = content.hasPrefix("- ")
            if startsItem { content = content.dropFirst(2).drop(while: { $0 == " " }) }
            guard let colon = content.firstIndex(of: ":") else { continue }
            let field = String(content[..<colon])
            var value = String(content[content.index(after: colon)...]).strippingEdges(of: " \t\r\"'")
            if field == "id" && !startsItem && current["id"] != nil || startsItem { try flush() }
            if value.isEmpty { continue }
            if field == "id" || field == "algorithm" || field == "secret" {
                value = value.strippingEdges(of: " \t\r\"'")
                current[field] = value
            }
        }
        try flush()
        return keys
    }
}

extension String {
    fileprivate func strippingEdges(of set: String) -> String {
        let drop: (Character) -> Bool = { set.contains($0) }
        return String(String(self.drop(while: drop).reversed().drop(while: drop)).reversed())
    }
}
