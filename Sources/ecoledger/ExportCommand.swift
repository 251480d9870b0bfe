import ArgumentParser
import LedgerCLI
import LedgerPersistence

#if canImport(Glibc)
import Glibc
#endif

extension ExportFormat: ExpressibleByArgument {}

/// `ecoledger export`: every entry with all its fields and hashes, streamed to stdout.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write every entry, one per line, to stdout.")

    @Option(help: "The ledger file (opened read-only; the server may be running), or postgres://USER@HOST:PORT/DATABASE.")
    var db: String

    @Option(help: "jsonl (one JSON object per line) or csv (with a header row).")
    var format: ExportFormat = .jsonl

    func run() throws {
        try CLIFailure.report {
            let output = FileDescriptorOutput(descriptor: STDOUT_FILENO)
            try LedgerLocation(db).openForRows().withRowSource { source in
                try JournalExport.export(from: source, format) { line in try output.write(line) }
            }
            try output.flush()
        }
    }
}
