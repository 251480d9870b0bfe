import ArgumentParser
import LedgerCLI
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `ecoledger connect`: an interactive session with ecoledgerd.
struct ConnectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connect",
        abstract: "Open an interactive session with ecoledgerd (type commands, read replies; QUIT or Ctrl-D to leave).",
        discussion: "Line editing is the terminal's own (backspace, Ctrl-U); run it under rlwrap for history.")

    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await CLIFailure.reportAsync {
            let interactive = isatty(STDIN_FILENO) == 1
            try await client.withSession { connection in
                if interactive {
                    print("connected to \(client.host):\(client.port)\(client.tokenFile == nil ? "" : " (authenticated)"); QUIT or Ctrl-D to leave")
                }
                while true {
                    if interactive {
                        print("ecoledger> ", terminator: "")
                        fflush(nil)
                    }
                    guard let line = readLine() else {
                        _ = try? await connection.call("QUIT")
                        return
                    }
                    guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                    try await connection.send(line)
                    guard let reply = try await connection.readReply() else {
                        print("(the server closed the connection)")
                        return
                    }
                    reply.forEach { print($0) }
                    if line.trimmingCharacters(in: .whitespaces).uppercased() == "QUIT" { return }
                }
            }
        }
    }
}
