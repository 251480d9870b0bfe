import ArgumentParser
import LedgerCLI
import LedgerProtocol

/// `ecoledger call`: sends one command, prints the reply, exits non-zero on `ERR` (for scripts).
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Send one command to ecoledgerd and print its reply.",
        discussion: """
            Exit status 0 for an OK reply, 1 for ERR or when the server cannot be reached, 2 when
            an argument holds a control character (a newline, a tab…), which is never sent.
            Each argument arrives as exactly one token: 'name=Juan dela Cruz' is sent as
            name="Juan dela Cruz", and quotes and backslashes inside a value are escaped.
            Example: ecoledger call --token-file ecoledger.sqlite.demo-tokens --role operator DROPOFF R-DEMO-1 point=CP-DEMO material=PET kg=2.5 ref=k-1
            """)

    @OptionGroup var client: ClientOptions

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments, e.g. BALANCE R-DEMO-1.")
    var command: [String] = []

    func validate() throws {
        // The command is taken as it comes, so --help would otherwise be sent to the server.
        if let first = command.first, first == "--help" || first == "-h" { throw CleanExit.helpRequest(self) }
        guard !command.isEmpty else { throw ValidationError("give a command, e.g. ecoledger call PING") }
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
            let reply = try await client.withSession { connection in try await connection.call(line) }
            // Anything but OK or ERR is not ecoledger speaking (a TLS server answering plain TCP, say).
            guard let first = reply.first, first.hasPrefix("OK") || first.hasPrefix("ERR") else {
                throw CLIFailure.message("\(client.host):\(client.port) did not answer in the ecoledger protocol\(client.tls || client.ca != nil ? "" : " (does it want TLS? try --tls)")")
            }
            let output = FileDescriptorOutput(descriptor: 1)
            for replyLine in reply { try output.write(replyLine + "\n") }
            try output.flush()
            if reply.first?.hasPrefix("ERR") == true { throw ExitCode.failure }
        }
    }
}
