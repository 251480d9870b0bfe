/// Exact parsing and printing of non-floating decimal text, shared by `Points` and `Grams`.
///
/// Grammar: an optional `-` (only where `allowNegative`), one or more ASCII digits, then
/// optionally `.` and 1 to `scale` digits. Nothing else: no `+`, spaces, exponents,
/// separators or leading `.`. The result is the value times 10^scale, in Int64, or an error
/// on overflow.
enum DecimalText {
    enum Failure: Error, Equatable {
        case malformed
        case tooManyDecimals
        case overflow
        case negative
    }

    static func parse(_ text: String, scale: Int, allowNegative: Bool) -> Result<Int64, Failure> {
        var bytes = Substring(text).utf8[...]
        var negative = false
        if bytes.first == UInt8(ascii: "-") {
            negative = true
            bytes = bytes.dropFirst()
        }
        var whole: Int64 = 0
        var wholeDigits = 0
        while let byte = bytes.first, isDigit(byte) {
            guard let next = step(whole, byte) else { return .failure(.overflow) }
            whole = next
            wholeDigits += 1
            bytes = bytes.dropFirst()
        }
        guard wholeDigits > 0 else { return .failure(.malformed) }
        var fraction: Int64 = 0
        var fractionDigits = 0
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            while let byte = bytes.first, isDigit(byte) {
                fractionDigits += 1
                guard fractionDigits <= scale else { return .failure(.tooManyDecimals) }
                fraction = fraction * 10 + Int64(byte - UInt8(ascii: "0"))
                bytes = bytes.dropFirst()
            }
            guard fractionDigits > 0 else { return .failure(.malformed) }
        }
        guard bytes.isEmpty else {
            // A digit after the allowed decimals is reported as such; anything else is junk.
            return .failure(.malformed)
        }
        for _ in fractionDigits..<scale { fraction *= 10 }
        var unit: Int64 = 1
        for _ in 0..<scale { unit *= 10 }
        let (scaled, overflowA) = whole.multipliedReportingOverflow(by: unit)
        let (magnitude, overflowB) = scaled.addingReportingOverflow(fraction)
        guard !overflowA, !overflowB else {
            // Int64.min has no positive counterpart; it is not a sensible amount anyway.
            return .failure(.overflow)
        }
        if negative {
            guard allowNegative else { return .failure(.negative) }
            return .success(-magnitude)
        }
        return .success(magnitude)
    }

    /// `value / 10^scale` with `minDecimals...scale` decimals (trailing zeros trimmed down to `minDecimals`).
    static func format(_ value: Int64, scale: Int, minDecimals: Int) -> String {
        var unit: UInt64 = 1
        for _ in 0..<scale { unit *= 10 }
        let magnitude = value.magnitude
        var fraction = String(magnitude % unit)
        fraction = String(repeating: "0", count: scale - fraction.count) + fraction
        while fraction.count > minDecimals, fraction.last == "0" { fraction.removeLast() }
        let sign = value < 0 ? "-" : ""
        let whole = String(magnitude / unit)
        return fraction.isEmpty ? sign + whole : sign + whole + "." + fraction
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func step(_ value: Int64, _ digit: UInt8) -> Int64? {
        let (times10, overflowA) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflowB) = times10.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
        return overflowA || overflowB ? nil : sum
    }
}
