import ArgumentParser
import LedgerCLI
import LedgerHost
import LedgerStore
import LedgerPersistence
import LedgerTransparency

/// `ecoledger key`: the Ed25519 keys of the transparency log and of its witnesses.
struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Create a log or witness signing key, and print its public verifier key.",
        subcommands: [New.self, Public.self])

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new", abstract: "Write a new Ed25519 key (its 32-byte seed in hex) to a file created with mode 0600.")

        @Option(help: "The key file to create; never overwritten.")
        var key: String

        func run() throws {
            try CLIFailure.report {
                _ = try KeyFile.create(key)
                print("new key written to \(key); keep it secret and back it up")
            }
        }
    }

    struct Public: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "public",
            abstract: "Print the verifier key NAME+KEYID+BASE64 (c2sp.org/signed-note) of a key file.",
            discussion: "--origin NAME for the log's key (what ecoledgerd --key signs with); --witness NAME for a witness's cosigning key.")

        @Option(help: "The key file.")
        var key: String

        @Option(help: "The log's origin, e.g. ledger.quezoncity.example/ecoledger.")
        var origin: String?

        @Option(help: "The witness's name, e.g. witness.auditor.quezoncity.example.")
        var witness: String?

        func validate() throws {
            guard (origin == nil) != (witness == nil) else { throw ValidationError("give --origin NAME (a log key) or --witness NAME (a witness key)") }
        }

        func run() throws {
            try CLIFailure.report {
                let signer = try NoteSigner(name: origin ?? witness!, kind: origin != nil ? .ed25519 : .cosignatureV1, seed: try KeyFile.load(key))
                print(signer.key.verifierKey)
            }
        }
    }
}
