/// Builds one request line from separate arguments (a shell's argv), so that the server's
/// `LineTokenizer` reads back exactly those arguments: the first is the command, an argument
/// `key=value` whose key is a valid key is a named argument, any other is positional. Values
/// are quoted and escaped as the protocol says whenever they need it.
///
/// A control character (Unicode Cc: U+0000–U+001F, U+007F–U+009F) cannot be carried by the
/// protocol and is refused: a newline in an argument would otherwise end the request early
/// and smuggle a second one.
public enum RequestLine {
    public static func encode(_ arguments: [String]) throws(ProtocolError) -> String {
        guard let verb = arguments.first, !verb.isEmpty else { throw ProtocolError(.badRequest, "no command given") }
        var parts: [String] = []
        for (index, argument) in arguments.enumerated() {
            if let control = argument.unicodeScalars.first(where: isControl) {
                throw ProtocolError(.badRequest, "argument \(index + 1) contains the control character U+\(hex4(control.value)); the protocol cannot carry it")
            }
            if index > 0, let (key, value) = named(argument) {
                parts.append(key + "=" + Reply.quote(value))
            } else {
                parts.append(quoteToken(argument))
            }
        }
        return parts.joined(separator: " ")
    }

    /// `key=value` when the text before the first `=` is a valid key (as the tokenizer decides).
    static func named(_ argument: String) -> (String, String)? {
        guard let equals = argument.firstIndex(of: "=") else { return nil }
        let key = String(argument[..<equals])
        guard LineTokenizer.isKey(key) else { return nil }
        return (key, String(argument[argument.index(after: equals)...]))
    }

    /// A positional token: quoted when bare text would be read differently (it needs quotes
    /// anyway, or it would look like `key=value`).
    static func quoteToken(_ argument: String) -> String {
        if named(argument) != nil {
            var quoted = "\""
            for scalar in argument.unicodeScalars {
                if scalar == "\\" || scalar == "\"" { quoted.unicodeScalars.append("\\") }
                quoted.unicodeScalars.append(scalar)
            }
            return quoted + "\""
        }
        return Reply.quote(argument)
    }

    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value)
    }

    private static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
