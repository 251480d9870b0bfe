/// One request line split into a verb, positional arguments and named `key=value` arguments.
public struct ParsedLine: Equatable, Sendable {
    /// Upper-cased: verbs are case-insensitive.
    public var verb: String
    public var positional: [String]
    /// Keys lower-cased (keys are case-insensitive); values exactly as sent.
    public var named: [String: String]
}

/// Splits a request line into tokens: runs of spaces or tabs separate them; a token, or the
/// value of a `key=value`, may be double-quoted with `\"` and `\\` escapes inside.
///
/// Refuses, as `BAD_REQUEST`, invalid UTF-8, control bytes, unbalanced quotes, unknown escapes
/// and text glued to a closing quote; a repeated key is `BAD_ARGUMENT`.
public enum LineTokenizer {
    /// Tokenizes `bytes` (the line without its LF; a trailing CR is dropped). Returns nil for
    /// a blank line, which the protocol ignores.
    public static func parse(_ bytes: some Collection<UInt8>) throws(ProtocolError) -> ParsedLine? {
        var line = Array(bytes)
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        for byte in line where (byte < 0x20 && byte != UInt8(ascii: "\t")) || byte == 0x7f {
            throw ProtocolError(.badRequest, "control byte 0x\(String(byte, radix: 16)) in request")
        }
        guard let text = String(validating: line, as: UTF8.self) else {
            throw ProtocolError(.badRequest, "request is not valid UTF-8")
        }
        // C1 controls (U+0080–U+009F) are control characters too (docs/PROTOCOL.md).
        if let c1 = text.unicodeScalars.first(where: { (0x80...0x9f).contains($0.value) }) {
            throw ProtocolError(.badRequest, "control character U+00\(String(c1.value, radix: 16, uppercase: true)) in request")
        }
        var tokens: [(text: String, key: String?)] = []
        var scalars = text.unicodeScalars[...]
        while true {
            while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
            guard !scalars.isEmpty else { break }
            tokens.append(try token(&scalars))
        }
        guard let first = tokens.first else { return nil }
        guard first.key == nil else { throw ProtocolError(.badRequest, "a request starts with a command, not key=value") }
        var parsed = ParsedLine(verb: asciiUppercased(first.text), positional: [], named: [:])
        for token in tokens.dropFirst() {
            if let key = token.key {
                guard parsed.named.updateValue(token.text, forKey: key) == nil else {
                    throw ProtocolError.badArgument(key, "given more than once")
                }
            } else {
                parsed.positional.append(token.text)
            }
        }
        return parsed
    }

    /// Reads one token: a quoted string, a bare word, or `key=value` (value bare or quoted).
    private static func token(_ scalars: inout Substring.UnicodeScalarView) throws(ProtocolError) -> (text: String, key: String?) {
        if scalars.first == "\"" { return (try quoted(&scalars), nil) }
        var word = ""
        while let scalar = scalars.first, scalar != " ", scalar != "\t" {
            if scalar == "=", isKey(word) {
                scalars.removeFirst()
                let value = scalars.first == "\"" ? try quoted(&scalars) : try bare(&scalars)
                return (value, asciiLowercased(word))
            }
            guard scalar != "\"" else { throw ProtocolError(.badRequest, "a quote may only start a token or a value") }
            word.unicodeScalars.append(scalar)
            scalars.removeFirst()
        }
        return (word, nil)
    }

    private static func bare(_ scalars: inout Substring.UnicodeScalarView) throws(ProtocolError) -> String {
        var value = ""
        while let scalar = scalars.first, scalar != " ", scalar != "\t" {
            guard scalar != "\"" else { throw ProtocolError(.badRequest, "a quote may only start a token or a value") }
            value.unicodeScalars.append(scalar)
            scalars.removeFirst()
        }
        return value
    }

    private static func quoted(_ scalars: inout Substring.UnicodeScalarView) throws(ProtocolError) -> String {
        scalars.removeFirst() // the opening quote
        var value = ""
        while let scalar = scalars.popFirst() {
            switch scalar {
            case "\"":
                if let next = scalars.first, next != " ", next != "\t" {
                    throw ProtocolError(.badRequest, "text right after a closing quote")
                }
                return value
            case "\\":
                guard let escaped = scalars.popFirst(), escaped == "\"" || escaped == "\\" else {
                    throw ProtocolError(.badRequest, "only \\\" and \\\\ escapes are allowed inside quotes")
                }
                value.unicodeScalars.append(escaped)
            default:
                value.unicodeScalars.append(scalar)
            }
        }
        throw ProtocolError(.badRequest, "unbalanced quotes")
    }

    /// Case-insensitivity covers ASCII letters only: Unicode case mapping would turn `ſtats`
    /// into `STATS` and `pıng` into `PING`.
    static func asciiUppercased(_ text: String) -> String {
        String(decoding: text.utf8.map { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) ? $0 - 32 : $0 }, as: UTF8.self)
    }

    static func asciiLowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
    }

    /// Keys are ASCII letters, digits and `_`, starting with a letter.
    static func isKey(_ word: String) -> Bool {
        guard let first = word.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else { return false }
        return word.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }
}
