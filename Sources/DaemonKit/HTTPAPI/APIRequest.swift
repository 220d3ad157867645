import DNSEdge

/// One HTTP request to a daemon's JSON API, read whole (its body within the server's limit).
package struct APIRequest: Sendable {
    package var method: String
    /// The path, percent-decoding left to the handler (zone ids may hold escaped characters).
    package var path: String
    /// Query parameters, decoded; a name given twice keeps the last value.
    package var query: [String: String]
    /// Header names lowercased; a header given twice keeps the last value.
    package var headers: [String: String]
    package var body: [UInt8]
    package var peer: PeerAddress?

    package init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
                 body: [UInt8] = [], peer: PeerAddress? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.peer = peer
    }

    /// Splits `/a/b?x=1&y=2` into the path and its decoded query.
    package static func split(uri: String) -> (path: String, query: [String: String]) {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = percentDecoded(String(kv[0]), plusIsSpace: true)
                query[name] = kv.count == 2 ? percentDecoded(String(kv[1]), plusIsSpace: true) : ""
            }
        }
        return (String(parts[0]), query)
    }

    /// `%2F` → `/`; a malformed escape is kept as written.
    package static func percentDecoded(_ text: String, plusIsSpace: Bool = false) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            let byte = utf8[index]
            if byte == UInt8(ascii: "%"), index + 2 < utf8.count,
               let value = UInt8(String(decoding: utf8[(index + 1)...(index + 2)], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The answer to an `APIRequest`: status, extra headers and a body (JSON unless said otherwise).
package struct APIResponse: Sendable {
    package var status: Int
    package var headers: [(String, String)]
    package var body: [UInt8]

    package init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// `{"error": message}` — the form PowerDNS and most JSON APIs use for every failure.
    package static func error(_ status: Int, _ message: String) -> APIResponse {
        APIResponse(status: status, headers: [("Content-Type", "application/json")],
                    body: Array("{\"error\":\(jsonString(message))}".utf8))
    }

    /// A JSON string literal, escaped per RFC 8259 §7.
    package static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
