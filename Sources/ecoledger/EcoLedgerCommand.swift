import ArgumentParser
import LedgerStore

/// The `ecoledger` command-line tool: offline administration of a ledger file, and a client
/// for `ecoledgerd`.
@main
struct EcoLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecoledger",
        abstract: "A hash-chained, double-entry points ledger for recycling rewards.",
        subcommands: [InitCommand.self, VerifyCommand.self, ExportCommand.self, CallCommand.self, ConnectCommand.self,
                      KeyCommand.self, ReceiptCommand.self, WitnessCommand.self, GenerateCommand.self, BackupCommand.self,
                      RestoreCommand.self, KioskCommand.self, ReportCommand.self])
}
