import LedgerCrypto

/// Typed reads of an entry's attributes that also notice attributes nobody read,
/// so an entry carrying anything unexpected fails instead of being silently accepted.
struct Attributes {
    private let values: EntryAttributes
    /// The keys read so far, each once: an entry has a handful, so a list beats a set (no
    /// hashing, one allocation).
    private var used: [String] = []

    init(body: EntryBody) {
        values = body.attributes
        used.reserveCapacity(values.count)
    }

    private mutating func markUsed(_ key: String) {
        if !used.contains(key) { used.append(key) }
    }

    mutating func optionalText(_ key: String) throws(LedgerError) -> String? {
        guard let value = values[key] else { return nil }
        markUsed(key)
        return try FreeText.validate(value, argument: key)
    }

    mutating func text(_ key: String) throws(LedgerError) -> String {
        guard let value = try optionalText(key) else { throw .invalid(key, "missing") }
        return value
    }

    mutating func optionalIdentifier<ID: LedgerIdentifier>(_ key: String, _: ID.Type) throws(LedgerError) -> ID? {
        guard let value = values[key] else { return nil }
        markUsed(key)
        return try ID(value)
    }

    mutating func identifier<ID: LedgerIdentifier>(_ key: String, _ type: ID.Type) throws(LedgerError) -> ID {
        guard let value = try optionalIdentifier(key, type) else { throw .invalid(key, "missing") }
        return value
    }

    mutating func integer(_ key: String) throws(LedgerError) -> Int64 {
        guard let value = values[key] else { throw .invalid(key, "missing") }
        markUsed(key)
        guard let number = Int64(value), String(number) == value else { throw .invalid(key, "not a canonical integer") }
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
        guard let value = values[key] else { return nil }
        markUsed(key)
        guard let hash = Hash256(hex: value), hash.hex == value else { throw .invalid(key, "not 64 lowercase hex digits") }
        return hash
    }

    mutating func hash(_ key: String) throws(LedgerError) -> Hash256 {
        guard let value = try optionalHash(key) else { throw .invalid(key, "missing") }
        return value
    }

    func checkAllUsed() throws(LedgerError) {
        // Only keys that are present are ever marked used: as many used as present means all.
        guard used.count != values.count else { return }
        let unknown = Set(values.keys).subtracting(Set(used))
        guard unknown.isEmpty else { throw .invalid("entry", "unexpected attribute(s) \(unknown.sorted().joined(separator: ", "))") }
    }
}
