import LedgerCore

/// A report as one static HTML file: the totals, three inline SVG charts (kilograms by material
/// per month, points issued against redeemed per month, the top collection points) and the
/// table. No script, no font, nothing fetched from elsewhere: it opens the same offline, in a
/// browser, on a phone, or attached to an email. Every text is escaped.
enum ReportHTML {
    /// The colours of the series, materials in turn; the test finds the charts by them.
    static let palette = ["#1b7f3b", "#0e7490", "#c2410c", "#7c3aed", "#0f766e", "#b45309", "#be185d", "#4d7c0f"]
    static let issuedColour = "#2f6fb3"
    static let redeemedColour = "#e07b24"
    static let pointColour = "#6b4fa0"

    static func render(_ report: LedgerReport, by grouping: LedgerReport.Grouping, title: String, head: String) -> String {
        let span = "\(LedgerReport.dayKey(report.fromMs, offsetMinutes: report.offsetMinutes)) to "
            + LedgerReport.dayKey(report.toMs - 1, offsetMinutes: report.offsetMinutes)
        var html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)): \(escape(span))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #1f2937; }
            h1 { font-size: 1.4rem; margin-bottom: 0.2rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
            .span { color: #4b5563; margin-top: 0; }
            .totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: 0.5rem; }
            .total { background: #f3f4f6; border-radius: 0.4rem; padding: 0.5rem 0.7rem; }
            .total b { display: block; font-size: 1.2rem; }
            svg { width: 100%; height: auto; display: block; }
            svg text { font-size: 17px; fill: #374151; }
            .legend span { display: inline-block; margin-right: 1rem; } .legend i { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem; vertical-align: middle; }
            .table { overflow-x: auto; } table { border-collapse: collapse; font-size: 0.9rem; } th, td { padding: 0.25rem 0.5rem; text-align: right; border-bottom: 1px solid #e5e7eb; white-space: nowrap; }
            th:first-child, td:first-child { text-align: left; } tr.total-row td { font-weight: bold; }
            footer { margin-top: 2rem; color: #6b7280; font-size: 0.8rem; word-break: break-all; }
            </style>
            </head>
            <body>
            <h1>\(escape(title))</h1>
            <p class="span">\(escape(span)) (UTC\(escape(SchemeState(offsetMinutes: report.offsetMinutes, dailyCap: nil, monthlyCap: nil, lastSeq: 0).offsetText)))</p>

            """
        let total = report.total
        var totals: [(String, String)] = [("Kilograms diverted", Grams(total.grams).kilograms), ("Drop-offs", String(total.dropoffs)),
                                          ("Points issued", total.issued.description), ("Redeemed", total.redeemed.description),
                                          ("Donated", total.donated.description), ("Settled", total.settled.description),
                                          ("Expired", total.expired.description), ("Forfeited", total.forfeited.description)]
        if let outstanding = total.outstanding { totals.append(("Outstanding", outstanding.description)) }
        html += "<div class=\"totals\">\n" + totals.map { "<div class=\"total\">\(escape($0.0))<b>\(escape($0.1))</b></div>" }.joined(separator: "\n") + "\n</div>\n"
        html += "<h2>Kilograms collected by material, per month</h2>\n" + materialChart(report)
        html += "<h2>Points issued and redeemed, per month</h2>\n" + pointsChart(report)
        html += "<h2>Top collection points, by kilograms</h2>\n" + topPointsChart(report)
        html += "<h2>Figures by \(escape(grouping.rawValue))</h2>\n" + table(report, by: grouping)
        html += "<footer>From ecoledger's journal, head \(escape(head)). Figures are net: a drop-off reversed or voided later is taken back in the month it was undone.</footer>\n</body>\n</html>\n"
        return html
    }

    // MARK: Charts

    private static let width = 640.0, left = 84.0, right = 12.0, top = 30.0

    /// Stacked bars: each month's kilograms, one colour per material.
    static func materialChart(_ report: LedgerReport) -> String {
        let months = report.months.map(\.key)
        let materials = report.materials.map(\.key)
        let colour = Dictionary(uniqueKeysWithValues: materials.enumerated().map { ($1, palette[$0 % palette.count]) })
        let heights = months.map { month in Double(max(0, report.gramsByMonthAndMaterial[month]?.values.reduce(0, +) ?? 0)) / 1000 }
        let scale = niceMaximum(heights.max() ?? 0)
        let height = 280.0, plot = height - top - 36
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"kilograms by material per month\">\n" + axis(scale: scale, height: height, unit: "kg")
        let band = (width - left - right) / Double(max(months.count, 1))
        for (index, month) in months.enumerated() {
            var y = top + plot
            for material in materials {
                let grams = max(0, report.gramsByMonthAndMaterial[month]?[material] ?? 0)
                let kg = Double(grams) / 1000
                guard kg > 0, scale > 0 else { continue }
                let barHeight = kg / scale * plot
                y -= barHeight
                svg += rect(x: left + Double(index) * band + band * 0.15, y: y, width: band * 0.7, height: barHeight, fill: colour[material]!,
                            title: "\(month) \(material): \(Grams(grams).kilograms) kg")
            }
            svg += monthLabel(month, index: index, band: band, count: months.count, y: height - 20)
        }
        svg += "</svg>\n<p class=\"legend\">" + materials.map { "<span><i style=\"background:\(colour[$0]!)\"></i>\(escape($0))</span>" }.joined() + "</p>\n"
        return svg
    }

    /// Two bars a month: points issued and points redeemed.
    static func pointsChart(_ report: LedgerReport) -> String {
        let months = report.months
        let values = months.flatMap { [max(0, Double($0.figures.issued.centipoints)), max(0, Double($0.figures.redeemed.centipoints))] }.map { $0 / 100 }
        let scale = niceMaximum(values.max() ?? 0)
        let height = 280.0, plot = height - top - 36
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"points issued and redeemed per month\">\n" + axis(scale: scale, height: height, unit: "pts")
        let band = (width - left - right) / Double(max(months.count, 1))
        for (index, month) in months.enumerated() {
            let pairs = [(month.figures.issued, issuedColour, "issued"), (month.figures.redeemed, redeemedColour, "redeemed")]
            for (offset, (points, fill, what)) in pairs.enumerated() {
                let value = max(0, Double(points.centipoints) / 100)
                guard value > 0, scale > 0 else { continue }
                let barHeight = value / scale * plot
                svg += rect(x: left + Double(index) * band + band * (0.1 + 0.4 * Double(offset)), y: top + plot - barHeight, width: band * 0.4,
                            height: barHeight, fill: fill, title: "\(month.key) \(what): \(points) points")
            }
            svg += monthLabel(month.key, index: index, band: band, count: months.count, y: height - 20)
        }
        svg += "</svg>\n<p class=\"legend\"><span><i style=\"background:\(issuedColour)\"></i>issued</span><span><i style=\"background:\(redeemedColour)\"></i>redeemed</span></p>\n"
        return svg
    }

    /// Horizontal bars: the ten points that collected the most.
    static func topPointsChart(_ report: LedgerReport) -> String {
        let points = Array(report.points.filter { $0.figures.grams > 0 }.prefix(10))
        let rowHeight = 34.0
        let height = top + Double(max(points.count, 1)) * rowHeight + 8
        let labelWidth = 150.0
        let scale = niceMaximum(Double(points.first?.figures.grams ?? 0) / 1000)
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"top collection points by kilograms\">\n"
        for (index, point) in points.enumerated() {
            let kg = Double(point.figures.grams) / 1000
            let y = top + Double(index) * rowHeight
            let barWidth = scale > 0 ? kg / scale * (width - labelWidth - 110) : 0
            svg += "<text x=\"\(Int(labelWidth - 6))\" y=\"\(format2(y + 22))\" text-anchor=\"end\">\(escape(point.key))</text>\n"
            let exact = Grams(point.figures.grams).kilograms
            svg += rect(x: labelWidth, y: y + 3, width: barWidth, height: rowHeight - 8, fill: pointColour, title: "\(point.key): \(exact) kg")
            svg += "<text x=\"\(format2(labelWidth + barWidth + 4))\" y=\"\(format2(y + 22))\">\(escape(exact)) kg</text>\n"
        }
        if points.isEmpty { svg += "<text x=\"\(Int(labelWidth))\" y=\"28\">no drop-offs in this span</text>\n" }
        return svg + "</svg>\n"
    }

    private static func axis(scale: Double, height: Double, unit: String) -> String {
        let plot = height - top - 36
        var svg = "<line x1=\"\(Int(left))\" y1=\"\(Int(top + plot))\" x2=\"\(Int(width - right))\" y2=\"\(Int(top + plot))\" stroke=\"#9ca3af\"/>\n"
        for step in 0...4 {
            let value = scale * Double(step) / 4
            let y = top + plot - plot * Double(step) / 4
            svg += "<line x1=\"\(Int(left))\" y1=\"\(format2(y))\" x2=\"\(Int(width - right))\" y2=\"\(format2(y))\" stroke=\"#e5e7eb\"/>\n"
            svg += "<text x=\"\(Int(left - 6))\" y=\"\(format2(y + 4))\" text-anchor=\"end\">\(escape(format(value)))</text>\n"
        }
        return svg + "<text x=\"4\" y=\"16\">\(escape(unit))</text>\n"
    }

    private static func monthLabel(_ month: String, index: Int, band: Double, count: Int, y: Double) -> String {
        // At most six labels, so they never overlap on a phone.
        let every = max(1, Int((Double(count) / 6).rounded(.up)))
        guard index % every == 0 else { return "" }
        return "<text x=\"\(format2(left + (Double(index) + 0.5) * band))\" y=\"\(format2(y + 12))\" text-anchor=\"middle\">\(escape(month))</text>\n"
    }

    private static func rect(x: Double, y: Double, width: Double, height: Double, fill: String, title: String) -> String {
        "<rect x=\"\(format2(x))\" y=\"\(format2(y))\" width=\"\(format2(width))\" height=\"\(format2(height))\" fill=\"\(fill)\"><title>\(escape(title))</title></rect>\n"
    }

    // MARK: Table

    static func table(_ report: LedgerReport, by grouping: LedgerReport.Grouping) -> String {
        var html = "<div class=\"table\"><table>\n<tr><th>\(escape(grouping.rawValue))</th>" + ReportCSV.columns.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        for group in report.groups(grouping) {
            html += "<tr><td>\(escape(group.key))</td>" + ReportCSV.values(group.figures).map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n"
        }
        html += "<tr class=\"total-row\"><td>total</td>" + ReportCSV.values(report.total).map { "<td>\(escape($0))</td>" }.joined() + "</tr>\n"
        return html + "</table></div>\n"
    }

    // MARK: Text

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A round axis maximum at or above `value` (1, 2 or 5 times a power of ten).
    static func niceMaximum(_ value: Double) -> Double {
        guard value > 0 else { return 0 }
        var power = 1.0
        while power * 10 <= value { power *= 10 }
        while power > value { power /= 10 }
        for factor in [1.0, 2.0, 5.0, 10.0] where factor * power >= value { return factor * power }
        return 10 * power
    }

    /// Up to two decimals, no trailing zeros: the axes' tick labels only. Chart geometry is the
    /// one place a report uses floating point; every figure shown is the exact decimal.
    static func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int64(rounded)) }
        return format2(rounded)
    }

    static func format2(_ value: Double) -> String {
        let hundredths = Int64((value * 100).rounded())
        let whole = hundredths / 100, fraction = abs(hundredths % 100)
        return "\(hundredths < 0 && whole == 0 ? "-" : "")\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
