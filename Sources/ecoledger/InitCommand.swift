import ArgumentParser
import LedgerCLI
import LedgerFixtures
import LedgerStore
import LedgerPersistence

/// `ecoledger init`: creates a new, empty ledger file (or the documented example ledger).
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a new ledger file.")

    @Option(help: "Path of the ledger file to create; it must not exist.")
    var db: String

    @Flag(help: "Fill it with the small example ledger of docs/LEDGER.md (fixed times and salts).")
    var example = false

    func run() throws {
        try CLIFailure.report {
            let store = try example ? LedgerStore.create(at: db, clock: ExampleLedger.clock()) : LedgerStore.create(at: db)
            if example { try ExampleLedger.populate(store) }
            let head = try store.head()
            try store.close()
            print("created \(db) entries=\(head.seq) head=\(head.seq):\(head.hash.hex)")
        }
    }
}
