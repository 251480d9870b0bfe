import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client on a plain socket, for tests that must write and read at the same
/// time from different threads (one thread may write while another reads the same socket).
public final class RawClient: @unchecked Sendable {
    private let descriptor: Int32
    private var buffer: [UInt8] = []

    /// `receiveBuffer`: a small SO_RCVBUF makes a client that does not read stall sooner.
    /// `receiveTimeout`: seconds a read may wait (SO_RCVTIMEO); a read that times out ends as
    /// if the stream had ended, except for `waitForClose`, which tells them apart.
    public init(port: Int, receiveBuffer: Int32? = nil, receiveTimeout: Int? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        if let seconds = receiveTimeout {
            var limit = timeval(tv_sec: seconds, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect failed: \(errno)") }
    }

    deinit { close(descriptor) }

    /// Runs blocking socket work on a thread of its own, not on Swift's cooperative pool: a
    /// test whose server runs in the same process needs that pool (one thread per core) to
    /// answer, and two tests blocked in `read` on it would wait for each other for ever.
    public static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    public func write(_ text: String) throws {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { throw TestFailure("write failed: \(errno)") }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Shuts down the sending side (a half-close, as `printf … | nc` does at the end of its input).
    public func closeWriting() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Sends `line` over and over without ever reading, until the kernel refuses more
    /// (EAGAIN): the server has stopped reading because its replies cannot be written. Returns
    /// false if the connection failed first.
    public func floodUntilBlocked(_ line: String) -> Bool {
        let batch = Array(String(repeating: line + "\n", count: 1000).utf8)
        while true {
            var offset = 0
            while offset < batch.count {
                let sent = batch[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
                if sent < 0 { return errno == EAGAIN || errno == EWOULDBLOCK }
                offset += sent
            }
        }
    }

    /// The next line without its CRLF; nil at end of stream.
    public func readLine() throws -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeFirst(newline + 1)
                return line.hasSuffix("\r") ? String(line.dropLast()) : line
            }
            guard try fill() else { return nil }
        }
    }

    /// Everything until the server closes the connection.
    public func readToEnd() throws -> String {
        while try fill() {}
        defer { buffer.removeAll() }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Reads and drops whatever comes until the server closes the connection: true at end of
    /// stream, false when a read failed or waited longer than `receiveTimeout`.
    public func waitForClose() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return true }
            if count < 0 { return false }
        }
    }

    /// Reads what has arrived into `buffer`; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return false }
        buffer += chunk[..<count]
        return true
    }
}
