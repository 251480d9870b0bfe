import ArgumentParser
import LedgerCLI
import LedgerProtocol
import LedgerWire
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `ecoledger connect`: an interactive session with ecoledgerd.
struct ConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Open an interactive session with ecoledgerd (type commands, read replies; QUIT or Ctrl-D to leave).",
        discussion: """
            On a terminal: line editing (arrows, Home/End, Ctrl-A/E/K/U/W), Up and Down through a history kept in \
            --history, Ctrl-R to search it, and Tab to complete the verbs and key= of the commands you may use \
            (from the server's HELP). Lines with a token, a PIN or personal data (AUTH, pin=, old=, name=, district=) are never kept in the history. \
            With stdin not a terminal, it reads lines as they come (for scripts).
            """)

    @OptionGroup var client: ClientOptions

    @Option(help: ArgumentHelp("Where the history is kept (owner-only). Default: ~/.ecoledger_history.", valueName: "file"))
    var history: String?

    @Flag(name: .customLong("no-history"), help: "Keep no history.")
    var noHistory = false

    func run() async throws {
        try await CLIFailure.reportAsync {
            let interactive = isatty(STDIN_FILENO) == 1
            try await client.withSession { connection in
                var editor: LineEditor?
                if interactive {
                    print("connected to \(client.host):\(client.port)\(client.tokenFile == nil ? "" : " (authenticated)"); HELP lists what you may do, Tab completes, QUIT or Ctrl-D to leave")
                    editor = LineEditor(historyFile: noHistory ? nil : historyFile(), commands: try await Self.completions(connection))
                }
                defer { editor?.save() }
                while true {
                    let line: String?
                    if let editor {
                        line = editor.readLine(prompt: "ecoledger> ")
                    } else {
                        line = readLine()
                    }
                    guard let line else {
                        _ = try? await connection.call("QUIT")
                        return
                    }
                    guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                    try await connection.send(line)
                    guard let reply = try await connection.readReply() else {
                        print("(the server closed the connection)")
                        return
                    }
                    reply.forEach { print(FileDescriptorOutput.visible($0)) }
                    fflush(nil)
                    if line.trimmingCharacters(in: .whitespaces).uppercased() == "QUIT" { return }
                }
            }
        }
    }

    private func historyFile() -> String? {
        if let history { return history }
        guard let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty else { return nil }
        return (home as NSString).appendingPathComponent(".ecoledger_history")
    }

    /// What Tab offers: the commands this session may run, as the server's HELP lists them.
    static func completions(_ connection: LedgerConnection) async throws -> LineEditor.Completions {
        let lines = try await connection.call("HELP")
        guard lines.first?.hasPrefix("OK n=") == true else { return LineEditor.Completions() }
        let help = lines.dropFirst().compactMap { line -> (command: String, usage: String)? in
            guard let parsed = try? LineTokenizer.parse(Array("HELP \(line)".utf8)),
                  let command = parsed.named["command"], let usage = parsed.named["usage"] else { return nil }
            return (command, usage)
        }
        return LineEditor.Completions(help: help)
    }
}
