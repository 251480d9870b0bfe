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

    /// Reads what `encode` wrote with a direct scan (audits read every row); anything else
    /// that is valid JSON, such as a hand-edited row, goes through JSONDecoder, so both give
    /// the same answer.
    static func decode(_ text: String) throws -> [String: String] {
        if let attributes = decodeCanonical(text) { return attributes }
        return try JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }

    /// The scan: `{"key":"value",…}` with exactly the escapes `appendString` writes; nil otherwise.
    static func decodeCanonical(_ text: String) -> [String: String]? {
        var bytes = Substring(text).utf8[...]
        guard bytes.popFirst() == UInt8(ascii: "{"), bytes.popLast() == UInt8(ascii: "}") else { return nil }
        var attributes: [String: String] = [:]
        while !bytes.isEmpty {
            guard let key = readString(&bytes), bytes.popFirst() == UInt8(ascii: ":"), let value = readString(&bytes),
                  attributes.updateValue(value, forKey: key) == nil else { return nil }
            if !bytes.isEmpty, bytes.popFirst() != UInt8(ascii: ",") { return nil }
        }
        return attributes
    }

    private static func readString(_ bytes: inout Substring.UTF8View.SubSequence) -> String? {
        guard bytes.popFirst() == UInt8(ascii: "\"") else { return nil }
        // The usual case, no escapes: the text up to the closing quote, in one piece.
        if let end = bytes.firstIndex(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }),
           bytes[end] == UInt8(ascii: "\"") {
            let text = Substring(bytes[..<end])
            bytes = bytes[bytes.index(after: end)...]
            return String(text)
        }
        var out: [UInt8] = []
        while let byte = bytes.popFirst() {
            switch byte {
            case UInt8(ascii: "\""):
                return String(validating: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                switch bytes.popFirst() {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                default: return nil // \u and the rest: leave them to JSONDecoder
                }
            case 0..<0x20:
                return nil
            default:
                out.append(byte)
            }
        }
        return nil
    }
}
