import ArgumentParser
import DNSCore
import DNSEdge
import Foundation

/// `dns-signer check-chain ZONE`: asks the parent zone's servers for the zone's DS and says plainly
/// whether the chain of trust is in place — the check the Route 53 seed did by hand with `dig DS` after
/// handing the registrar the DS. The judgement is DNSCore's `ChainOfTrust`; this command finds the keys
/// and the servers and asks.
struct CheckChainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-chain",
        abstract: "Check that the parent zone publishes a DS matching the zone's key-signing key.",
        discussion: """
            The parent's servers are found by looking up the parent zone's NS through the system resolver \
            (/etc/resolv.conf, or --resolver), unless --parent-server names them. Each is asked for ZONE DS \
            without recursion, and must answer authoritatively.

            Our keys come from the signer's database (--db), or from --keys DIR (a sign-zone key directory), \
            --dnskey FILE (DNSKEY records in zone-file form, e.g. a BIND .key file or dig output), or \
            --from-server ADDR (the DNSKEY RRset our server publishes).

            Exit status: 0 chain of trust established; 1 not established (no DS yet, a DS matching no key, \
            servers that disagree, no delegation); 2 could not check (no keys, no parent server answered).
            """)

    @Argument(help: "The zone, e.g. example.com.")
    var zone: String

    @Option(name: .customLong("parent-server"), help: "A server of the parent zone to ask, ADDR[:PORT] (default port 53). Repeatable.")
    var parentServers: [String] = []

    @Option(name: .long, help: "The signer's database (default: $DNS_SIGNER_DB or \(SignerStore.defaultPath)).")
    var db: String?

    @Option(name: .long, help: "Take the keys from this key directory (as sign-zone --keys) instead of the database.")
    var keys: String?

    @Option(name: .long, help: "Take the keys from this file of DNSKEY records instead of the database.")
    var dnskey: String?

    @Option(name: .customLong("from-server"), help: "Take the keys from the DNSKEY RRset this server (ADDR[:PORT]) publishes for the zone.")
    var fromServer: String?

    @Option(name: .long, help: "Resolver for finding the parent's servers, ADDR[:PORT] (default: /etc/resolv.conf). Repeatable.")
    var resolver: [String] = []

    @Option(name: .customLong("parent-port"), help: "Port to ask the parent's servers on when they were found by NS lookup.")
    var parentPort: Int = 53

    @Option(name: .long, help: "Longest wait for one answer, e.g. 2s, 500ms.")
    var timeout: String = "2s"

    func validate() throws {
        let sources = [db, keys, dnskey, fromServer].compactMap { $0 }
        if sources.count > 1 { throw ValidationError("give one source of keys: --db, --keys, --dnskey or --from-server") }
        if !(1...65535).contains(parentPort) { throw ValidationError("--parent-port \(parentPort) is not a port") }
    }

    func run() async throws {
        let origin: DomainName
        do { origin = try SignerStore.zoneName(zone) } catch { throw ValidationError("\(error)") }
        guard origin != .root else { throw ValidationError("the root zone has no parent") }
        let client = DNSQueryClient(timeout: try Self.duration(timeout))
        let chain: ChainOfTrust
        let servers: [(label: String, address: ListenAddress)]
        do {
            chain = ChainOfTrust(zone: origin, keys: try await loadKeys(origin, client: client))
            print("our KSK\(chain.ourTags.count == 1 ? "" : "s") for \(origin.text): "
                + (chain.ourTags.isEmpty ? "none" : chain.ourTags.map(String.init).joined(separator: ", ")))
            servers = try await parentServerList(origin, client: client)
        } catch let failure as SignerOptions.Failure {
            print("dns-signer: \(failure)")
            throw ExitCode(2)
        }

        let answers = await withTaskGroup(of: (Int, ParentDSAnswer).self) { group in
            for (index, server) in servers.enumerated() {
                group.addTask {
                    switch await client.query(origin, type: .DS, server: server.address) {
                    case .answer(let message): (index, ParentDSAnswer(response: message, zone: origin))
                    case .failed(let reason): (index, .unusable(reason))
                    }
                }
            }
            var answers = [ParentDSAnswer?](repeating: nil, count: servers.count)
            for await (index, answer) in group { answers[index] = answer }
            return answers.map { $0! }
        }
        for (server, answer) in zip(servers, answers) {
            print("\(server.label): \(chain.assess(answer))")
        }
        let verdict = chain.verdict(zip(servers, answers).map { (server: $0.label, answer: $1) })
        print(chain.conclusion(verdict))
        switch verdict {
        case .established: return
        case .noAnswer, .noKeys: throw ExitCode(2)
        default: throw ExitCode(1)
        }
    }

    // MARK: Keys

    /// Our zone keys from the chosen source; at least one.
    func loadKeys(_ origin: DomainName, client: DNSQueryClient) async throws -> [DNSKEY] {
        let found: [DNSKEY]
        let source: String
        if let dnskey {
            source = dnskey
            found = try Self.dnskeys(inFile: dnskey, zone: origin)
        } else if let fromServer {
            source = "the DNSKEY RRset at \(fromServer)"
            found = try await Self.dnskeys(from: try Self.address(fromServer, option: "--from-server"), zone: origin, client: client)
        } else if let keys {
            source = keys
            do {
                found = try KeyDirectory(path: keys, zone: origin).load().map(\.dnskey)
            } catch {
                throw SignerOptions.Failure("\(error)")
            }
        } else {
            let path = db ?? ProcessInfo.processInfo.environment["DNS_SIGNER_DB"] ?? SignerStore.defaultPath
            source = path
            // Opening creates a missing database; a check must not leave an empty one behind.
            guard FileManager.default.fileExists(atPath: path) else {
                throw SignerOptions.Failure("\(path): no signer database there (give --db, or the keys with --keys/--dnskey/--from-server)")
            }
            do {
                found = try SignerStore(path: path).liveKeys(zone: origin.text).map(\.dnskey)
            } catch {
                throw SignerOptions.Failure("\(error)")
            }
            if found.isEmpty { throw SignerOptions.Failure(KeysCommand.noKeys(origin) + " (database \(path))") }
        }
        guard !found.isEmpty else { throw SignerOptions.Failure("no DNSKEY for \(origin.text) in \(source)") }
        return found
    }

    /// The DNSKEY records for `zone` in a file in zone-file form (other records and other owners are
    /// ignored, so a whole zone file, a BIND `.key` file or `dig` output all do).
    static func dnskeys(inFile path: String, zone: DomainName) throws -> [DNSKEY] {
        do {
            var parser = ZoneFileParser(origin: zone, file: path, defaultTTL: 3600)
            return try parser.parse(try ZoneFiles.readText(path)).compactMap { record in
                guard record.name == zone, case .dnskey(let key) = record.rdata else { return nil }
                return key
            }
        } catch {
            throw SignerOptions.Failure("\(error)")
        }
    }

    /// The DNSKEY RRset `server` answers for `zone`.
    static func dnskeys(from server: ListenAddress, zone: DomainName, client: DNSQueryClient) async throws -> [DNSKEY] {
        switch await client.query(zone, type: .DNSKEY, server: server) {
        case .failed(let reason):
            throw SignerOptions.Failure("asking \(server) for \(zone.text) DNSKEY: \(reason)")
        case .answer(let message):
            guard message.rcode == .NOERROR else {
                throw SignerOptions.Failure("asking \(server) for \(zone.text) DNSKEY: answered \(message.rcode)")
            }
            return message.answers.compactMap { record in
                guard record.name == zone, case .dnskey(let key) = record.rdata else { return nil }
                return key
            }
        }
    }

    // MARK: Parent servers

    /// The servers to ask: those given, or the parent zone's name servers found through the resolver.
    func parentServerList(_ origin: DomainName, client: DNSQueryClient) async throws -> [(label: String, address: ListenAddress)] {
        if !parentServers.isEmpty {
            return try parentServers.map { text in
                let address = try Self.address(text, option: "--parent-server")
                return (address.description, address)
            }
        }
        let resolvers = try resolver.isEmpty ? DNSQueryClient.systemResolvers()
            : resolver.map { try Self.address($0, option: "--resolver") }
        guard !resolvers.isEmpty else {
            throw SignerOptions.Failure("no nameserver in /etc/resolv.conf to find the parent's servers; give --parent-server or --resolver")
        }
        let finder = ParentServerFinder(resolvers: resolvers, client: client)
        let (parent, servers) = try await finder.servers(of: origin, port: parentPort)
        print("parent zone \(parent.text): \(servers.count) server address\(servers.count == 1 ? "" : "es") "
            + "from its NS records (via \(resolvers.map(\.description).joined(separator: ", ")))")
        return servers
    }

    static func address(_ text: String, option: String) throws -> ListenAddress {
        do {
            return try ListenAddress(parsing: text)
        } catch {
            throw ValidationError("\(option) \(text): \(error)")
        }
    }

    static func duration(_ text: String) throws -> Duration {
        if text.hasSuffix("ms"), let value = Int(text.dropLast(2)), value > 0 { return .milliseconds(value) }
        if let seconds = TTLText.parse(text), seconds > 0 { return .seconds(Int(seconds)) }
        throw ValidationError("--timeout \(text): expected a duration like 2s or 500ms")
    }
}

/// Finds a zone's parent and the addresses of the parent's name servers by asking recursive
/// resolvers (RD set): the SOA that answers for the zone's parent name names the enclosing zone, its NS
/// records name the servers, and each server's A and AAAA records give the addresses.
struct ParentServerFinder {
    var resolvers: [ListenAddress]
    var client: DNSQueryClient

    func servers(of zone: DomainName, port: Int) async throws -> (parent: DomainName, servers: [(label: String, address: ListenAddress)]) {
        guard let above = zone.parent else { throw SignerOptions.Failure("the root zone has no parent") }
        let parent = try await enclosingZone(of: above)
        let nsAnswer = try await ask(parent, type: .NS)
        let targets = nsAnswer.answers.compactMap { record -> DomainName? in
            guard record.name == parent, case .ns(let ns) = record.rdata else { return nil }
            return ns.target
        }
        guard !targets.isEmpty else { throw SignerOptions.Failure("the resolver gave no NS records for \(parent.text)") }

        let lookup = UpstreamResolver(resolvers: resolvers, timeout: client.timeout, rounds: 1)
        var servers: [(label: String, address: ListenAddress)] = []
        var unresolved: [String] = []
        for target in Array(Set(targets)).sorted() {
            let results = await lookup.resolve(target)
            var addresses: [String] = []
            for family in [AliasAddressFamily.v4, .v6] {
                guard case .resolved(let found)? = results[family] else { continue }
                for rdata in found.rdatas {
                    switch rdata {
                    case .a(let a): addresses.append(a.address.description)
                    case .aaaa(let aaaa): addresses.append(aaaa.address.description)
                    default: break
                    }
                }
            }
            if addresses.isEmpty { unresolved.append(target.text) }
            for host in addresses {
                servers.append(("\(target.text) \(ListenAddress(host: host, port: port))", ListenAddress(host: host, port: port)))
            }
        }
        guard !servers.isEmpty else {
            throw SignerOptions.Failure("no address found for the servers of \(parent.text): \(unresolved.joined(separator: ", "))")
        }
        return (parent, servers)
    }

    /// The apex of the zone holding `name`: `name` itself when it has an SOA, else the owner of the SOA
    /// in the negative answer's authority section (RFC 2308 §3).
    func enclosingZone(of name: DomainName) async throws -> DomainName {
        let message = try await ask(name, type: .SOA)
        if message.answers.contains(where: { $0.name == name && $0.type == .SOA }) { return name }
        if let soa = message.authority.first(where: { $0.type == .SOA }), name.isSubdomain(of: soa.name) {
            return soa.name
        }
        throw SignerOptions.Failure("the resolver did not say which zone holds \(name.text) (no SOA in its answer)")
    }

    /// Asks the resolvers in turn; the first NOERROR or NXDOMAIN answer wins.
    func ask(_ name: DomainName, type: RecordType) async throws -> Message {
        var reasons: [String] = []
        for resolver in resolvers {
            switch await client.query(name, type: type, server: resolver, recursionDesired: true) {
            case .answer(let message) where message.rcode == .NOERROR || message.rcode == .NXDOMAIN:
                return message
            case .answer(let message):
                reasons.append("\(resolver): answered \(message.rcode)")
            case .failed(let reason):
                reasons.append("\(resolver): \(reason)")
            }
        }
        throw SignerOptions.Failure("looking up \(name.text) \(type): " + reasons.joined(separator: "; "))
    }
}
