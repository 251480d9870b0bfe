import ArgumentParser
import Foundation
import LedgerPersistence
import LedgerCLI
import LedgerHost
import LedgerProtocol
import LedgerStore

/// `ecoledger call`: sends one command, prints the reply, exits non-zero on `ERR` (for scripts).
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Send one command to ecoledgerd and print its reply.",
        discussion: """
            Exit status 0 for an OK reply, 1 for ERR or when the server cannot be reached, 2 when
            an argument holds a control character (a newline, a tab…), which is never sent, and 64
            for a usage error (an unknown option, a bad --port, an option after the command):
            options go before the command, and nothing is sent when they are wrong.
            TOKEN ISSUE with --token-out FILE writes the new token alone to FILE (created 0600,
            never overwritten) and prints token_file=FILE instead of the secret.
            Each argument arrives as exactly one token: 'name=Juan dela Cruz' is sent as
            name="Juan dela Cruz", and quotes and backslashes inside a value are escaped.
            Example: ecoledger call --token-file ecoledger.sqlite.demo-tokens --role operator DROPOFF R-DEMO-1 point=CP-DEMO material=PET kg=2.5 ref=k-1
            """)

    @OptionGroup var client: ClientOptions

    @Option(name: .customLong("token-out"), help: ArgumentHelp(
        "With TOKEN ISSUE: write the new token's secret alone to this file (created 0600, never overwritten) and print token_file=FILE instead of the secret.",
        valueName: "file"))
    var tokenOut: String?

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments, e.g. BALANCE R-DEMO-1.")
    var command: [String] = []

    /// The long options of `call`, for the check of the command's words.
    static let options = ["host", "port", "token-file", "role", "tls", "ca", "token-out", "help"]

    func validate() throws {
        // The command is taken as it comes, so --help would otherwise be sent to the server.
        if let first = command.first, first == "--help" || first == "-h" { throw CleanExit.helpRequest(self) }
        guard !command.isEmpty else { throw ValidationError("give a command, e.g. ecoledger call PING") }
        try PassthroughCheck.refuseOptions(in: command, options: Self.options, usage: "ecoledger call [options] COMMAND …")
        if tokenOut != nil, command.prefix(2).map({ $0.uppercased() }) != ["TOKEN", "ISSUE"] {
            throw ValidationError("--token-out goes with TOKEN ISSUE only")
        }
    }

    func run() async throws {
        try await CLIFailure.reportAsync {
            let line: String
            do {
                line = try RequestLine.encode(command)
            } catch let error as ProtocolError {
                FileDescriptorOutput.writeStderr("ecoledger: error: \(error.message)\n")
                throw ExitCode(2)
            }
            // The token's file is made before the token is: an issued token with nowhere to go
            // would be a secret printed after all, or lost.
            if let tokenOut {
                do {
                    try SecretFile.create(tokenOut, contents: [])
                } catch {
                    let exists = FileManager.default.fileExists(atPath: tokenOut)
                    let empty = exists && ((try? FileManager.default.attributesOfItem(atPath: tokenOut)[.size] as? Int) ?? 1) == 0
                    throw CLIFailure.message("--token-out \(tokenOut): " + (empty
                        ? "already exists, empty (an earlier TOKEN ISSUE that never got its reply? see TOKEN LIST, revoke what you cannot account for, then remove the file)"
                        : exists ? "already exists; refusing to overwrite it" : "\(error)") + " (nothing was sent)")
                }
            }
            var reply: [String]
            do {
                reply = try await client.withSession { connection in try await connection.call(line) }
            } catch {
                if let tokenOut { try? FileManager.default.removeItem(atPath: tokenOut) }
                throw error
            }
            if let tokenOut {
                reply = try Self.saveToken(from: reply, to: tokenOut)
            }
            // Anything but OK or ERR is not ecoledger speaking (a TLS server answering plain TCP, say).
            guard let first = reply.first, first.hasPrefix("OK") || first.hasPrefix("ERR") else {
                throw CLIFailure.message("\(client.host):\(client.port) did not answer in the ecoledger protocol\(client.tls || client.ca != nil ? "" : " (does it want TLS? try --tls)")")
            }
            let output = FileDescriptorOutput(descriptor: 1)
            for replyLine in reply { try output.write(FileDescriptorOutput.visible(replyLine) + "\n") }
            try output.flush()
            if reply.first?.hasPrefix("ERR") == true { throw ExitCode.failure }
        }
    }

    /// Writes the `token=` of a TOKEN ISSUE reply to `file` and returns the reply with
    /// `token_file=FILE` in its place; removes the file when the reply carries no token.
    static func saveToken(from reply: [String], to file: String) throws -> [String] {
        guard let first = reply.first, first.hasPrefix("OK"), let secret = Reply.field("token", in: first) else {
            try? FileManager.default.removeItem(atPath: file)
            if reply.first?.hasPrefix("OK") == true { throw CLIFailure.message("the reply carries no token=; nothing was written to \(file)") }
            return reply
        }
        try SecretFile.fill(file, contents: Array((secret + "\n").utf8))
        let fields = first.split(separator: " ").map { word in
            word.hasPrefix("token=") ? "token_file=\(Reply.quote(file))" : String(word)
        }
        return [fields.joined(separator: " ")] + reply.dropFirst()
    }
}
