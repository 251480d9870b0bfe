import ArgumentParser
import LedgerStore

/// The `ecoledger` command-line tool: offline administration of a ledger file.
@main
struct EcoLedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecoledger",
        abstract: "A hash-chained, double-entry points ledger for recycling rewards.",
        subcommands: [InitCommand.self, VerifyCommand.self, ExportCommand.self])
}
