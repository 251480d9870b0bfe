import Foundation

/// The journal's `attrs` column: a JSON object of string values with sorted keys, so the
/// stored text is deterministic and readable with SQLite's json functions.
///
/// Written by hand because it is on every write's path and the shape is fixed (one flat object
/// of strings): JSONEncoder cost more than the SQL around it. Read back with JSONDecoder.
enum AttributesJSON {
    static func encode(_ attributes: [String: String]) -> String {
        var out = "{"
        for (index, key) in attributes.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            appendString(key, to: &out)
            out += ":"
            appendString(attributes[key]!, to: &out)
        }
        return out + "}"
    }

    /// A JSON string literal (RFC 8259): quote, backslash and control characters escaped.
    static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    static func decode(_ text: String) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }
}
