/// A weight in whole grams, parsed exactly from kilograms with up to three decimals.
public struct Grams: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: Int64

    public init(_ value: Int64) { self.value = value }

    /// Parses kg text (`2.345` is 2345 g); negative weights and a fourth decimal are errors.
    public init(parsingKilograms text: String) throws(LedgerError) {
        switch DecimalText.parse(text, scale: 3, allowNegative: false) {
        case .success(let value): self.value = value
        case .failure(.tooManyDecimals): throw .invalid("kg", "at most three decimals (whole grams) are allowed: \(text.debugDescription)")
        case .failure(.overflow): throw .overflow("weight \(text.debugDescription) does not fit")
        case .failure(.negative): throw .invalid("kg", "a weight cannot be negative: \(text.debugDescription)")
        case .failure(.malformed): throw .invalid("kg", "expected kilograms such as 2.345, got \(text.debugDescription)")
        }
    }

    /// Kilograms with as few decimals as exact (`2`, `2.5`, `2.345`), as the protocol writes weights.
    public var kilograms: String { DecimalText.format(value, scale: 3, minDecimals: 0) }

    public var description: String { "\(kilograms) kg" }

    public static func < (lhs: Grams, rhs: Grams) -> Bool { lhs.value < rhs.value }
}

/// A material's rate: points per kilogram, held as centipoints per kilogram.
public struct Rate: Hashable, Sendable, CustomStringConvertible {
    public let perKilogram: Points

    public init(perKilogram: Points) { self.perKilogram = perKilogram }

    /// The points earned for `grams`: floor(grams × centipoints-per-kg ÷ 1000), in centipoints.
    ///
    /// Rounding is always down (never creating points that were not earned); the product
    /// must fit in Int64, otherwise the drop-off is refused as an overflow.
    public func points(for grams: Grams) throws(LedgerError) -> Points {
        let (product, overflow) = grams.value.multipliedReportingOverflow(by: perKilogram.centipoints)
        guard !overflow else { throw .overflow("\(grams) at \(perKilogram) points/kg does not fit") }
        return Points(centipoints: product / 1000)
    }

    public var description: String { "\(perKilogram)/kg" }
}
