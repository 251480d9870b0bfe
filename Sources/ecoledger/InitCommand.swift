import ArgumentParser
import LedgerCLI
import LedgerFixtures
import LedgerStore
import LedgerCore
import LedgerPersistence
import LedgerPostgres

/// `ecoledger init`: creates a new, empty ledger (a file or a PostgreSQL database) (or the documented example ledger).
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a new ledger (a file, or the tables in an empty PostgreSQL database).")

    @Option(help: "The ledger to create: a file path that must not exist, or postgres://USER@HOST:PORT/DATABASE (an empty database).")
    var db: String

    @Flag(help: "Fill it with the small example ledger of docs/LEDGER.md (fixed times and salts).")
    var example = false

    func run() throws {
        try CLIFailure.report {
            let head: ChainHead
            switch try LedgerLocation(db) {
            case .file(let path):
                let store = try example ? LedgerStore.create(at: path, clock: ExampleLedger.clock()) : LedgerStore.create(at: path)
                if example { try ExampleLedger.populate(store) }
                head = try store.head()
                try store.close()
            case .postgres(let url):
                let ledger = try example ? PostgresLedger.create(url: url, password: try url.password(), clock: ExampleLedger.clock())
                    : PostgresLedger.create(url: url, password: try url.password())
                defer { ledger.close() }
                if example {
                    guard case .acquired = try ledger.acquireLease() else { throw CLIFailure.message("another ecoledgerd writes \(url)") }
                    try ExampleLedger.populate(ledger)
                    ledger.releaseLease()
                }
                head = try ledger.read { try $0.head() }
            }
            print("created \(db) entries=\(head.seq) head=\(head.seq):\(head.hash.hex)")
        }
    }
}
