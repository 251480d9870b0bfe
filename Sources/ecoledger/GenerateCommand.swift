import ArgumentParser
import LedgerCLI
import Foundation
import LedgerPersistence
import LedgerFixtures
import LedgerCore
import LedgerPostgres
import LedgerStore

#if canImport(Glibc)
import Glibc
#endif

/// `ecoledger generate`: a large, valid ledger in seconds, for benchmarks and scale tests.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Create a ledger of N valid, chained entries (synthetic residents and drop-offs, and every other kind of entry) for benchmarks.")

    @Option(help: "The ledger file to create (it must not exist), or postgres://USER@HOST:PORT/DATABASE (an empty database).")
    var db: String

    @Option(help: "How many entries the journal should hold (at least 200: every kind of entry appears).")
    var entries: Int64 = 1_000_000

    @Option(help: "How many synthetic residents (R-GEN-0 …) the drop-offs go to (at most a quarter of the entries).")
    var accounts = 10_000

    func run() throws {
        try CLIFailure.report {
            let started = ContinuousClock.now
            let showProgress = isatty(STDERR_FILENO) == 1
            let progress = { (written: Int64) in
                if showProgress { FileDescriptorOutput.writeStderr("\rwritten \(written) of \(entries) entries") }
            }
            let head: ChainHead
            switch try LedgerLocation(db) {
            case .file(let path):
                let store = try LedgerGenerator.create(at: path, entries: entries, accounts: accounts, progress: progress)
                head = try store.head()
                try store.close()
            case .postgres(let url):
                let ledger = try LedgerGenerator.fill(entries: entries, accounts: accounts, progress: progress) { clock in
                    let ledger = try PostgresLedger.create(url: url, password: try url.password(), clock: clock)
                    guard case .acquired = try ledger.acquireLease() else { throw CLIFailure.message("another ecoledgerd writes \(url)") }
                    return ledger
                }
                ledger.releaseLease()
                head = try ledger.read { try $0.head() }
                ledger.close()
            }
            if showProgress { FileDescriptorOutput.writeStderr("\n") }
            let seconds = Double((ContinuousClock.now - started).components.attoseconds) / 1e18 + Double((ContinuousClock.now - started).components.seconds)
            print("generated \(db) entries=\(head.seq) head=\(head.seq):\(head.hash.hex) seconds=\(String(format: "%.1f", seconds))")
        }
    }
}
