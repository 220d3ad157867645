import Foundation

/// Configuration files for NSD, Knot and BIND as secondaries of one of our servers: loopback only, all
/// state in the test's directory, TSIG (when given) on transfers and NOTIFY, transfers out allowed to
/// loopback so the test can read the secondary's copy back.
public enum SecondaryConfig {
    public struct Key: Sendable {
        public var name: String
        /// As all three spell it: hmac-sha256, ...
        public var algorithm: String
        public var secret: String

        public init(name: String, algorithm: String = "hmac-sha256", secret: String) {
            self.name = name
            self.algorithm = algorithm
            self.secret = secret
        }
    }

    /// The secondary listens on `address`:`port` and asks the primary from `address`, so each
    /// secondary is a host of its own to the primary's ACL. BIND listens only on addresses of an
    /// interface: give it 127.0.0.1 (Linux routes all of 127/8 to lo, but only .1 is on it).
    public struct Setup: Sendable {
        public var directory: String
        public var address: String
        public var port: Int
        /// The zone, without its trailing dot.
        public var zone: String
        public var primaryPort: Int
        public var key: Key?

        public init(directory: String, address: String, port: Int, zone: String, primaryPort: Int, key: Key?) {
            self.directory = directory
            self.address = address
            self.port = port
            self.zone = zone
            self.primaryPort = primaryPort
            self.key = key
        }
    }

    public static func nsd(_ setup: Setup, verbosity: Int = 2) -> String {
        let keyName = setup.key?.name ?? "NOKEY"
        let keySection = setup.key.map { "key:\n    name: \"\($0.name)\"\n    algorithm: \($0.algorithm)\n    secret: \"\($0.secret)\"\n" } ?? ""
        return """
            \(NSDConfig.server(directory: setup.directory, port: setup.port, verbosity: verbosity)
                .replacingOccurrences(of: "ip-address: 127.0.0.1", with: "ip-address: \(setup.address)"))
            \(keySection)zone:
                name: "\(setup.zone)"
                zonefile: "\(setup.zone).zone"
                request-xfr: 127.0.0.1@\(setup.primaryPort) \(keyName)
                outgoing-interface: \(setup.address)
                allow-notify: 127.0.0.0/8 \(keyName)
                provide-xfr: 127.0.0.0/8 NOKEY

            """
    }

    /// The `server`, `control`, `log` and `database` sections every Knot the tests start shares: one
    /// worker of each kind (they are small zones), logging to stderr, state in `directory`.
    public static func knotServer(directory dir: String, address: String, port: Int, backgroundWorkers: Int = 1) -> String {
        """
        server:
            rundir: "\(dir)"
            listen: \(address)@\(port)
            udp-workers: 1
            tcp-workers: 1
            background-workers: \(backgroundWorkers)
        control:
            listen: "\(dir)/knot.sock"
        log:
          - target: stderr
            any: info
        database:
            storage: "\(dir)"

        """
    }

    public static func knot(_ setup: Setup) -> String {
        let dir = setup.directory
        let keySection = setup.key.map { "key:\n  - id: \($0.name)\n    algorithm: \($0.algorithm)\n    secret: \($0.secret)\n" } ?? ""
        let keyLine = setup.key.map { "\n    key: \($0.name)" } ?? ""
        return knotServer(directory: dir, address: setup.address, port: setup.port) + """
            \(keySection)remote:
              - id: primary
                address: 127.0.0.1@\(setup.primaryPort)
                via: \(setup.address)\(keyLine)
            acl:
              - id: notify_from_primary
                address: 127.0.0.0/8\(keyLine)
                action: notify
              - id: local_transfer
                address: 127.0.0.0/8
                action: transfer
            template:
              - id: default
                storage: "\(dir)"
                zonefile-sync: -1
            zone:
              - domain: \(setup.zone)
                master: primary
                acl: [notify_from_primary, local_transfer]

            """
    }

    /// The `options` block and the empty `controls` every BIND the tests start shares: its files in
    /// `directory`, one address and port, no recursion, validation or NOTIFY of its own; `extra` lines
    /// (each a whole statement, `;` included) go inside `options`.
    public static func bindOptions(directory dir: String, address: String = "127.0.0.1", port: Int, extra: [String] = []) -> String {
        """
        options {
            directory "\(dir)";
            pid-file "\(dir)/named.pid";
            session-keyfile "\(dir)/session.key";
            managed-keys-directory "\(dir)";
            listen-on port \(port) { \(address); };
            listen-on-v6 { none; };
            recursion no;
            dnssec-validation no;
            notify no;
        \(extra.map { "    " + $0 + "\n" }.joined())};
        controls { };

        """
    }

    public static func bind(_ setup: Setup) -> String {
        let keySection = setup.key.map { "key \"\($0.name)\" {\n    algorithm \($0.algorithm);\n    secret \"\($0.secret)\";\n};\n" } ?? ""
        let keyClause = setup.key.map { " key \"\($0.name)\"" } ?? ""
        return bindOptions(directory: setup.directory, address: setup.address, port: setup.port, extra: [
            "allow-transfer { 127.0.0.0/8; };", "transfer-source \(setup.address);", "notify-source \(setup.address);",
        ]) + """
            \(keySection)zone "\(setup.zone)" {
                type secondary;
                primaries { 127.0.0.1 port \(setup.primaryPort)\(keyClause); };
                file "\(setup.zone).db";
                masterfile-format text;
                allow-notify { 127.0.0.0/8; };
            };

            """
    }
}
