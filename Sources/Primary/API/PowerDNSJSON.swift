/// The JSON objects of the PowerDNS Authoritative HTTP API (v1) that dns-primary reads and writes, with
/// PowerDNS's field names. Only the fields listed in docs/API.md are read; others are ignored, as
/// PowerDNS ignores what it does not know.
enum PowerDNSJSON {
    struct Record: Codable, Equatable {
        var content: String
        var disabled: Bool?
    }

    struct Comment: Codable, Equatable {
        var content: String?
        var account: String?
        var modified_at: Int?
    }

    struct RRset: Codable, Equatable {
        var name: String
        var type: String
        var ttl: UInt32?
        var changetype: String?
        var records: [Record]?
        var comments: [Comment]?
    }

    /// `PATCH /zones/{id}`.
    struct Patch: Codable {
        var rrsets: [RRset]
    }

    /// `POST /zones`.
    struct ZoneCreate: Codable {
        var name: String
        var kind: String?
        var nameservers: [String]?
        var rrsets: [RRset]?
        var masters: [String]?
        var dnssec: Bool?
        var presigned: Bool?
        var nsec3param: String?
    }

    /// A zone as `GET /zones` (without `rrsets`) and `GET /zones/{id}` answer it.
    struct Zone: Codable {
        var id: String
        var name: String
        var type = "Zone"
        var url: String
        var kind = "Master"
        var serial: UInt32
        var notified_serial: UInt32
        var edited_serial: UInt32
        var masters: [String] = []
        var dnssec = false
        var nsec3param = ""
        var nsec3narrow = false
        var presigned = false
        var soa_edit = ""
        var soa_edit_api = "DEFAULT"
        var api_rectify = false
        var account = ""
        var catalog = ""
        var master_tsig_key_ids: [String] = []
        var slave_tsig_key_ids: [String] = []
        var rrsets: [RRset]?
    }

    /// `GET /servers/localhost`.
    struct Server: Codable {
        var type = "Server"
        var id = "localhost"
        var daemon_type = "authoritative"
        /// PowerDNS clients read the first three numbers (octoDNS picks its API dialect by them): the
        /// dialect served is PowerDNS 4.9's.
        var version = "4.9.0-countersign"
        var url = "/api/v1/servers/localhost"
        var config_url = "/api/v1/servers/localhost/config{/config_setting}"
        var zones_url = "/api/v1/servers/localhost/zones{/zone}"
    }
}
