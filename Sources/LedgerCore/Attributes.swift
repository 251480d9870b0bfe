import LedgerCrypto

/// Typed reads of an entry's attributes that also notice attributes nobody read,
/// so an entry carrying anything unexpected fails instead of being silently accepted.
struct Attributes {
    private let values: EntryAttributes
    /// Bit i: the pair at index i was read. An entry of a known kind has a handful of
    /// attributes; pairs beyond the 64th are never marked (such an entry is refused whole).
    private var used: UInt64 = 0

    init(body: EntryBody) {
        values = body.attributes
    }

    /// The value of `key`, marked used.
    private mutating func read(_ key: String) -> String? {
        guard let index = values.index(of: key) else { return nil }
        if index < 64 { used |= 1 << UInt64(index) }
        return values.pairs[index].value
    }

    mutating func optionalText(_ key: String) throws(LedgerError) -> String? {
        guard let value = read(key) else { return nil }
        return try FreeText.validate(value, argument: key)
    }

    mutating func text(_ key: String) throws(LedgerError) -> String {
        guard let value = try optionalText(key) else { throw .invalid(key, "missing") }
        return value
    }

    mutating func optionalIdentifier<ID: LedgerIdentifier>(_ key: String, _: ID.Type) throws(LedgerError) -> ID? {
        guard let value = read(key) else { return nil }
        return try ID(value)
    }

    mutating func identifier<ID: LedgerIdentifier>(_ key: String, _ type: ID.Type) throws(LedgerError) -> ID {
        guard let value = try optionalIdentifier(key, type) else { throw .invalid(key, "missing") }
        return value
    }

    mutating func integer(_ key: String) throws(LedgerError) -> Int64 {
        guard let value = read(key) else { throw .invalid(key, "missing") }
        guard let number = Self.canonicalInteger(value) else { throw .invalid(key, "not a canonical integer") }
        return number
    }

    /// The integer `text` spells as `String(Int64)` would (an optional `-`, then digits without
    /// a leading zero, `0` alone unsigned), read from its bytes in one pass; nil for any other
    /// text or one beyond Int64.
    static func canonicalInteger(_ text: String) -> Int64? {
        let parsed = text.utf8.withContiguousStorageIfAvailable { bytes -> Int64? in
            var index = 0
            let negative = bytes.first == UInt8(ascii: "-")
            if negative { index = 1 }
            guard index < bytes.count, bytes[index] != UInt8(ascii: "0") || (bytes.count == 1) else { return nil }
            // Accumulated negative, so Int64.min is reachable.
            var value: Int64 = 0
            while index < bytes.count {
                let digit = bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = times.subtractingReportingOverflow(Int64(digit))
                guard !o1, !o2 else { return nil }
                value = next
                index += 1
            }
            if negative { return value }
            let (positive, overflow) = (0 as Int64).subtractingReportingOverflow(value)
            return overflow ? nil : positive
        }
        if let parsed { return parsed }
        guard let number = Int64(text), String(number) == text else { return nil }
        return number
    }

    mutating func optionalInteger(_ key: String) throws(LedgerError) -> Int64? {
        guard values[key] != nil else { return nil }
        return try integer(key)
    }

    mutating func optionalPoints(_ key: String) throws(LedgerError) -> Points? {
        guard values[key] != nil else { return nil }
        return Points(centipoints: try integer(key))
    }

    mutating func points(_ key: String) throws(LedgerError) -> Points {
        Points(centipoints: try integer(key))
    }

    mutating func optionalGrams(_ key: String) throws(LedgerError) -> Grams? {
        guard values[key] != nil else { return nil }
        return Grams(try integer(key))
    }

    mutating func grams(_ key: String) throws(LedgerError) -> Grams {
        Grams(try integer(key))
    }

    mutating func optionalHash(_ key: String) throws(LedgerError) -> Hash256? {
        guard let value = read(key) else { return nil }
        guard let hash = Hash256(hex: value), hash.hex == value else { throw .invalid(key, "not 64 lowercase hex digits") }
        return hash
    }

    mutating func hash(_ key: String) throws(LedgerError) -> Hash256 {
        guard let value = try optionalHash(key) else { throw .invalid(key, "missing") }
        return value
    }

    func checkAllUsed() throws(LedgerError) {
        // Only pairs that are present are ever marked used: as many used as present means all.
        guard used.nonzeroBitCount != values.count else { return }
        // No kind has more than a handful: so many are refused as such (pairs past the 64th are
        // never marked, and would be listed whether read or not).
        guard values.count <= 64 else { throw .invalid("entry", "\(values.count) attributes, more than any kind has") }
        let unknown = values.pairs.indices.filter { used & (1 << UInt64($0)) == 0 }.map { values.pairs[$0].key }
        throw .invalid("entry", "unexpected attribute(s) \(unknown.joined(separator: ", "))")
    }
}
