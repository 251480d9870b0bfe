import LedgerCore

/// A report as CSV (RFC 4180): a header, one row per group, and a `total` row. Kilograms and
/// points in plain decimals (`3.5`, `63.00`); spending, expiry and outstanding only for months
/// and the total (empty for materials, points and districts, which only drop-offs have).
enum ReportCSV {
    static let columns = ["kg", "dropoffs", "issued", "redeemed", "donated", "settled", "expired", "forfeited", "outstanding"]

    static func render(_ report: LedgerReport, by grouping: LedgerReport.Grouping) -> String {
        var lines = [([grouping.rawValue] + columns).joined(separator: ",")]
        for group in report.groups(grouping) + [LedgerReport.Group(key: "total", figures: report.total)] {
            lines.append(([field(group.key)] + values(group.figures)).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func values(_ figures: LedgerReport.Figures) -> [String] {
        let spent = figures.outstanding.map { outstanding in
            [figures.redeemed, figures.donated, figures.settled, figures.expired, figures.forfeited, outstanding].map(\.description)
        } ?? Array(repeating: "", count: 6)
        return [Grams(figures.grams).kilograms, String(figures.dropoffs), figures.issued.description] + spent
    }

    /// A text field (a group's key), quoted when it holds a comma, a quote or a line break
    /// (quotes doubled). One that a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, a
    /// tab or CR first) gets a leading `'`, so a district's name can never run as a formula.
    static func field(_ text: String) -> String {
        var text = text
        if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
