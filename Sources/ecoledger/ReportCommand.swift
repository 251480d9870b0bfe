import ArgumentParser
import Foundation
import LedgerPersistence
import LedgerCLI
import LedgerCore

extension LedgerReport.Grouping: ExpressibleByArgument {}

/// `ecoledger report`: what a city publishes of its scheme, from the ledger file.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Kilograms diverted and points issued, redeemed, donated, settled, expired and outstanding, as CSV or a one-file HTML report with charts.",
        discussion: """
            Dates are local days in the scheme's time zone (SCHEME SHOW's tz), --to included. The HTML report has \
            inline SVG charts and no script: it opens offline and on a phone. Figures are net, in the month a \
            movement happened (docs/OPERATIONS.md, "Reports").
            """)

    @Option(help: "The ledger file (opened read-only; the server may be running), or postgres://USER@HOST:PORT/DATABASE.")
    var db: String

    @Option(help: ArgumentHelp("The first day (YYYY-MM-DD). Default: the first entry's.", valueName: "date"))
    var from: String?

    @Option(help: ArgumentHelp("The last day, included (YYYY-MM-DD). Default: the last entry's.", valueName: "date"))
    var to: String?

    @Option(help: "How the table is grouped: month, material, point (collection point) or district (the point's).")
    var by: LedgerReport.Grouping = .month

    @Option(help: "csv or html.")
    var format: Format

    @Option(help: ArgumentHelp("Where to write it (default: stdout).", valueName: "file"))
    var out: String?

    @Option(help: "The HTML report's title.")
    var title = "Recycling rewards report"

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case csv, html
    }

    func validate() throws {
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, LedgerReport.LocalDate(parsing: value) == nil { throw ValidationError("\(name) must be a date YYYY-MM-DD, got \(value.debugDescription)") }
        }
        if let from = from.flatMap(LedgerReport.LocalDate.init(parsing:)), let to = to.flatMap(LedgerReport.LocalDate.init(parsing:)),
           from.startMs(offsetMinutes: 0) > to.startMs(offsetMinutes: 0) {
            throw ValidationError("--to is before --from")
        }
    }

    func run() throws {
        try CLIFailure.report {
            let text = try LedgerLocation(db).openForReading().read { store in
                let span = LedgerReport.span(from: from.flatMap(LedgerReport.LocalDate.init(parsing:)), to: to.flatMap(LedgerReport.LocalDate.init(parsing:)),
                                             offsetMinutes: try store.scheme().offsetMinutes)
                let report = try store.report(fromMs: span.fromMs, toMs: span.toMs)
                return switch format {
                case .csv: ReportCSV.render(report, by: by)
                case .html: ReportHTML.render(report, by: by, title: title, context: try Self.context(of: report, in: store))
                }
            }
            if let out {
                guard FileManager.default.createFile(atPath: out, contents: Data(text.utf8)) else { throw CLIFailure.message("cannot write \(out)") }
            } else {
                FileDescriptorOutput.writeStdout(text)
            }
        }
    }

    /// What the HTML report shows beside the figures: the names of materials and collection
    /// points, and the drop-offs still held when it was read (the figures count them as issued
    /// and outstanding). Read on the report's own snapshot, so the head named is the one the
    /// figures were read at.
    static func context(of report: LedgerReport, in store: any LedgerReads) throws -> ReportHTML.Context {
        let head = try store.head()
        let points = try store.points()
        var context = ReportHTML.Context()
        context.materialNames = Dictionary(try store.materials().map { ($0.code.rawValue, $0.name) }, uniquingKeysWith: { first, _ in first })
        context.pointNames = Dictionary(points.map { ($0.id.rawValue, $0.name) }, uniquingKeysWith: { first, _ in first })
        context.pointDistricts = Dictionary(points.compactMap { point in point.district.map { (point.id.rawValue, $0) } }, uniquingKeysWith: { first, _ in first })
        context.head = "\(head.seq):\(head.hash.hex)"
        context.expiryMs = try store.scheme().expiryMs
        // Every undecided hold (none is due after the end of time) weighed before the span's end.
        for seq in try store.holdsDue(asOf: .max) where seq <= head.seq {
            guard let dropoff = try store.entry(seq: seq), dropoff.kind == .dropoff, dropoff.timeMs < report.toMs else { continue }
            let point = dropoff.body[AttributeKey.point] ?? "?"
            let groups = dropoff.timeMs < report.fromMs ? nil
                : (month: LedgerReport.monthKey(dropoff.timeMs, offsetMinutes: report.offsetMinutes), material: dropoff.body[AttributeKey.material] ?? "?",
                   point: point, district: context.pointDistricts[point] ?? "(none)")
            try context.held.add(dropoff.body.amount, weighedMs: dropoff.timeMs, inSpan: groups)
        }
        return context
    }
}
