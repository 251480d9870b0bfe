import LedgerCLI
import LedgerWire
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to ecoledgerd driven by blocking system calls from one thread: one
/// `write` per batch of requests, `read`s into one buffer, no event loop and no task between
/// the socket and the worker. The load generator uses it so that on two cores it costs less
/// per request than the server it measures (`LedgerConnection`, for TLS, hops between threads
/// for every reply).
final class LineSocket {
    private let descriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var start = 0
    private var end = 0
    private var pending: [UInt8] = []

    init(host: String, port: Int) throws {
        descriptor = try IdleSocket.connect(host: host, port: port)
    }

    deinit {
        Glibc.close(descriptor)
    }

    /// Queues one request line (an LF is added); `flush` sends what is queued.
    func send(_ line: String) {
        pending.append(contentsOf: line.utf8)
        pending.append(UInt8(ascii: "\n"))
    }

    func flush() throws {
        var sent = 0
        while sent < pending.count {
            let written = pending.withUnsafeBytes { write(descriptor, $0.baseAddress! + sent, $0.count - sent) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw CLIFailure.message("write failed: \(String(cString: strerror(errno)))") }
            sent += written
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// The next reply's lines (without CRLF), or nil when the server has closed the connection.
    func readReply() throws -> [String]? {
        guard let first = try readLine() else { return nil }
        guard let count = LedgerConnection.listCount(first) else { return [first] }
        guard count <= LedgerConnection.maxListLines else { throw CLIFailure.message("a reply announced \(count) lines") }
        var lines = [first]
        for _ in 0..<count {
            guard let line = try readLine() else { throw LedgerConnection.ConnectionClosed() }
            lines.append(line)
        }
        return lines
    }

    func call(_ line: String) throws -> [String] {
        send(line)
        try flush()
        guard let reply = try readReply() else { throw LedgerConnection.ConnectionClosed() }
        return reply
    }

    private func readLine() throws -> String? {
        while true {
            if let newline = buffer[start..<end].firstIndex(of: UInt8(ascii: "\n")) {
                var last = newline
                if last > start, buffer[last - 1] == UInt8(ascii: "\r") { last -= 1 }
                let line = String(decoding: buffer[start..<last], as: UTF8.self)
                start = newline + 1
                return line
            }
            if start > 0 {
                buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
                end -= start
                start = 0
            }
            if end == buffer.count { buffer.append(contentsOf: [UInt8](repeating: 0, count: buffer.count)) }
            let got = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + end, $0.count - end) }
            if got < 0, errno == EINTR { continue }
            guard got >= 0 else { throw CLIFailure.message("read failed: \(String(cString: strerror(errno)))") }
            if got == 0 { return nil }
            end += got
        }
    }
}
