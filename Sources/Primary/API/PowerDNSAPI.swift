import DaemonKit
import DNSCore
import Foundation
import Logging

/// A compatible subset of the PowerDNS Authoritative HTTP API (v1) over the primary's store, so the tools
/// that drive a hidden PowerDNS (octoDNS, external-dns, Terraform's provider, scripts) drive dns-primary
/// unchanged. Exactly what is served is in docs/API.md; everything else is answered with PowerDNS's
/// error form, `{"error": "..."}`, and the status PowerDNS would use.
///
/// Every write goes through the store's own edits (the checks and the one-transaction commit with a
/// serial increase the CLI uses), so a refused request changes nothing and the running daemon serves and
/// NOTIFYs an accepted one as it does a CLI edit. Keys: `X-API-Key`, checked against the SHA-256 digests
/// `dns-primary api-key add` stored; a key limited to some zones sees and changes only those.
struct PowerDNSAPI: Sendable {
    let store: PrimaryStore
    let logger: Logger
    var clock: @Sendable () -> Date = { Date() }

    static let serverID = "localhost"

    init(store: PrimaryStore, logger: Logger = Logger(label: "countersign.api")) {
        self.store = store
        self.logger = logger
    }

    func handle(_ request: APIRequest) -> APIResponse {
        var key: APIKeyEntry?
        let response: APIResponse
        do {
            key = try authenticate(request)
            response = try route(request, key: key!)
        } catch let error as PowerDNSAPIError {
            response = error.response
        } catch {
            response = .error(500, "internal error: \(error)")
        }
        let metadata: Logger.Metadata = [
            "method": "\(request.method)", "path": "\(request.path)", "status": "\(response.status)",
            "key": "\(key?.name ?? "none")", "peer": "\(request.peer.map(\.description) ?? "?")",
            "reason": "\(response.status < 400 ? "done" : String(decoding: response.body, as: UTF8.self))",
        ]
        if response.status < 400 || response.status == 404 {
            logger.info("api request", metadata: metadata)
        } else {
            logger.notice("api request refused", metadata: metadata)
        }
        return response
    }

    private func authenticate(_ request: APIRequest) throws -> APIKeyEntry {
        guard let secret = request.headers["x-api-key"], !secret.isEmpty else {
            throw PowerDNSAPIError(401, "Unauthorized: no X-API-Key header")
        }
        guard let key = try store.apiKey(secret: secret) else {
            throw PowerDNSAPIError(401, "Unauthorized: unknown API key")
        }
        return key
    }

    // MARK: Routing

    private func route(_ request: APIRequest, key: APIKeyEntry) throws -> APIResponse {
        let parts = request.path.split(separator: "/").map { Self.decodedPathPart(String($0)) }
        let method = request.method
        func only(_ allowed: String...) throws {
            guard allowed.contains(method) else { throw PowerDNSAPIError(405, "Method Not Allowed: \(method) \(request.path)") }
        }
        switch parts.count {
        case 1 where parts[0] == "api":
            try only("GET")
            return try Self.json(200, [["url": "/api/v1", "version": 1] as [String: AnyEncodable]])
        case 3 where parts[0...2] == ["api", "v1", "servers"]:
            try only("GET")
            return try Self.json(200, [PowerDNSJSON.Server()])
        default:
            break
        }
        guard parts.count >= 4, parts[0...2] == ["api", "v1", "servers"] else { throw PowerDNSAPIError.notFound() }
        guard parts[3] == Self.serverID else { throw PowerDNSAPIError.notFound("Not Found: no server '\(parts[3])'") }
        let rest = Array(parts.dropFirst(4))
        switch rest.count {
        case 0:
            try only("GET")
            return try Self.json(200, PowerDNSJSON.Server())
        case 1 where rest[0] == "config":
            try only("GET")
            return try Self.json(200, [PowerDNSJSON.Record]())
        case 1 where rest[0] == "zones":
            try only("GET", "POST")
            return method == "GET" ? try listZones(request, key: key) : try createZone(request, key: key)
        case 2 where rest[0] == "zones":
            try only("GET", "PATCH", "DELETE", "PUT")
            let origin = try zone(rest[1], key: key)
            switch method {
            case "GET": return try getZone(origin, request)
            case "PATCH": return try patchZone(origin, request)
            case "DELETE": return try deleteZone(origin)
            default:
                throw PowerDNSAPIError.unprocessable(
                    "changing zone metadata (PUT) is not supported; use 'dns-primary zone set' (see docs/API.md)")
            }
        case 3 where rest[0] == "zones" && rest[2] == "notify":
            try only("PUT")
            let origin = try zone(rest[1], key: key)
            _ = try summary(origin)
            return try Self.json(200, ["result": "NOTIFY goes out on every new version of \(origin.text); nothing to queue"])
        default:
            throw PowerDNSAPIError.notFound()
        }
    }

    /// The zone named by a path's zone id (`example.com.`, with PowerDNS's `=2F` or `%2F` escapes),
    /// when the key may use it.
    private func zone(_ id: String, key: APIKeyEntry) throws -> DomainName {
        let origin: DomainName
        do { origin = try PrimaryStore.zoneName(id) } catch {
            throw PowerDNSAPIError.notFound("Could not find domain '\(id)'")
        }
        guard key.allows(zone: origin.text) else {
            throw PowerDNSAPIError(403, "API key '\(key.name)' may not use zone \(origin.text)")
        }
        return origin
    }

    func summary(_ origin: DomainName) throws -> ZoneSummary {
        do { return try store.zone(origin.text) } catch let error as StoreError where error.kind == .unknownZone {
            throw PowerDNSAPIError.notFound("Could not find domain '\(origin.text)'")
        }
    }

    /// Path parts are percent-decoded and, as PowerDNS does for zone ids, `=XX`-decoded.
    static func decodedPathPart(_ text: String) -> String {
        APIRequest.percentDecoded(APIRequest.percentDecoded(text).replacingOccurrences(of: "=", with: "%"))
    }

    // MARK: JSON

    static func json<T: Encodable>(_ status: Int, _ value: T) throws -> APIResponse {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return APIResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(try encoder.encode(value)))
    }

    /// Reads a request body: unparseable JSON is 400, JSON of the wrong shape 422, both saying where.
    static func decode<T: Decodable>(_ type: T.Type, _ body: [UInt8]) throws -> T {
        guard !body.isEmpty else { throw PowerDNSAPIError(400, "the request needs a JSON body") }
        do {
            return try JSONDecoder().decode(type, from: Data(body))
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            throw PowerDNSAPIError(400, "the body is not valid JSON: \(context.debugDescription)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw PowerDNSAPIError.unprocessable("missing field '\(path(context.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw PowerDNSAPIError.unprocessable("field '\(path(context.codingPath))' has the wrong type: \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw PowerDNSAPIError.unprocessable("field '\(path(context.codingPath))' is null")
        } catch let DecodingError.dataCorrupted(context) {
            throw PowerDNSAPIError.unprocessable("field '\(path(context.codingPath))': \(context.debugDescription)")
        } catch {
            throw PowerDNSAPIError(400, "the body is not valid JSON: \(error)")
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().drop(while: { $0 == "." }).description
    }
}

/// A JSON value of mixed type, for the few literal objects the API answers with.
struct AnyEncodable: Encodable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    let encodeValue: @Sendable (inout SingleValueEncodingContainer) throws -> Void
    init(stringLiteral value: String) { encodeValue = { try $0.encode(value) } }
    init(integerLiteral value: Int) { encodeValue = { try $0.encode(value) } }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try encodeValue(&container)
    }
}
