import LedgerCore

/// Typed access to a line's arguments that remembers which were used, so extras are refused.
public struct Arguments {
    private var positional: [String]
    private var named: [String: String]
    private var used: Set<String> = []

    public init(line: ParsedLine) {
        positional = line.positional
        named = line.named
    }

    public mutating func optionalPositional(_ name: String) throws(ProtocolError) -> String? {
        positional.isEmpty ? nil : positional.removeFirst()
    }

    public mutating func positional(_ name: String) throws(ProtocolError) -> String {
        guard let value = try optionalPositional(name) else { throw ProtocolError.badArgument(name, "missing") }
        return value
    }

    public mutating func optionalNamed(_ name: String) -> String? {
        guard let value = named[name] else { return nil }
        used.insert(name)
        return value
    }

    public mutating func named(_ name: String) throws(ProtocolError) -> String {
        guard let value = optionalNamed(name) else { throw ProtocolError.badArgument(name, "missing (\(name)=…)") }
        return value
    }

    public mutating func identifier<ID: LedgerIdentifier>(positional name: String) throws(ProtocolError) -> ID {
        let text = try positional(name)
        return try Self.convert(name) { () throws(LedgerError) in try ID(text) }
    }

    public mutating func identifier<ID: LedgerIdentifier>(named name: String) throws(ProtocolError) -> ID {
        let text = try named(name)
        return try Self.convert(name) { () throws(LedgerError) in try ID(text) }
    }

    public mutating func optionalIdentifier<ID: LedgerIdentifier>(named name: String) throws(ProtocolError) -> ID? {
        guard let text = optionalNamed(name) else { return nil }
        return try Self.convert(name) { () throws(LedgerError) in try ID(text) }
    }

    public mutating func seq(positional name: String) throws(ProtocolError) -> Int64 {
        let text = try positional(name)
        guard let value = Int64(text), value >= 1, String(value) == text else { throw ProtocolError.badArgument(name, "expected an entry number ≥ 1") }
        return value
    }

    /// A tree size: a whole number ≥ 0 without leading zeros.
    public mutating func size(positional name: String) throws(ProtocolError) -> Int64 {
        let text = try positional(name)
        guard let value = Int64(text), value >= 0, String(value) == text else { throw ProtocolError.badArgument(name, "expected a tree size ≥ 0") }
        return value
    }

    public mutating func optionalInteger(_ name: String, in range: ClosedRange<Int64>) throws(ProtocolError) -> Int64? {
        guard let text = optionalNamed(name) else { return nil }
        guard let value = Int64(text), range.contains(value), String(value) == text else {
            throw ProtocolError.badArgument(name, "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    public mutating func optionalText(_ name: String) throws(ProtocolError) -> String? {
        guard let text = optionalNamed(name) else { return nil }
        return try Self.convert(name) { () throws(LedgerError) in try FreeText.validate(text, argument: name) }
    }

    public mutating func text(_ name: String) throws(ProtocolError) -> String {
        guard let value = try optionalText(name) else { throw ProtocolError.badArgument(name, "missing (\(name)=…)") }
        return value
    }

    public mutating func optionalPositivePoints(_ name: String) throws(ProtocolError) -> Points? {
        guard let text = optionalNamed(name) else { return nil }
        let points = try Self.convert(name) { () throws(LedgerError) in try Points(parsing: text) }
        guard points > .zero else { throw ProtocolError.badArgument(name, "must be positive") }
        return points
    }

    /// A cap: positive points, or `none` to clear it (`.some(nil)`); nil when absent.
    public mutating func optionalCap(_ name: String) throws(ProtocolError) -> Points?? {
        if optionalNamed(name) == "none" { return .some(nil) }
        guard let points = try optionalPositivePoints(name) else { return nil }
        return .some(points)
    }

    public mutating func positivePoints(_ name: String) throws(ProtocolError) -> Points {
        guard let value = try optionalPositivePoints(name) else { throw ProtocolError.badArgument(name, "missing (\(name)=…)") }
        return value
    }

    public mutating func optionalGrams(_ name: String) throws(ProtocolError) -> Grams? {
        guard let text = optionalNamed(name) else { return nil }
        return try Self.convert(name) { () throws(LedgerError) in try Grams(parsingKilograms: text) }
    }

    public mutating func grams(_ name: String) throws(ProtocolError) -> Grams {
        guard let value = try optionalGrams(name) else { throw ProtocolError.badArgument(name, "missing (\(name)=…)") }
        return value
    }

    public mutating func optionalPIN(_ name: String) throws(ProtocolError) -> PIN? {
        guard let text = optionalNamed(name) else { return nil }
        return try Self.convert(name) { () throws(LedgerError) in try PIN(text) }
    }

    public mutating func pin(_ name: String) throws(ProtocolError) -> PIN {
        guard let value = try optionalPIN(name) else { throw ProtocolError.badArgument(name, "missing (\(name)=…)") }
        return value
    }

    public func checkAllUsed() throws(ProtocolError) {
        if let extra = positional.first { throw ProtocolError.badArgument(extra, "unexpected argument") }
        if let unknown = Set(named.keys).subtracting(used).sorted().first {
            throw ProtocolError.badArgument(unknown, "unknown argument for this command")
        }
    }

    /// Runs a core validation, reporting its failure as a bad argument named `name`.
    public static func convert<T>(_ name: String, _ body: () throws(LedgerError) -> T) throws(ProtocolError) -> T {
        do {
            return try body()
        } catch {
            switch error {
            case .invalid(_, let why): throw ProtocolError.badArgument(name, why)
            default: throw ProtocolError.badArgument(name, error.message)
            }
        }
    }
}
