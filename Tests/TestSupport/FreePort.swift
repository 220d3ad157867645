import Foundation

/// Ports for the servers a test starts on 127.0.0.1. Each port is free for UDP and TCP when it is handed
/// out, and none is handed out twice in one test run: a port taken from a socket that was closed at once
/// can otherwise come back on the next call, and two daemons of one test then race for it.
public enum FreePort {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var given: Set<Int> = []

    public static func next() throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        var held: [LoopbackUDPSocket] = []  // kept open while searching, so the kernel offers other ports
        for _ in 0..<64 {
            let socket = try LoopbackUDPSocket()
            held.append(socket)
            let port = Int(socket.port)
            if given.contains(port) || !tcpIsFree(port) { continue }
            given.insert(port)
            return port
        }
        throw SocketFailure("no free port on 127.0.0.1 after 64 tries")
    }

    /// Whether a TCP socket can bind 127.0.0.1:`port` now.
    static func tcpIsFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
