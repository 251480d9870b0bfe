import ArgumentParser
import LedgerCLI
import LedgerCore
import LedgerPersistence
import LedgerStore

#if canImport(Glibc)
import Glibc
#endif

/// The `ecoledger` command-line tool: offline administration of a ledger file, and a client
/// for `ecoledgerd`.
@main
struct EcoLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecoledger",
        abstract: "A hash-chained, double-entry points ledger for recycling rewards.",
        version: EcoLedgerVersion.text,
        subcommands: [InitCommand.self, VerifyCommand.self, ExportCommand.self, CallCommand.self, ConnectCommand.self,
                      KeyCommand.self, ReceiptCommand.self, WitnessCommand.self, GenerateCommand.self, BackupCommand.self,
                      RestoreCommand.self, KioskCommand.self, ReportCommand.self, CopyCommand.self])

    /// As ArgumentParser's own `main`, but a mistyped subcommand (`ecoledger verfy --db x`) is
    /// named, with the nearest one, instead of being reported as an unknown option of the root.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        let names = configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
        if let first = arguments.first, !first.hasPrefix("-"), !names.contains(first) {
            let hint = PassthroughCheck.suggestion(for: first, among: names).map { "; did you mean '\($0)'?" } ?? ""
            FileDescriptorOutput.writeStderr("Error: unknown command '\(first)'\(hint)\n  See 'ecoledger --help' for the commands.\n")
            Glibc.exit(ExitCode.validationFailure.rawValue)
        }
        do {
            var command = try parseAsRoot(arguments)
            if var asynchronous = command as? AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
