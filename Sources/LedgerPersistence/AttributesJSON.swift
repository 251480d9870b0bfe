import LedgerCore

/// The journal's `attrs` column: a JSON object of string values in one canonical form, so the
/// stored text is deterministic, checkable byte for byte, and readable with SQLite's json
/// functions.
///
/// The canonical form (docs/LEDGER.md, "attrs"): `{`, then `"key":"value"` pairs sorted by key
/// in byte order and separated by `,`, then `}`; no whitespace; the only escapes are `\"` and
/// `\\`. Values never hold control characters (free text refuses them, ids and numbers cannot
/// have them). Reading accepts exactly that form and nothing else: a hand-edited row with
/// spaces, other escapes or a repeated key (which JSON libraries resolve differently: first
/// value or last) fails the audit instead of being read one way here and another elsewhere.
///
/// Written and read by hand because it is on every write's and every audit's path.
package enum AttributesJSON {
    package static func encode(_ attributes: [String: String]) -> String {
        var out = "{"
        for (index, key) in attributes.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if index > 0 { out += "," }
            appendString(key, to: &out)
            out += ":"
            appendString(attributes[key]!, to: &out)
        }
        return out + "}"
    }

    /// A JSON string literal with `"` and `\` escaped. Control characters never get here: the
    /// rules refuse them before an entry is made.
    package static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            assert(scalar.value >= 0x20, "control characters never reach attrs")
            if scalar == "\"" || scalar == "\\" { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        out += "\""
    }

    /// Reads the canonical form; nil for any other text.
    package static func decode(_ text: String) -> [String: String]? {
        var bytes = Substring(text).utf8[...]
        guard bytes.popFirst() == UInt8(ascii: "{"), bytes.popLast() == UInt8(ascii: "}") else { return nil }
        var attributes = [String: String](minimumCapacity: 8)
        var previousKey: Substring.UTF8View.SubSequence?
        while !bytes.isEmpty {
            guard let key = readString(&bytes), bytes.popFirst() == UInt8(ascii: ":"), let value = readString(&bytes) else { return nil }
            // Strictly ascending keys: sorted, and never repeated.
            if let previousKey, !previousKey.lexicographicallyPrecedes(key.utf8) { return nil }
            previousKey = Substring(key).utf8[...]
            attributes[key] = value
            if !bytes.isEmpty, bytes.popFirst() != UInt8(ascii: ",") || bytes.isEmpty { return nil }
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
                guard let escaped = bytes.popFirst(), escaped == UInt8(ascii: "\"") || escaped == UInt8(ascii: "\\") else { return nil }
                out.append(escaped)
            case 0..<0x20:
                return nil
            default:
                out.append(byte)
            }
        }
        return nil
    }

    /// Appends the attributes of a stored `attrs` text to an entry's canonical bytes (the
    /// count, then each key and value length-prefixed, unescaped), reading the column's bytes
    /// in place. False for text that is not in the canonical form (`decode` accepts exactly
    /// the same texts).
    package static func appendCanonical(_ json: UnsafeRawBufferPointer, to out: inout [UInt8]) -> Bool {
        var index = 0
        func next() -> UInt8? {
            guard index < json.count else { return nil }
            defer { index += 1 }
            return json[index]
        }
        /// One string literal, as a length-prefixed canonical string.
        func string() -> Bool {
            guard next() == UInt8(ascii: "\"") else { return false }
            let lengthAt = out.count
            CanonicalEncoding.appendUInt32(0, to: &out)
            let start = out.count
            while let byte = next() {
                switch byte {
                case UInt8(ascii: "\""):
                    let length = UInt32(out.count - start)
                    for offset in 0..<4 { out[lengthAt + offset] = UInt8(truncatingIfNeeded: length >> (24 - 8 * UInt32(offset))) }
                    return true
                case UInt8(ascii: "\\"):
                    guard let escaped = next(), escaped == UInt8(ascii: "\"") || escaped == UInt8(ascii: "\\") else { return false }
                    out.append(escaped)
                case 0..<0x20:
                    return false
                default:
                    out.append(byte)
                }
            }
            return false
        }
        guard next() == UInt8(ascii: "{"), json.count >= 2, json[json.count - 1] == UInt8(ascii: "}") else { return false }
        let countAt = out.count
        CanonicalEncoding.appendUInt32(0, to: &out)
        var pairs: UInt32 = 0
        var previousKey = 0..<0
        while index < json.count - 1 {
            if pairs > 0, next() != UInt8(ascii: ",") { return false }
            let keyAt = out.count + 4
            guard string() else { return false }
            // Strictly ascending keys: sorted, and never repeated.
            let key = keyAt..<out.count
            if pairs > 0, !out[previousKey].lexicographicallyPrecedes(out[key]) { return false }
            previousKey = key
            guard next() == UInt8(ascii: ":"), string() else { return false }
            pairs += 1
        }
        guard index == json.count - 1 else { return false }
        for offset in 0..<4 { out[countAt + offset] = UInt8(truncatingIfNeeded: pairs >> (24 - 8 * UInt32(offset))) }
        return true
    }
}
