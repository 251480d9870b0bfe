import LedgerCLI
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection that is opened and then left alone: what an idle kiosk looks like to the
/// server. Used by `bench --idle-connections` to measure the server's memory per connection.
final class IdleSocket {
    private let descriptor: Int32

    init(host: String, port: Int) throws {
        descriptor = try Self.connect(host: host, port: port)
    }

    func close() {
        Glibc.close(descriptor)
    }

    /// A connected IPv4 TCP socket (blocking), with Nagle's delay off.
    static func connect(host: String, port: Int) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw CLIFailure.message("socket() failed: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            Glibc.close(descriptor)
            throw CLIFailure.message("the load generator needs an IPv4 --host")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            Glibc.close(descriptor)
            throw CLIFailure.message("connect() failed: \(reason)")
        }
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        return descriptor
    }
}
