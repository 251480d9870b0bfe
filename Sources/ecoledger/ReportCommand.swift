import ArgumentParser
import Foundation
import LedgerCLI
import LedgerCore
import LedgerStore

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

    @Option(help: "The ledger file (opened read-only; the server may be running).")
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
            let store = try LedgerStore.open(at: db, readOnly: true)
            defer { try? store.close() }
            let span = LedgerReport.span(from: from.flatMap(LedgerReport.LocalDate.init(parsing:)), to: to.flatMap(LedgerReport.LocalDate.init(parsing:)),
                                         offsetMinutes: try store.scheme().offsetMinutes)
            let report = try store.report(fromMs: span.fromMs, toMs: span.toMs)
            let head = try store.head()
            let text = switch format {
            case .csv: ReportCSV.render(report, by: by)
            case .html: ReportHTML.render(report, by: by, title: title, head: "\(head.seq):\(head.hash.hex)")
            }
            if let out {
                guard FileManager.default.createFile(atPath: out, contents: Data(text.utf8)) else { throw CLIFailure.message("cannot write \(out)") }
            } else {
                FileDescriptorOutput.writeStdout(text)
            }
        }
    }
}
