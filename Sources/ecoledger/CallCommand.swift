import ArgumentParser
import LedgerProtocol

/// `ecoledger call`: sends one command, prints the reply, exits non-zero on `ERR` (for scripts).
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Send one command to ecoledgerd and print its reply.",
        discussion: """
            Exit status 0 for an OK reply, 1 for ERR or when the server cannot be reached.
            Arguments are sent as one request line; an argument the shell has unquoted is quoted
            again, so 'name=Juan dela Cruz' arrives as name="Juan dela Cruz".
            Example: ecoledger call --token-file ecoledger.sqlite.demo-tokens --role operator DROPOFF R-DEMO-1 point=CP-DEMO material=PET kg=2.5 ref=k-1
            """)

    @OptionGroup var client: ClientOptions

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments, e.g. BALANCE R-DEMO-1.")
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give a command, e.g. ecoledger call PING") }
    }

    func run() async throws {
        try await CLIFailure.reportAsync {
            let line = Self.requestLine(command)
            let reply = try await client.withSession { connection in try await connection.call(line) }
            let output = FileDescriptorOutput(descriptor: 1)
            for replyLine in reply { try output.write(replyLine + "\n") }
            try output.flush()
            if reply.first?.hasPrefix("ERR") == true { throw ExitCode.failure }
        }
    }

    /// Joins shell arguments into one request line, quoting those that need it.
    static func requestLine(_ arguments: [String]) -> String {
        arguments.map { argument in
            guard argument.contains(where: { $0 == " " || $0 == "\t" }), !argument.hasPrefix("\"") else { return argument }
            if let equals = argument.firstIndex(of: "="), !argument[..<equals].contains(" ") {
                let value = String(argument[argument.index(after: equals)...])
                return value.hasPrefix("\"") ? argument : argument[...equals] + Reply.quote(value)
            }
            return Reply.quote(argument)
        }.joined(separator: " ")
    }
}
