/// An amount of environmental points, held exactly as Int64 centipoints.
///
/// Points are money-like, so there is no floating point anywhere: text is parsed exactly
/// (`12.5` and `12.50` are both 1250 centipoints, a third decimal is an error) and every
/// arithmetic step reports overflow as an error instead of wrapping.
public struct Points: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let centipoints: Int64

    public static let zero = Points(centipoints: 0)

    public init(centipoints: Int64) { self.centipoints = centipoints }

    /// Parses decimal points text with at most two decimals; a leading `-` is accepted
    /// (system balances are negative) and callers that need a positive amount check it.
    public init(parsing text: String) throws(LedgerError) {
        switch DecimalText.parse(text, scale: 2, allowNegative: true) {
        case .success(let value): self.centipoints = value
        case .failure(.tooManyDecimals): throw .invalid("points", "at most two decimals are allowed: \(text.debugDescription)")
        case .failure(.overflow): throw .overflow("points value \(text.debugDescription) does not fit")
        case .failure: throw .invalid("points", "expected a decimal number such as 12.50, got \(text.debugDescription)")
        }
    }

    /// Always two decimals, as the protocol writes points: `12.50`, `-3.00`.
    public var description: String { DecimalText.format(centipoints, scale: 2, minDecimals: 2) }

    public static func < (lhs: Points, rhs: Points) -> Bool { lhs.centipoints < rhs.centipoints }

    /// The bound of every balance, system accounts' included: ±92,233,720,368,547,758.07, that is
    /// ±(2⁶³ − 1) centipoints. Int64's lowest value, −2⁶³, is outside it, so a balance can
    /// always be negated: the points in circulation (minus `sys:issuance`) always fit.
    public static let limit = Points(centipoints: .max)

    /// Whether this amount lies within the bound of a balance (`limit`).
    public var isWithinLimit: Bool { centipoints != .min }

    public func adding(_ other: Points) throws(LedgerError) -> Points {
        let (sum, overflow) = centipoints.addingReportingOverflow(other.centipoints)
        guard !overflow, sum != .min else { throw .overflow("\(self) + \(other) does not fit in a balance (at most ±\(Self.limit))") }
        return Points(centipoints: sum)
    }

    public func subtracting(_ other: Points) throws(LedgerError) -> Points {
        let (difference, overflow) = centipoints.subtractingReportingOverflow(other.centipoints)
        guard !overflow, difference != .min else { throw .overflow("\(self) - \(other) does not fit in a balance (at most ±\(Self.limit))") }
        return Points(centipoints: difference)
    }
}
