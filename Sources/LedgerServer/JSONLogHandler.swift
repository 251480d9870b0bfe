import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// ecoledgerd's log as JSON lines (`--log-format json`), for log collectors (journald's export,
/// Fluent Bit, Vector, Loki) that would otherwise have to parse swift-log's text format.
///
/// One object per line, one `write` per line: `{"time":"2026-11-25T21:39:45.123Z","level":"info",
/// "label":"ecoledgerd","message":"listening","metadata":{"address":"[IPv4]127.0.0.1/127.0.0.1:7707"}}`.
/// `time` is UTC with milliseconds; `metadata` (the handler's and the call's, the call's winning)
/// is left out when empty; nested metadata becomes JSON arrays and objects.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let output: Output

    /// Where lines go: standard error by default; tests collect them.
    public final class Output: Sendable {
        private let lock = Mutex(())
        private let sink: @Sendable (String) -> Void

        public init(_ sink: @escaping @Sendable (String) -> Void) {
            self.sink = sink
        }

        /// Standard error through write(2), errors ignored: a log that cannot be written (a full
        /// disk) must not stop the ledger (FileHandle's write traps on failure).
        public static let standardError = Output { line in
            var line = line
            line.withUTF8 { bytes in
                guard let base = bytes.baseAddress else { return }
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(STDERR_FILENO, base + offset, bytes.count - offset)
                    if written <= 0 { return }
                    offset += written
                }
            }
        }

        func write(_ line: String) {
            lock.withLock { _ in sink(line) }
        }
    }

    public init(label: String, output: Output = .standardError) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = event.metadata.map { metadata.merging($0) { _, call in call } } ?? metadata
        var json = "{\"time\":\(Self.string(Self.timestamp())),\"level\":\(Self.string(event.level.rawValue)),"
            + "\"label\":\(Self.string(label)),\"message\":\(Self.string(event.message.description))"
        if let error = event.error { json += ",\"error\":" + Self.string("\(error)") }
        if !merged.isEmpty { json += ",\"metadata\":" + Self.object(merged) }
        output.write(json + "}\n")
    }

    /// Now, as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(now.tv_nsec / 1_000_000))
    }

    private static func object(_ metadata: Logger.Metadata) -> String {
        "{" + metadata.keys.sorted().map { string($0) + ":" + value(metadata[$0]!) }.joined(separator: ",") + "}"
    }

    private static func value(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): string(text)
        case .stringConvertible(let convertible): string(convertible.description)
        case .array(let values): "[" + values.map(Self.value).joined(separator: ",") + "]"
        case .dictionary(let metadata): object(metadata)
        }
    }

    /// A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped.
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
                || scalar.value == 0x2028 || scalar.value == 0x2029:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
