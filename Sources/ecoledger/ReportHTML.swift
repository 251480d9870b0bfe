import LedgerCore

/// A report as one static HTML file for the people who read it (a city official, on a phone or
/// on paper): the totals, three inline SVG charts (kilograms by material per month, points
/// issued against redeemed per month, the top collection points), the table, and what each
/// figure means. Names beside codes, thousands separators on every figure, a table that becomes
/// one card per row on a narrow screen and prints on a landscape A4 page. No script, no font,
/// nothing fetched from elsewhere: it opens the same offline, in a browser, on a phone, or
/// attached to an email. Every text is escaped.
enum ReportHTML {
    /// What the page shows beside the journal's figures: names for codes, the points still
    /// held, and the scheme's expiry.
    struct Context {
        /// Material code → its name.
        var materialNames: [String: String] = [:]
        /// Collection point id → its name.
        var pointNames: [String: String] = [:]
        /// Collection point id → its district.
        var pointDistricts: [String: String] = [:]
        var held = Held()
        /// The head the report was read at (`seq:hash`), named in the footer.
        var head = ""
        var expiryMs = SchemeState.defaultExpiryMs
    }

    /// Drop-offs still held (pending verification) when the report was made. The figures count
    /// them as issued, and outstanding, from the day they were weighed; a hold voided later is
    /// taken back in the month it is voided. The page marks every figure that includes them.
    struct Held {
        /// Those weighed in the span: in its points issued.
        var dropoffs = 0
        var points = Points.zero
        /// Points of those per group of each grouping (month, material, point, district).
        var byGroup: [LedgerReport.Grouping: [String: Points]] = [:]
        /// Those weighed before the span's end, in it or earlier: in outstanding.
        var outstanding = Points.zero
        /// When the earliest of those was weighed: the outstanding at the end of its month, and
        /// of every later one, includes it.
        var earliestMs: Int64?

        /// Counts one held drop-off weighed before the span's end; `month`, `material`, `point`
        /// and `district` when it was weighed in the span.
        mutating func add(_ amount: Points, weighedMs: Int64, inSpan groups: (month: String, material: String, point: String, district: String)?) throws {
            outstanding = try outstanding.adding(amount)
            earliestMs = min(earliestMs ?? weighedMs, weighedMs)
            guard let groups else { return }
            dropoffs += 1
            points = try points.adding(amount)
            for (grouping, key) in [(LedgerReport.Grouping.month, groups.month), (.material, groups.material), (.point, groups.point), (.district, groups.district)] {
                byGroup[grouping, default: [:]][key] = try (byGroup[grouping]?[key] ?? .zero).adding(amount)
            }
        }
    }

    /// The colours of the series, materials in turn; the test finds the charts by them.
    static let palette = ["#1b7f3b", "#0e7490", "#c2410c", "#7c3aed", "#0f766e", "#b45309", "#be185d", "#4d7c0f"]
    static let issuedColour = "#2f6fb3"
    static let redeemedColour = "#e07b24"
    static let pointColour = "#6b4fa0"
    /// Marks a figure that counts held points, and its footnote.
    static let heldMark = "<sup class=\"mark\">*</sup>"

    static func render(_ report: LedgerReport, by grouping: LedgerReport.Grouping, title: String, context: Context) -> String {
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
            \(style)
            </style>
            </head>
            <body>
            <h1>\(escape(title))</h1>
            <p class="span">\(escape(span)) (UTC\(escape(SchemeState.offsetText(report.offsetMinutes))))</p>

            """
        let total = report.total
        let held = context.held.points > .zero
        let heldOutstanding = context.held.outstanding > .zero
        var totals: [(String, String)] = [("Kilograms diverted", kilograms(total.grams)), ("Drop-offs", count(total.dropoffs)),
                                          ("Points issued", points(total.issued) + (held ? heldMark : "")),
                                          ("Redeemed", points(total.redeemed)), ("Donated", points(total.donated)),
                                          ("Settled", points(total.settled)), ("Expired", points(total.expired)),
                                          ("Forfeited", points(total.forfeited))]
        if let outstanding = total.outstanding { totals.append(("Outstanding", points(outstanding) + (heldOutstanding ? heldMark : ""))) }
        html += "<div class=\"totals\">\n" + totals.map { "<div class=\"total\">\(escape($0.0))<b>\($0.1)</b></div>" }.joined(separator: "\n") + "\n</div>\n"
        if heldOutstanding { html += "<p class=\"note\">\(heldMark) \(heldNote(context))</p>\n" }
        html += "<p class=\"note\"><a href=\"#terms\">What these figures mean</a>, and why outstanding can be larger than the points issued.</p>\n"
        html += "<h2>Kilograms collected by material, per month</h2>\n" + materialChart(report, context: context)
        html += "<h2>Points issued and redeemed, per month</h2>\n" + pointsChart(report, held: held)
        html += "<h2>Top collection points, by kilograms</h2>\n" + topPointsChart(report, context: context)
        html += table(report, by: grouping, context: context)
        html += glossary(context)
        html += "<footer>From ecoledger's journal, head \(escape(context.head)). Figures are net: a drop-off reversed or voided later is taken back in the month it was undone.</footer>\n</body>\n</html>\n"
        return html
    }

    /// The page's stylesheet. Narrow screens get the table as cards; paper gets A4 pages, the
    /// table on a landscape one so its ten columns fit at a readable size.
    static let style = """
        body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 64rem; padding: 1rem; color: #1f2937; overflow-wrap: break-word; }
        h1 { font-size: 1.4rem; margin-bottom: 0.2rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
        .span { color: #4b5563; margin-top: 0; }
        .totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: 0.5rem; }
        .total { background: #f3f4f6; border-radius: 0.4rem; padding: 0.5rem 0.7rem; }
        .total b { display: block; font-size: 1.2rem; }
        .note { color: #4b5563; font-size: 0.9rem; } .mark { color: #b45309; font-weight: bold; }
        svg { width: 100%; max-width: 32rem; height: auto; display: block; }
        svg text { font-size: 19px; fill: #374151; } svg .code { fill: #6b7280; }
        .legend span { display: inline-block; margin-right: 1rem; } .legend i { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.3rem; vertical-align: middle; }
        table { border-collapse: collapse; width: 100%; font-size: 0.9rem; font-variant-numeric: tabular-nums; }
        th, td { padding: 0.3rem 0.5rem; text-align: right; border-bottom: 1px solid #e5e7eb; }
        td { white-space: nowrap; } thead th { vertical-align: bottom; } thead th:first-child { text-align: left; }
        th[scope="row"] { text-align: left; font-weight: normal; } tr.total-row th, tr.total-row td { font-weight: bold; }
        .code { color: #6b7280; font-size: 0.85em; }
        dl.terms dt { font-weight: bold; margin-top: 0.6rem; } dl.terms dd { margin: 0.1rem 0 0 0; }
        footer { margin-top: 2rem; color: #6b7280; font-size: 0.8rem; word-break: break-all; }
        @media screen and (max-width: 64rem) {
          table, tbody, tr, th, td { display: block; } thead { display: none; }
          tr { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0.3rem 1rem; border: 1px solid #e5e7eb; border-radius: 0.4rem; padding: 0.5rem 0.7rem; margin-bottom: 0.6rem; }
          th, td { border: 0; padding: 0; text-align: left; white-space: normal; }
          th[scope="row"] { grid-column: 1 / -1; font-weight: bold; }
          td::before { content: attr(data-label); display: block; font-size: 0.8rem; color: #6b7280; }
          td:empty { display: none; }
        }
        @media print {
          @page { size: A4 portrait; margin: 12mm; }
          @page wide { size: A4 landscape; margin: 12mm; }
          body { max-width: none; padding: 0; font-size: 10pt; }
          h2 { break-after: avoid; } .total, svg, tr, dt { break-inside: avoid; }
          .totals { grid-template-columns: repeat(3, 1fr); } .total { border: 1px solid #d1d5db; }
          svg { max-width: 12cm; }
          .figures { page: wide; } table { font-size: 9pt; } th, td { padding: 0.15rem 0.35rem; }
          a { color: inherit; text-decoration: none; }
        }
        """

    /// The footnote on figures that count held points as issued or outstanding.
    static func heldNote(_ context: Context) -> String {
        let held = context.held
        var note = "Held for verification when this report was made (head \(escape(String(context.head.prefix { $0 != ":" })))): "
        if held.points > .zero {
            note += "\(points(held.points)) points of \(count(Int64(held.dropoffs))) drop-off\(held.dropoffs == 1 ? "" : "s") of this span, included in "
                + (held.outstanding > held.points ? "points issued; \(points(held.outstanding)) points in all, with earlier drop-offs, included in outstanding. "
                                                  : "points issued and outstanding. ")
        } else {
            note += "\(points(held.outstanding)) points of drop-offs before this span, included in outstanding. "
        }
        return note + "Held points count from the day they were weighed; a hold voided later is taken back in the month it is voided."
    }

    // MARK: Names

    /// A group's key as people read it: the name, with the code (and a point's district) beside it.
    static func label(_ key: String, _ grouping: LedgerReport.Grouping, _ context: Context) -> String {
        switch grouping {
        case .month, .district: escape(key)
        case .material: named(key, context.materialNames[key])
        case .point: named(key, context.pointNames[key], detail: context.pointDistricts[key])
        }
    }

    /// `PET bottles PET`, the code smaller and grey; the code alone when there is no other name.
    static func named(_ key: String, _ name: String?, detail: String? = nil) -> String {
        let detail = detail.map { " · " + $0 } ?? ""
        guard let name, !name.isEmpty, name != key else { return escape(key) + (detail.isEmpty ? "" : " <span class=\"code\">\(escape(detail))</span>") }
        return "\(escape(name)) <span class=\"code\">\(escape(key + detail))</span>"
    }

    /// Plain text for a chart: `Aluminium cans (ALU)`, shortened to `limit` characters.
    static func plainLabel(_ key: String, name: String?, limit: Int) -> (name: String, code: String) {
        guard let name, !name.isEmpty, name != key else { return (shorten(key, limit), "") }
        return (shorten(name, max(8, limit - key.count - 3)), key)
    }

    static func shorten(_ text: String, _ limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    // MARK: Table

    /// The columns' headings (and, on a phone, each card's labels), in `ReportCSV.values` order.
    static let headings = ["Kilograms", "Drop-offs", "Issued", "Redeemed", "Donated", "Settled", "Expired", "Forfeited", "Outstanding"]

    static func table(_ report: LedgerReport, by grouping: LedgerReport.Grouping, context: Context) -> String {
        let groupHeading = ["month": "Month", "material": "Material", "point": "Collection point", "district": "District"][grouping.rawValue] ?? grouping.rawValue
        var html = "<section class=\"figures\">\n<h2>Figures by \(escape(groupHeading.lowercased()))</h2>\n<table>\n<thead><tr><th scope=\"col\">\(escape(groupHeading))</th>"
            + headings.map { "<th scope=\"col\">\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        let held = context.held.byGroup[grouping] ?? [:]
        // A month's outstanding includes every hold weighed by its end.
        let firstHeldMonth = context.held.earliestMs.map { LedgerReport.monthKey($0, offsetMinutes: report.offsetMinutes) }
        var outstandingHeld = context.held.earliestMs.map { $0 < report.fromMs } ?? false
        for group in report.groups(grouping) {
            if group.key == firstHeldMonth { outstandingHeld = true }
            html += "<tr><th scope=\"row\">\(label(group.key, grouping, context))</th>"
                + cells(group.figures, issuedHeld: held[group.key].map { $0 > .zero } ?? false, outstandingHeld: outstandingHeld) + "</tr>\n"
        }
        html += "<tr class=\"total-row\"><th scope=\"row\">Total</th>"
            + cells(report.total, issuedHeld: context.held.points > .zero, outstandingHeld: context.held.outstanding > .zero) + "</tr>\n</tbody>\n</table>\n"
        if context.held.outstanding > .zero { html += "<p class=\"note\">\(heldMark) Includes points still held for verification (see the totals).</p>\n" }
        return html + "</section>\n"
    }

    /// A row's figures; spending, expiry and outstanding are empty for materials, points and
    /// districts, which only drop-offs have.
    private static func cells(_ figures: LedgerReport.Figures, issuedHeld: Bool, outstandingHeld: Bool) -> String {
        var values = [kilograms(figures.grams), count(figures.dropoffs), points(figures.issued) + (issuedHeld ? heldMark : "")]
        if let outstanding = figures.outstanding {
            values += [figures.redeemed, figures.donated, figures.settled, figures.expired, figures.forfeited].map(points)
                + [points(outstanding) + (outstandingHeld ? heldMark : "")]
        } else {
            values += Array(repeating: "", count: 6)
        }
        return zip(headings, values).map { "<td data-label=\"\($0)\">\($1)</td>" }.joined()
    }

    // MARK: Glossary

    static func glossary(_ context: Context) -> String {
        let terms = [
            ("Kilograms diverted", "The weight of recyclables weighed at collection points and credited to residents."),
            ("Drop-offs", "How many times a resident's recyclables were weighed and credited."),
            ("Issued", "Points residents earned for their drop-offs."),
            ("Redeemed", "Points residents spent at partner stores."),
            ("Donated", "Points residents gave to a district's beneficiary pool."),
            ("Settled", "Points partner stores have been paid for by the city; they leave circulation."),
            ("Expired", "Points not used within \(duration(context.expiryMs)) of being earned (the scheme's current rule)."),
            ("Forfeited", "Points left on residents' accounts that were closed for good (the resident left or moved away)."),
            ("Outstanding", "Points residents still hold at the end of the span, not yet spent, given or expired: what the scheme still owes. "
                + "It counts every point earned before the span's end, not only during it, so it can be larger than the span's points issued."),
            ("Held", "Drop-offs of some materials are verified before their points can be spent. Their points count as issued, and outstanding, "
                + "from the day they were weighed; if a hold is voided, its points are taken back in the month it is voided."),
            ("Net", "Each movement counts in the month it happened. A drop-off reversed (or a held one voided) later is taken back in that later "
                + "month, so a published month never changes, and the months add up to the total."),
        ]
        return "<section id=\"terms\">\n<h2>What the figures mean</h2>\n<dl class=\"terms\">\n"
            + terms.map { "<dt>\(escape($0.0))</dt><dd>\(escape($0.1))</dd>" }.joined(separator: "\n") + "\n</dl>\n</section>\n"
    }

    /// `5 years`, `90 days`, `12 hours`: a duration in the largest unit that divides it.
    static func duration(_ ms: Int64) -> String {
        let units: [(Int64, String)] = [(SchemeState.yearMs, "year"), (86_400_000, "day"), (3_600_000, "hour"), (60_000, "minute"), (1_000, "second")]
        let (unit, name) = units.first { ms % $0.0 == 0 } ?? (1, "millisecond")
        let value = ms / unit
        return "\(count(value)) \(name)\(value == 1 ? "" : "s")"
    }

    // MARK: Text

    /// `1,828,547.53`: points, exact, from the centipoints.
    static func points(_ amount: Points) -> String { decimal(amount.centipoints, scale: 2, minDecimals: 2) }

    /// `12,345.678`: kilograms, exact, with as few decimals as exact.
    static func kilograms(_ grams: Int64) -> String { decimal(grams, scale: 3, minDecimals: 0) }

    /// `9,996`.
    static func count(_ value: Int64) -> String { decimal(value, scale: 0, minDecimals: 0) }

    /// An integer of `scale` implied decimals as exact decimal text with thousands separators.
    static func decimal(_ value: Int64, scale: Int, minDecimals: Int) -> String {
        var unit: UInt64 = 1
        for _ in 0..<scale { unit *= 10 }
        let magnitude = value.magnitude
        var fraction = scale == 0 ? "" : String(magnitude % unit)
        fraction = String(repeating: "0", count: scale - fraction.count) + fraction
        while fraction.count > minDecimals, fraction.last == "0" { fraction.removeLast() }
        return withSeparators((value < 0 ? "-" : "") + String(magnitude / unit) + (fraction.isEmpty ? "" : "." + fraction))
    }

    /// Decimal text (`-1234567.5`) with a comma between each group of three whole digits.
    static func withSeparators(_ text: String) -> String {
        let sign = text.hasPrefix("-") ? "-" : ""
        let unsigned = text.dropFirst(sign.count)
        let whole = unsigned.prefix { $0 != "." }
        var grouped = ""
        for (index, digit) in whole.enumerated() {
            if index > 0, (whole.count - index) % 3 == 0 { grouped += "," }
            grouped.append(digit)
        }
        return sign + grouped + unsigned.dropFirst(whole.count)
    }

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
