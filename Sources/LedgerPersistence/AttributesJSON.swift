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
    package static func encode(_ attributes: EntryAttributes) -> String {
        var out = "{"
        for (index, pair) in attributes.pairs.enumerated() {
            if index > 0 { out += "," }
            appendString(pair.key, to: &out)
            out += ":"
            appendString(pair.value, to: &out)
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
    package static func decode(_ text: String) -> EntryAttributes? {
        var bytes = Substring(text).utf8[...]
        guard bytes.popFirst() == UInt8(ascii: "{"), bytes.popLast() == UInt8(ascii: "}") else { return nil }
        var pairs: [EntryAttributes.Pair] = []
        var previousKey: Substring.UTF8View.SubSequence?
        while !bytes.isEmpty {
            guard let key = readString(&bytes), bytes.popFirst() == UInt8(ascii: ":"), let value = readString(&bytes) else { return nil }
            // Strictly ascending keys: sorted, and never repeated.
            if let previousKey, !previousKey.lexicographicallyPrecedes(key.utf8) { return nil }
            previousKey = Substring(key).utf8[...]
            pairs.append(EntryAttributes.Pair(key: key, value: value))
            if !bytes.isEmpty, bytes.popFirst() != UInt8(ascii: ",") || bytes.isEmpty { return nil }
        }
        return EntryAttributes(uncheckedSorted: pairs)
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
    /// the same texts). Writes at most `canonicalCapacity(json.count)` bytes.
    static func appendCanonical(_ json: UnsafeRawBufferPointer, to out: inout RowBytes) -> Bool {
        var reader = LiteralReader(json: json)
        guard reader.end >= 1, json[0] == UInt8(ascii: "{"), json[reader.end] == UInt8(ascii: "}") else { return false }
        let countAt = out.count
        CanonicalEncoding.appendUInt32(0, to: &out)
        var pairs: UInt32 = 0
        var previousKey = 0..<0
        while reader.index < reader.end {
            if pairs > 0 {
                guard json[reader.index] == UInt8(ascii: ",") else { return false }
                reader.index += 1
            }
            guard let key = reader.string(to: &out) else { return false }
            // Strictly ascending keys: sorted, and never repeated.
            if pairs > 0, !precedes(out.bytes(previousKey), out.bytes(key)) { return false }
            previousKey = key
            guard reader.index < reader.end, json[reader.index] == UInt8(ascii: ":") else { return false }
            reader.index += 1
            guard reader.string(to: &out) != nil else { return false }
            pairs += 1
        }
        out.setUInt32(pairs, at: countAt)
        return true
    }

    /// The most bytes `appendCanonical` writes for `jsonCount` bytes of text: a literal of n
    /// bytes (two of them quotes) becomes a 4-byte length and at most n - 2 bytes, and there are
    /// at most `jsonCount / 2` literals, after the 4-byte count.
    package static func canonicalCapacity(_ jsonCount: Int) -> Int { 4 + 2 * jsonCount }

    /// `appendCanonical` into an array of its own (for tests).
    package static func canonical(_ json: UnsafeRawBufferPointer) -> [UInt8]? {
        var out: [UInt8] = []
        return RowBytes.append(to: &out, reserving: canonicalCapacity(json.count)) { appendCanonical(json, to: &$0) } ? out : nil
    }

    /// Steps through the literals of an `attrs` text for `appendCanonical`. A struct, not a nested
    /// function capturing the index: a captured variable is boxed and checked for exclusive access
    /// at every use.
    private struct LiteralReader {
        let json: UnsafeRawBufferPointer
        /// The closing brace.
        let end: Int
        var index = 1

        init(json: UnsafeRawBufferPointer) {
            self.json = json
            end = json.count - 1
        }

        /// One string literal at `index`, as a length-prefixed canonical string; the range of
        /// its bytes in `out`. Runs without escapes are copied whole.
        mutating func string(to out: inout RowBytes) -> Range<Int>? {
            guard index < end, json[index] == UInt8(ascii: "\"") else { return nil }
            index += 1
            let lengthAt = out.count
            CanonicalEncoding.appendUInt32(0, to: &out)
            let start = out.count
            var run = index
            while index < end {
                let byte = json[index]
                if byte == UInt8(ascii: "\"") {
                    out.append(bytes: UnsafeRawBufferPointer(rebasing: json[run..<index]))
                    index += 1
                    out.setUInt32(UInt32(out.count - start), at: lengthAt)
                    return start..<out.count
                } else if byte == UInt8(ascii: "\\") {
                    out.append(bytes: UnsafeRawBufferPointer(rebasing: json[run..<index]))
                    guard index + 1 < end else { return nil }
                    let escaped = json[index + 1]
                    guard escaped == UInt8(ascii: "\"") || escaped == UInt8(ascii: "\\") else { return nil }
                    out.append(escaped)
                    index += 2
                    run = index
                } else if byte < 0x20 {
                    return nil
                } else {
                    index += 1
                }
            }
            return nil
        }
    }

    /// The attributes as `appendCanonical` wrote them (the count, then length-prefixed keys and
    /// values, sorted and unique): no escapes left to undo. Nil when a key or value is not valid
    /// UTF-8 (the text it came from was not: its quotes, colons, commas and escapes are ASCII),
    /// or the keys are not strictly ascending.
    package static func attributes(canonical bytes: UnsafeRawBufferPointer) -> EntryAttributes? {
        var reader = CanonicalReader(bytes: bytes)
        guard let count = reader.uint32(), count <= bytes.count else { return nil }
        var pairs: [EntryAttributes.Pair] = []
        pairs.reserveCapacity(count)
        var previousKey: UnsafeRawBufferPointer?
        for _ in 0..<count {
            guard let keyBytes = reader.text(), let key = CanonicalReader.string(keyBytes),
                  let value = reader.text().flatMap(CanonicalReader.string) else { return nil }
            if let previousKey, !precedes(previousKey, keyBytes) { return nil }
            previousKey = keyBytes
            pairs.append(EntryAttributes.Pair(key: key, value: value))
        }
        return reader.index == bytes.count ? EntryAttributes(uncheckedSorted: pairs) : nil
    }

    /// `a` before `b` in byte order (a prefix first): the order of `EntryAttributes`' keys,
    /// compared in place (the generic comparison of two UTF-8 views steps them one by one).
    static func precedes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        for index in 0..<min(a.count, b.count) where a[index] != b[index] { return a[index] < b[index] }
        return a.count < b.count
    }

    /// Steps through `appendCanonical`'s output. A struct, not nested functions capturing the
    /// index: a captured variable is boxed and checked for exclusive access at every use.
    private struct CanonicalReader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        mutating func uint32() -> Int? {
            guard bytes.count - index >= 4 else { return nil }
            defer { index += 4 }
            return Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
        }

        /// The next length-prefixed text's bytes.
        mutating func text() -> UnsafeRawBufferPointer? {
            guard let length = uint32(), bytes.count - index >= length else { return nil }
            defer { index += length }
            return UnsafeRawBufferPointer(rebasing: bytes[index..<index + length])
        }

        /// Nil when `text` is not UTF-8.
        static func string(_ text: UnsafeRawBufferPointer) -> String? {
            // ASCII, the usual case, needs no validation (and the generic one is slow).
            if !text.contains(where: { $0 >= 0x80 }) { return String(decoding: text, as: UTF8.self) }
            return String(validating: text, as: UTF8.self)
        }
    }
}
