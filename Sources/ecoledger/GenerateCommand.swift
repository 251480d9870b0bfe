import ArgumentParser
import LedgerCLI
import Foundation
import LedgerPersistence
import LedgerFixtures
import LedgerStore

#if canImport(Glibc)
import Glibc
#endif

/// `ecoledger generate`: a large, valid ledger in seconds, for benchmarks and scale tests.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Create a ledger of N valid, chained entries (synthetic residents and drop-offs, and every other kind of entry) for benchmarks.")

    @Option(help: "Path of the ledger file to create; it must not exist.")
    var db: String

    @Option(help: "How many entries the journal should hold (at least 200: every kind of entry appears).")
    var entries: Int64 = 1_000_000

    @Option(help: "How many synthetic residents (R-GEN-0 …) the drop-offs go to (at most a quarter of the entries).")
    var accounts = 10_000

    func run() throws {
        try CLIFailure.report {
            let started = ContinuousClock.now
            let showProgress = isatty(STDERR_FILENO) == 1
            let store = try LedgerGenerator.create(at: db, entries: entries, accounts: accounts) { written in
                if showProgress { FileDescriptorOutput.writeStderr("\rwritten \(written) of \(entries) entries") }
            }
            if showProgress { FileDescriptorOutput.writeStderr("\n") }
            let head = try store.head()
            try store.close()
            let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18 + Double((ContinuousClock.now - started).components.seconds)
            print("generated \(db) entries=\(head.seq) head=\(head.seq):\(head.hash.hex) seconds=\(String(format: "%.1f", seconds))")
        }
    }
}
