#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered writes to a file descriptor (stdout, stderr), so streaming a million-entry export
/// costs one system call per 64 KiB rather than one per line.
public final class FileDescriptorOutput {
    static let capacity = 1 << 16
    private let descriptor: Int32
    private var buffer: [UInt8] = []

    public init(descriptor: Int32) {
        self.descriptor = descriptor
        buffer.reserveCapacity(Self.capacity)
    }

    public func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.capacity { try flush() }
    }

    public func flush() throws {
        var offset = 0
        while offset < buffer.count {
            let written = buffer[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw CLIFailure.message("cannot write output: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// `line` with every control character shown as `\u{…}`: what a server sends never reaches
    /// a terminal as an escape sequence (the protocol has none in its replies).
    public static func visible(_ line: String) -> String {
        var out = ""
        for scalar in line.unicodeScalars {
            if scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// One unbuffered write to stderr, for progress and error lines.
    public static func writeStderr(_ text: String) {
        let output = FileDescriptorOutput(descriptor: STDERR_FILENO)
        try? output.write(text)
        try? output.flush()
    }

    public static func writeStdout(_ text: String) {
        let output = FileDescriptorOutput(descriptor: STDOUT_FILENO)
        try? output.write(text)
        try? output.flush()
    }
}
