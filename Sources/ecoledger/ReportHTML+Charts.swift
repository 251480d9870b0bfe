import LedgerCore

/// The report's charts, as inline SVG: no script, nothing fetched, printable.
extension ReportHTML {
    /// Chart geometry, in the SVG's own units: 19-unit text is 13 px on a 360 px phone.
    private static let width = 480.0, right = 8.0, top = 30.0
    private static let charWidth = 11.0

    /// Stacked bars: each month's kilograms, one colour per material.
    static func materialChart(_ report: LedgerReport, context: Context) -> String {
        let months = report.months.map(\.key)
        let materials = report.materials.map(\.key)
        let colour = Dictionary(uniqueKeysWithValues: materials.enumerated().map { ($1, palette[$0 % palette.count]) })
        let heights = months.map { month in Double(max(0, report.gramsByMonthAndMaterial[month]?.values.reduce(0, +) ?? 0)) / 1000 }
        let scale = niceMaximum(heights.max() ?? 0)
        let height = 280.0, plot = height - top - 36
        let (axisSVG, left) = axis(scale: scale, height: height, unit: "kg")
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"kilograms by material per month\">\n" + axisSVG
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
                            title: "\(month) \(context.materialNames[material] ?? material): \(kilograms(grams)) kg")
            }
            svg += monthLabel(month, index: index, band: band, left: left, count: months.count, y: height - 20)
        }
        svg += "</svg>\n<p class=\"legend\">" + materials.map { "<span><i style=\"background:\(colour[$0]!)\"></i>\(named($0, context.materialNames[$0]))</span>" }.joined() + "</p>\n"
        return svg
    }

    /// Two bars a month: points issued and points redeemed.
    static func pointsChart(_ report: LedgerReport, held: Bool) -> String {
        let months = report.months
        let values = months.flatMap { [max(0, Double($0.figures.issued.centipoints)), max(0, Double($0.figures.redeemed.centipoints))] }.map { $0 / 100 }
        let scale = niceMaximum(values.max() ?? 0)
        let height = 280.0, plot = height - top - 36
        let (axisSVG, left) = axis(scale: scale, height: height, unit: "points")
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"points issued and redeemed per month\">\n" + axisSVG
        let band = (width - left - right) / Double(max(months.count, 1))
        for (index, month) in months.enumerated() {
            let pairs = [(month.figures.issued, issuedColour, "issued"), (month.figures.redeemed, redeemedColour, "redeemed")]
            for (offset, (amount, fill, what)) in pairs.enumerated() {
                let value = max(0, Double(amount.centipoints) / 100)
                guard value > 0, scale > 0 else { continue }
                let barHeight = value / scale * plot
                svg += rect(x: left + Double(index) * band + band * (0.1 + 0.4 * Double(offset)), y: top + plot - barHeight, width: band * 0.4,
                            height: barHeight, fill: fill, title: "\(month.key) \(what): \(points(amount)) points")
            }
            svg += monthLabel(month.key, index: index, band: band, left: left, count: months.count, y: height - 20)
        }
        svg += "</svg>\n<p class=\"legend\"><span><i style=\"background:\(issuedColour)\"></i>issued\(held ? heldMark : "")</span>"
            + "<span><i style=\"background:\(redeemedColour)\"></i>redeemed</span></p>\n"
        return svg
    }

    /// Horizontal bars: the ten points that collected the most, each named above its bar.
    static func topPointsChart(_ report: LedgerReport, context: Context) -> String {
        let top10 = Array(report.points.filter { $0.figures.grams > 0 }.prefix(10))
        let rowHeight = 58.0
        let height = 8 + Double(max(top10.count, 1)) * rowHeight
        let scale = niceMaximum(Double(top10.first?.figures.grams ?? 0) / 1000)
        let valueWidth = Double(top10.map { kilograms($0.figures.grams).count + 3 }.max() ?? 0) * charWidth + 8
        var svg = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"top collection points by kilograms\">\n"
        for (index, point) in top10.enumerated() {
            let y = 4 + Double(index) * rowHeight
            let (name, code) = plainLabel(point.key, name: context.pointNames[point.key], limit: Int((width - 8) / charWidth))
            svg += "<text x=\"4\" y=\"\(format2(y + 20))\">\(escape(name))"
                + (code.isEmpty ? "" : " <tspan class=\"code\">\(escape(code))</tspan>") + "</text>\n"
            let barWidth = scale > 0 ? Double(point.figures.grams) / 1000 / scale * (width - 4 - right - valueWidth) : 0
            let exact = kilograms(point.figures.grams)
            svg += rect(x: 4, y: y + 28, width: barWidth, height: 22, fill: pointColour, title: "\(context.pointNames[point.key] ?? point.key): \(exact) kg")
            svg += "<text x=\"\(format2(4 + barWidth + 6))\" y=\"\(format2(y + 46))\">\(escape(exact)) kg</text>\n"
        }
        if top10.isEmpty { svg += "<text x=\"4\" y=\"36\">no drop-offs in this span</text>\n" }
        return svg + "</svg>\n"
    }

    /// The value axis with five ticks, and the left margin its widest label needs.
    private static func axis(scale: Double, height: Double, unit: String) -> (svg: String, left: Double) {
        let plot = height - top - 36
        let ticks = (0...4).map { withSeparators(format(scale * Double($0) / 4)) }
        let left = Double(ticks.map(\.count).max() ?? 1) * charWidth + 12
        var svg = "<line x1=\"\(Int(left))\" y1=\"\(Int(top + plot))\" x2=\"\(Int(width - right))\" y2=\"\(Int(top + plot))\" stroke=\"#9ca3af\"/>\n"
        for (step, tick) in ticks.enumerated() {
            let y = top + plot - plot * Double(step) / 4
            svg += "<line x1=\"\(Int(left))\" y1=\"\(format2(y))\" x2=\"\(Int(width - right))\" y2=\"\(format2(y))\" stroke=\"#e5e7eb\"/>\n"
            svg += "<text x=\"\(Int(left - 6))\" y=\"\(format2(y + 6))\" text-anchor=\"end\">\(escape(tick))</text>\n"
        }
        return (svg + "<text x=\"4\" y=\"18\">\(escape(unit))</text>\n", left)
    }

    private static func monthLabel(_ month: String, index: Int, band: Double, left: Double, count: Int, y: Double) -> String {
        // At most four labels, so they never overlap on a phone, and none runs off either edge.
        let every = max(1, Int((Double(count) / 4).rounded(.up)))
        guard index % every == 0 else { return "" }
        let half = Double(month.count) * charWidth / 2
        let x = min(max(left + (Double(index) + 0.5) * band, half + 2), width - half - 2)
        return "<text x=\"\(format2(x))\" y=\"\(format2(y + 14))\" text-anchor=\"middle\">\(escape(month))</text>\n"
    }

    private static func rect(x: Double, y: Double, width: Double, height: Double, fill: String, title: String) -> String {
        "<rect x=\"\(format2(x))\" y=\"\(format2(y))\" width=\"\(format2(width))\" height=\"\(format2(height))\" fill=\"\(fill)\"><title>\(escape(title))</title></rect>\n"
    }
}
