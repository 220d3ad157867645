import Foundation

/// A TCP socket listening on 127.0.0.1:`port` that never accepts: connections complete in the kernel's
/// backlog and whatever is sent there is never answered. Plays a primary that hangs mid-transfer.
public final class SilentTCPListener {
    public let descriptor: Int32

    public init(port: UInt16) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketFailure("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(port.bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard bound, listen(fd, 128) == 0 else {
            close(fd)
            throw SocketFailure("listening on TCP 127.0.0.1:\(port) failed: errno \(errno)")
        }
        descriptor = fd
    }

    deinit { close(descriptor) }
}
