/// One reply of protocol v1, encoded as `OK …`, a list (`OK n=N` then N lines) or `ERR CODE message`.
///
/// Every line ends in CRLF. Values are quoted when they are empty or contain spaces, tabs,
/// quotes or backslashes, with the same escapes requests use.
public enum Reply: Equatable, Sendable {
    case ok(Fields)
    /// `OK` and one bare word: `OK pong`, `OK bye`.
    case word(String)
    case list([Fields])
    case error(ProtocolError)

    public typealias Fields = [(String, String)]

    public static func == (lhs: Reply, rhs: Reply) -> Bool { lhs.encoded == rhs.encoded }

    /// The bytes sent to the client.
    public var encoded: String {
        switch self {
        case .ok(let fields):
            return Self.line("OK", fields)
        case .word(let word):
            return "OK \(word)\r\n"
        case .list(let rows):
            return Self.line("OK", [("n", String(rows.count))]) + rows.map { Self.line(nil, $0) }.joined()
        case .error(let error):
            let message = error.message.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : String($0) }.joined()
            return "ERR \(error.code.rawValue) \(message)\r\n"
        }
    }

    public var isError: Bool {
        if case .error = self { return true }
        return false
    }

    /// The value of a bare `name=value` field of a reply line (checkpoints, receipts, seqs are
    /// never quoted), for clients reading what the server sent.
    public static func field(_ name: String, in line: String) -> String? {
        line.split(separator: " ").first { $0.hasPrefix("\(name)=") }.map { String($0.dropFirst(name.count + 1)) }
    }

    private static func line(_ head: String?, _ fields: Fields) -> String {
        var parts: [String] = head.map { [$0] } ?? []
        for (key, value) in fields { parts.append("\(key)=\(quote(value))") }
        return parts.joined(separator: " ") + "\r\n"
    }

    /// A value as it appears on the wire: bare when it is safe, quoted and escaped otherwise.
    public static func quote(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { $0 == " " || $0 == "\t" || $0 == "\"" || $0 == "\\" }
        guard needsQuotes else { return value }
        var quoted = "\""
        for scalar in value.unicodeScalars {
            if scalar == "\\" || scalar == "\"" { quoted.unicodeScalars.append("\\") }
            quoted.unicodeScalars.append(scalar)
        }
        return quoted + "\""
    }
}
