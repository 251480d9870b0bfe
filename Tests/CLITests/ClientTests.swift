import Foundation
import LedgerPersistence
import GRDB
import LedgerHost
import LedgerStore
import LedgerTestSupport
import Testing

@Suite("ecoledger call and connect against a running ecoledgerd", .serialized)
struct ClientTests {
    /// Starts `ecoledgerd --demo` on a free port; returns the port, the process and the token file.
    static func startDaemon(in scratch: Scratch) throws -> (port: Int, process: DaemonProcess, tokens: String) {
        let db = scratch.path("ecoledger.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"])
        return (daemon.port, daemon, db + ".demo-tokens")
    }

    @Test("call prints the reply, exits 0 on OK and 1 on ERR, and re-quotes shell-split arguments")
    func call() throws {
        let scratch = try Scratch()
        let (port, daemon, tokens) = try Self.startDaemon(in: scratch)
        defer { daemon.terminate() }
        let base = ["call", "--port", String(port), "--token-file", tokens]
        let ping = try CLI.run(["call", "--port", String(port), "PING"])
        #expect(ping.status == 0 && ping.stdout == "OK pong\n")
        let open = try CLI.run(base + ["ACCOUNT", "OPEN", "R-NEW", "kind=resident", "name=Jose Rizal", "pin=1234"])
        #expect(open.status == 0, "\(open.stdout)\(open.stderr)")
        let show = try CLI.run(base + ["ACCOUNT", "SHOW", "R-NEW"])
        #expect(show.stdout.contains("name=\"Jose Rizal\""))
        let dropoff = try CLI.run(base + ["--role", "operator", "DROPOFF", "R-NEW", "point=CP-DEMO", "material=PET", "kg=2", "ref=cli-1"])
        #expect(dropoff.status == 0 && dropoff.stdout.contains("points=36.00 balance=36.00"))
        let forbidden = try CLI.run(base + ["--role", "merchant", "BALANCE", "R-NEW"])
        #expect(forbidden.status == 1 && forbidden.stdout.hasPrefix("ERR FORBIDDEN"))
        let history = try CLI.run(base + ["--role", "auditor", "HISTORY", "R-NEW"])
        #expect(history.stdout.split(separator: "\n").count == 2, "a list: OK n=1 and one line")
        let help = try CLI.run(["call", "--help"])
        #expect(help.status == 0 && help.stdout.hasPrefix("OVERVIEW: Send one command"), "--help is help, not a command sent: \(help.stdout)")
        let unreachable = try CLI.run(["call", "--port", "1", "PING"])
        #expect(unreachable.status == 1 && unreachable.stderr.hasPrefix("ecoledger: error: cannot connect to 127.0.0.1:1: connection refused"))
    }

    @Test("call never sends a second command hidden in an argument, and escapes quotes and backslashes")
    func callInjection() throws {
        let scratch = try Scratch()
        let (port, daemon, tokens) = try Self.startDaemon(in: scratch)
        defer { daemon.terminate() }
        let base = ["call", "--port", String(port), "--token-file", tokens]
        let injected = try CLI.run(base + ["ACCOUNT", "OPEN", "R-X", "kind=resident", "name=\"Ana\"\nPOINT ADD CP-INJECTED name=injected"])
        #expect(injected.status == 2, "\(injected.stdout)\(injected.stderr)")
        #expect(injected.stderr.contains("control character U+000A"), "\(injected.stderr)")
        let points = try CLI.run(base + ["POINT", "LIST"])
        #expect(!points.stdout.contains("CP-INJECTED") && !points.stdout.contains("R-X"), "\(points.stdout)")
        let odd = try CLI.run(base + ["ACCOUNT", "OPEN", "R-Y", "kind=resident", #"name=a"b\c"#])
        #expect(odd.status == 0, "\(odd.stdout)\(odd.stderr)")
        let show = try CLI.run(base + ["ACCOUNT", "SHOW", "R-Y"])
        #expect(show.stdout.contains(#"name="a\"b\\c""#), "\(show.stdout)")
    }

    @Test("options are checked on this machine: one after the command, a mistyped one or a mistyped subcommand is refused with a suggestion and nothing is sent")
    func optionsCheckedLocally() throws {
        let scratch = try Scratch()
        let (port, daemon, tokens) = try Self.startDaemon(in: scratch)
        defer { daemon.terminate() }
        let auditor = ["call", "--port", String(port), "--token-file", tokens, "--role", "auditor"]
        let before = try CLI.run(auditor + ["STATS"])
        let after = try CLI.run(["call", "--port", String(port), "HEAD", "--token-file", tokens])
        #expect(after.status == 64 && after.stderr.contains("--token-file comes after the command"), "\(after.stderr)")
        let mistyped = try CLI.run(["call", "--port", String(port), "--token", tokens, "HEAD"])
        #expect(mistyped.status == 64 && mistyped.stderr.contains("unknown option --token; did you mean --token-file?"), "\(mistyped.stderr)")
        let stats = try CLI.run(auditor + ["STATS"])
        // Only the two STATS calls reached the server, each with its PING and AUTH.
        let commands = { (reply: String) in Int(reply.split(separator: " ").first { $0.hasPrefix("commands=") }?.dropFirst(9) ?? "") ?? -1 }
        #expect(commands(stats.stdout) - commands(before.stdout) == 3, "\(before.stdout) → \(stats.stdout)")
        let subcommand = try CLI.run(["verfy", "--db", scratch.path("x.sqlite")])
        #expect(subcommand.status == 64 && subcommand.stderr.contains("unknown command 'verfy'; did you mean 'verify'?"), "\(subcommand.stderr)")
        let badPort = try CLI.run(["call", "--port", "abc", "PING"])
        #expect(badPort.status == 64, "a usage error exits 64, as README says")
        let wrapping = try CLI.run(["call", "--port", String(65536 + port), "--token-file", tokens, "HEAD"])
        #expect(wrapping.status == 64 && wrapping.stderr.contains("--port must be 1 to 65535"), "a port out of range never wraps onto another: \(wrapping.stderr)")
        let dash = try CLI.run(["call", "--port", String(port), "HEAD", "\u{2014}token-file", tokens])
        #expect(dash.status == 64 && dash.stderr.contains("begins with a long dash, not two hyphens; did you mean --token-file?"), "\(dash.stderr)")
        // What a server sends never reaches the terminal as an escape sequence.
        let rogue = try ScriptedServer { _ in "OK pong\u{1b}[31m\u{7}" }
        defer { rogue.stop() }
        let escaped = try CLI.run(["call", "--port", String(rogue.port), "PING"])
        #expect(escaped.stdout == "OK pong\\u{1b}[31m\\u{7}\n", "\(escaped.stdout.debugDescription)")
        for binary in [CLI.binary, DaemonProcess.binary, CLI.binary.deletingLastPathComponent().appendingPathComponent("ecoledger-bench")] {
            let version = try CLI.run(["--version"], executable: binary)
            #expect(version.status == 0 && version.stdout == "0.3.0\n", "\(binary.lastPathComponent): \(version.stdout)\(version.stderr)")
        }
    }

    @Test("call --token-out writes an issued token alone to an owner-only file, never over an existing one, and the token works")
    func tokenOut() throws {
        let scratch = try Scratch()
        let (port, daemon, tokens) = try Self.startDaemon(in: scratch)
        defer { daemon.terminate() }
        let admin = ["call", "--port", String(port), "--token-file", tokens]
        let file = scratch.path("kiosk.token")
        let issued = try CLI.run(admin + ["--token-out", file, "TOKEN", "ISSUE", "role=operator", "point=CP-DEMO"])
        #expect(issued.status == 0 && issued.stdout.contains(" token_file=\(file) ") && !issued.stdout.contains(" token="), "\(issued.stdout)\(issued.stderr)")
        #expect(SecretFile.mode(file) == 0o600)
        let secret = try String(contentsOfFile: file, encoding: .utf8)
        #expect(secret.count == 49 && secret.hasSuffix("\n"), "the secret alone: \(secret.debugDescription)")
        let kiosk = try CLI.run(["call", "--port", String(port), "--token-file", file, "DROPOFF", "R-DEMO-1", "point=CP-DEMO", "material=PET", "kg=1", "ref=t-1"])
        #expect(kiosk.status == 0 && kiosk.stdout.hasPrefix("OK seq="), "\(kiosk.stdout)\(kiosk.stderr)")
        let again = try CLI.run(admin + ["--token-out", file, "TOKEN", "ISSUE", "role=auditor"])
        #expect(again.status == 1 && again.stderr.contains("already exists; refusing to overwrite it (nothing was sent)"), "\(again.stderr)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == secret)
        let tokensAfter = try CLI.run(admin + ["TOKEN", "LIST"])
        #expect(!tokensAfter.stdout.contains("role=auditor point") && tokensAfter.stdout.components(separatedBy: "role=auditor").count == 2,
                "no second auditor token was issued: \(tokensAfter.stdout)")
        let misuse = try CLI.run(admin + ["--token-out", scratch.path("other"), "HEAD"])
        #expect(misuse.status == 64 && misuse.stderr.contains("--token-out goes with TOKEN ISSUE only"))
    }

    @Test("connect reads commands from stdin and prints each reply")
    func connect() throws {
        let scratch = try Scratch()
        let (port, daemon, tokens) = try Self.startDaemon(in: scratch)
        defer { daemon.terminate() }
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["connect", "--port", String(port), "--token-file", tokens, "--role", "auditor"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data("PING\nBALANCE R-DEMO-1\nPOINT LIST\n".utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.hasPrefix("OK pong\nOK account=R-DEMO-1 balance=0.00\nOK n=1\npoint=CP-DEMO"), "\(text)")
    }
}

@Suite("The load generator", .serialized)
struct BenchTests {
    /// `ecoledger-bench` against the server at `port`, as the admin.
    static func bench(port: Int, tokens: String, _ arguments: [String]) throws -> CLI.Result {
        try CLI.run(["--port", String(port), "--token-file", tokens] + arguments,
                    executable: CLI.binary.deletingLastPathComponent().appendingPathComponent("ecoledger-bench"))
    }

    @Test("bench sets up its catalogue, drives the server and reports throughput, percentiles and errors; every write it was told of is in the ledger")
    func bench() throws {
        let scratch = try Scratch()
        let (port, daemon, tokens) = try ClientTests.startDaemon(in: scratch)
        defer { daemon.terminate() }
        let result = try Self.bench(port: port, tokens: tokens, ["--connections", "4", "--pipeline", "4", "--duration", "1", "--accounts", "20",
                                                                  "--mix", "dropoff=80,balance=15,redeem=5", "--idle-connections", "10"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("latency ms  p50 "))
        #expect(result.stdout.contains("bench summary: throughput="))
        #expect(result.stdout.contains(" errors=0"), "\(result.stdout)")
        // Every acknowledged write is in the ledger, once: as many entries carry this run's refs
        // as the bench was told `OK seq=`, and the server still verifies.
        let summary = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("bench summary: ") })
        let field = { (name: String) in summary.split(separator: " ").first { $0.hasPrefix("\(name)=") }.map { String($0.dropFirst(name.count + 1)) } }
        let writes = try #require(field("writes").flatMap(Int.init)), run = try #require(field("run"))
        #expect(writes > 0, "\(summary)")
        let stored = try DatabaseQueue(path: scratch.path("ecoledger.sqlite")).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM journal WHERE ref LIKE ?", arguments: ["b\(run)-%"]) ?? -1
        }
        #expect(stored == writes, "\(stored) entries carry run \(run)'s refs; \(writes) were acknowledged")
        let audit = try CLI.run(["call", "--port", String(port), "--token-file", tokens, "--role", "auditor", "AUDIT"])
        #expect(audit.stdout.hasPrefix("OK entries="))
        #expect(!result.stdout.contains("woke late"), "a closed loop never sleeps: \(result.stdout)")
    }

    @Test("an open-loop run reports how late the generator woke for its requests, beside the latency it counts from their due times")
    func openLoopReportsWakeLateness() throws {
        let scratch = try Scratch()
        let (port, daemon, tokens) = try ClientTests.startDaemon(in: scratch)
        defer { daemon.terminate() }
        let result = try Self.bench(port: port, tokens: tokens, ["--connections", "2", "--rate", "100", "--duration", "1", "--accounts", "20",
                                                                  "--mix", "ping=100"])
        #expect(result.status == 0, "\(result.stderr)")
        let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("generator woke late ms  p50 ") }, "\(result.stdout)")
        let values = line.split(separator: " ").compactMap { Double($0) }
        #expect(values.count == 3 && values.allSatisfy { $0 >= 0 } && values[0] <= values[1] && values[1] <= values[2], "\(line)")
        // In milliseconds: a worker that sleeps 20 ms between requests wakes well within that.
        #expect(values.count == 3 && values[0] < 20, "\(line)")
        let summary = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("bench summary: ") })
        #expect(summary.contains(" woke_late_p99_ms="), "\(summary)")
    }
}
