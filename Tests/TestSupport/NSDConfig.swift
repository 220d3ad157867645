/// The `server:` and `remote-control:` sections every NSD a test starts shares: loopback only, all state in
/// the test's directory, one server process, not daemonised or chrooted.
public enum NSDConfig {
    public static func server(directory dir: String, port: Int, verbosity: Int) -> String {
        """
        server:
            ip-address: 127.0.0.1
            port: \(port)
            zonesdir: "\(dir)"
            xfrdfile: "\(dir)/xfrd.state"
            xfrdir: "\(dir)"
            pidfile: "\(dir)/nsd.pid"
            database: ""
            zonelistfile: "\(dir)/zone.list"
            username: ""
            chroot: ""
            server-count: 1
            verbosity: \(verbosity)
        remote-control:
            control-enable: no
        """
    }
}
