import Foundation
import LedgerPersistence
import LedgerCore
import LedgerHost
import LedgerStore
import LedgerWire
import LedgerTestSupport
import LedgerCrypto
@testable import LedgerServer
import Testing

/// The `ecoledgerd` binary as a separate process, as `make run` and operators start it.
@Suite("The ecoledgerd process", .serialized)
struct DaemonTests {
    @Test("--demo on an empty ledger prints the token file's path, listens and answers PING (the make run path)")
    func demo() async throws {
        let scratch = try Scratch()
        let db = scratch.path("ecoledger.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"])
        #expect(daemon.printed.contains("tokens (one per role) in \(db).demo-tokens"))
        let operatorToken = try DaemonProcess.demoToken("operator", db: db)
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: daemon.port) { connection async throws in
            #expect(try await connection.call("PING") == ["OK pong"])
            #expect(try await connection.call("AUTH \(operatorToken)")[0].hasPrefix("OK role=operator point=CP-DEMO"))
            let reply = try await connection.call("DROPOFF R-DEMO-1 point=CP-DEMO material=PET kg=2.5 ref=first")[0]
            #expect(reply.hasPrefix("OK seq=") && reply.contains("points=45.00"), "\(reply)")
        }
        #expect(daemon.terminate() == 0)
    }

    /// Runs ecoledgerd expecting it to refuse to start; returns what it wrote to stderr.
    static func refusedStart(_ arguments: [String]) throws -> String {
        let failed = Process()
        failed.executableURL = DaemonProcess.binary
        failed.arguments = arguments
        let errors = Pipe()
        failed.standardError = errors
        failed.standardOutput = FileHandle.nullDevice
        try failed.run()
        failed.waitUntilExit()
        #expect(failed.terminationStatus != 0)
        return String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    static func writeSecret(_ text: String, to file: String, mode: Int = 0o600) throws {
        try? FileManager.default.removeItem(atPath: file)
        try SecretFile.create(file, contents: Array(text.utf8))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
    }

    @Test("an admin token file bootstraps the first administrator; its content never reaches the logs")
    func adminTokenFile() async throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite")
        let file = scratch.path("admin.token")
        let secret = "0f1e2d3c4b5a69788796a5b4c3d2e1f0" // 128 bits
        try Self.writeSecret("  \(secret)\n", to: file)
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--admin-token-file", file], captureStderr: true)
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: daemon.port) { connection async throws in
            #expect(try await connection.call("AUTH \(secret)")[0].hasPrefix("OK role=admin"))
        }
        #expect(daemon.terminate() == 0)
        #expect(!daemon.standardError().contains(secret))
    }

    @Test("--log-format json: every line ecoledgerd logs is one JSON object, a failed AUTH's warning and the stop included")
    func jsonLog() async throws {
        let scratch = try Scratch()
        let daemon = try DaemonProcess(arguments: ["--db", scratch.path("l.sqlite"), "--port", "0", "--log-format", "json"], captureStderr: true)
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: daemon.port) { connection async throws in
            #expect(try await connection.call("AUTH not-a-token")[0].hasPrefix("ERR NOT_AUTHENTICATED"))
        }
        #expect(daemon.terminate() == 0)
        let lines = daemon.standardError().split(separator: "\n")
        #expect(lines.count >= 3, "\(lines)")
        var messages: [String] = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
            #expect(object["time"] is String && object["level"] is String && object["label"] as? String == "ecoledgerd", "\(line)")
            messages.append(object["message"] as? String ?? "")
        }
        #expect(messages.contains("listening") && messages.contains("AUTH failed"), "\(messages)")
        #expect(try DaemonTests.refusedStart(["--db", scratch.path("x.sqlite"), "--log-format", "xml"]).contains("log-format"))
    }

    @Test("a log that cannot be written (a full disk) does not stop the server, in either format")
    func unwritableLog() async throws {
        for format in ["json", "text"] {
            let scratch = try Scratch()
            let server = Process()
            server.executableURL = DaemonProcess.binary
            server.arguments = ["--db", scratch.path("l.sqlite"), "--port", "0", "--demo", "--log-format", format]
            let output = Pipe()
            server.standardOutput = output
            server.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/full"))
            try server.run()
            defer { if server.isRunning { server.terminate(); server.waitUntilExit() } }
            var text = ""
            while !text.contains("listening on "), case let data = output.fileHandleForReading.availableData, !data.isEmpty {
                text += String(decoding: data, as: UTF8.self)
            }
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("listening on ") })
            let port = try #require(Int(line.split(separator: ":").last!))
            try await LedgerConnection.withConnection(host: "127.0.0.1", port: port) { connection async throws in
                #expect(try await connection.call("AUTH not-a-token")[0].hasPrefix("ERR NOT_AUTHENTICATED"), "logs a warning")
                #expect(try await connection.call("HELLO") == ["OK proto=1 server=ecoledger version=\(ServerServices.serverVersion)"])
            }
            #expect(server.isRunning, "\(format): still serving")
        }
    }

    @Test("a missing ledger beside its existing log key is not replaced by a new, empty one (that would fork the log)")
    func noForkAfterTheLedgerWentMissing() throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"])
        #expect(daemon.terminate() == 0)
        for file in [db, db + "-wal", db + "-shm"] { try? FileManager.default.removeItem(atPath: file) }
        let refused = try Self.refusedStart(["--db", db, "--port", "0"])
        #expect(refused.contains("does not exist but its log key") && refused.contains("ecoledger restore"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: db))
    }

    /// docs/deploy's systemd unit.
    static func unit() throws -> String {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: repository.appendingPathComponent("docs/deploy/ecoledgerd.service"), encoding: .utf8)
    }

    static let systemdAnalyze = URL(fileURLWithPath: "/usr/bin/systemd-analyze")

    @Test("docs/deploy's systemd unit starts ecoledgerd with options it has")
    func systemdUnit() throws {
        let unit = try Self.unit()
        // ExecStart= and its continuation lines (each but the last ends in a backslash).
        var execStart = ""
        for line in unit.components(separatedBy: "\nExecStart=")[1].split(separator: "\n") {
            execStart += line + " "
            if !line.hasSuffix("\\") { break }
        }
        let options = execStart.split(separator: " ").filter { $0.hasPrefix("--") }.map(String.init)
        #expect(options.count >= 5, "\(execStart)")
        let help = Process()
        help.executableURL = DaemonProcess.binary
        help.arguments = ["--help"]
        let output = Pipe()
        help.standardOutput = output
        try help.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        help.waitUntilExit()
        for option in options { #expect(text.contains(option + " "), "ecoledgerd has no \(option)") }
    }

    @Test("systemd-analyze accepts docs/deploy's systemd unit",
          .enabled(if: FileManager.default.isExecutableFile(atPath: DaemonTests.systemdAnalyze.path), "systemd-analyze is not installed"))
    func systemdAnalyzeAcceptsTheUnit() throws {
        let unit = try Self.unit()
        let analyze = Self.systemdAnalyze
        let scratch = try Scratch()
        let copy = scratch.path("ecoledgerd.service")
        try Data(unit.replacingOccurrences(of: "/usr/local/bin/ecoledgerd", with: DaemonProcess.binary.path).utf8).write(to: URL(fileURLWithPath: copy))
        let verify = Process()
        verify.executableURL = analyze
        verify.arguments = ["verify", copy]
        let complaints = Pipe()
        verify.standardError = complaints
        verify.standardOutput = complaints
        try verify.run()
        let said = String(decoding: complaints.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        verify.waitUntilExit()
        #expect(verify.terminationStatus == 0 && said.isEmpty, "\(said)")
    }

    @Test("a chosen admin token under 128 bits, or readable by others, is refused at start-up with one clear line")
    func weakAdminToken() throws {
        let scratch = try Scratch()
        let file = scratch.path("admin.token")
        try Self.writeSecret("0f1e2d3c4b5a69788796a5b4c3d2e1f", to: file) // 31 hex digits: 124 bits
        #expect(try Self.refusedStart(["--db", scratch.path("a.sqlite"), "--port", "0", "--admin-token-file", file])
            .contains("carries about 124 bits of secret; at least 128 are needed"))
        try Self.writeSecret("correct-horse-battery", to: file) // 21 base64 characters: 126 bits
        #expect(try Self.refusedStart(["--db", scratch.path("b.sqlite"), "--port", "0", "--admin-token-file", file])
            .contains("at least 128 are needed"))
        for weak in ["00000000000000000000000000000000", "passwordpasswordpasswordpassword", "0123456789abcdef0123456789abcdef"] {
            try Self.writeSecret(weak, to: file) // long enough, but not random: counted as 0 bits
            #expect(try Self.refusedStart(["--db", scratch.path("w.sqlite"), "--port", "0", "--admin-token-file", file])
                .contains("carries about 0 bits of secret"), "\(weak)")
        }
        for mode in [0o644, 0o640, 0o602] {
            try Self.writeSecret("0f1e2d3c4b5a69788796a5b4c3d2e1f0", to: file, mode: mode)
            #expect(try Self.refusedStart(["--db", scratch.path("c.sqlite"), "--port", "0", "--admin-token-file", file])
                .contains("others on this machine may read or change it; run: chmod 600"), "mode \(String(mode, radix: 8))")
        }
    }

    @Test("a revoked admin token does not come back when the server restarts with the same token file")
    func revokedAdminTokenStaysRevoked() async throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite")
        let file = scratch.path("admin.token")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--admin-token-file", file])
        let secret = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: daemon.port) { connection async throws in
            let reply = try await connection.call("AUTH \(secret)")[0]
            let id = try #require(reply.split(separator: " ").first { $0.hasPrefix("token=") }?.dropFirst(6))
            #expect(try await connection.call("TOKEN REVOKE \(id)")[0].hasPrefix("OK seq="))
        }
        #expect(daemon.terminate() == 0)
        #expect(try Self.refusedStart(["--db", db, "--port", "0", "--admin-token-file", file]).contains("which was revoked"))
    }

    @Test("--demo on an empty ledger beside an old tokens file refuses before writing anything")
    func demoWithLeftoverTokens() throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite")
        try Self.writeSecret("admin=old\n", to: db + ".demo-tokens")
        #expect(try Self.refusedStart(["--db", db, "--port", "0", "--demo"]).contains("already exists but the ledger does not"))
        #expect(!FileManager.default.fileExists(atPath: db) && !FileManager.default.fileExists(atPath: db + ".log-key"),
                "no ledger and no key were made")
        // An existing, empty ledger beside an old tokens file is refused too, and stays empty.
        _ = try LedgerStore.create(at: db).close()
        #expect(try Self.refusedStart(["--db", db, "--port", "0", "--demo"]).contains("already exists but the ledger is empty"))
        let store = try LedgerStore.open(at: db, readOnly: true)
        defer { try? store.close() }
        #expect(try store.head().seq == 0)
    }

    @Test("without an admin token file, ecoledgerd writes one (0600) with a 256-bit secret and that secret works")
    func generatedAdminToken() async throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite")
        let file = scratch.path("admin.token")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--admin-token-file", file])
        defer { daemon.terminate() }
        #expect(daemon.printed.contains("new admin token written to \(file)"))
        #expect(SecretFile.mode(file) == 0o600)
        let secret = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(secret.utf8.count == 64 && Bootstrap.secretBits(secret) == 256)
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: daemon.port) { connection async throws in
            #expect(try await connection.call("AUTH \(secret)")[0].hasPrefix("OK role=admin"))
        }
    }

    @Test("the ledger, its WAL, the PIN key and the demo tokens are owner-only; the database alone confirms no PIN")
    func secretsAtRest() async throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"])
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: daemon.port) { connection async throws in
            _ = try await connection.call("AUTH \(try DaemonProcess.demoToken("admin", db: db))")
            #expect(try await connection.call("ACCOUNT PIN R-DEMO-1 pin=4321")[0].hasPrefix("OK seq="))
            for file in [db, db + "-wal", db + ".pin-key", db + ".demo-tokens"] {
                #expect(SecretFile.mode(file) == 0o600, "\(file)")
            }
        }
        #expect(daemon.terminate() == 0)
        // Every PIN record is keyed: with the file alone, no guess can be confirmed.
        let store = try LedgerStore.open(at: db, readOnly: true)
        let record = try #require(try store.pinRecord(AccountID("R-DEMO-1")))
        #expect(record.keyed)
        #expect(throws: (any Error).self) { try record.matches(PIN("4321")) }
        let keyText = try String(contentsOfFile: db + ".pin-key", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let key = try PINKey(bytes: try #require(Hex.decode(keyText)))
        #expect(try record.matches(PIN("4321"), key: key))
        #expect(try !record.matches(PIN("1234"), key: key))
        try store.close()
        // A lost key is not silently replaced: that would lock every resident out.
        try FileManager.default.removeItem(atPath: db + ".pin-key")
        #expect(try Self.refusedStart(["--db", db, "--port", "0"]).contains("restore it from your backup"))
        // Unless the operator says the key is gone for good: then old PINs fail until reset.
        let restarted = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--new-pin-key"])
        defer { restarted.terminate() }
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: restarted.port) { connection async throws in
            _ = try await connection.call("AUTH \(try DaemonProcess.demoToken("admin", db: db))")
            #expect(try await connection.call("DONATE R-DEMO-1 points=1 to=B-DEMO pin=4321 ref=old-key")[0].hasPrefix("ERR WRONG_PIN"))
            #expect(try await connection.call("ACCOUNT PIN R-DEMO-1 pin=4321")[0].hasPrefix("OK seq="))
            #expect(try await connection.call("ACCOUNT UNLOCK R-DEMO-1")[0].hasPrefix("ERR CONFLICT"), "one wrong PIN is not a lock")
        }
    }

    @Test("SIGTERM under load: exit 0, every acknowledged entry is in the ledger, and it verifies")
    func sigtermUnderLoad() async throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"])
        let operatorToken = try DaemonProcess.demoToken("operator", db: db)
        let port = daemon.port

        // Four clients pipeline drop-offs; each records which refs were acknowledged. Each first
        // waits for one acknowledged drop-off and says so: SIGTERM comes once the load is under way.
        let (underWay, signal) = AsyncStream.makeStream(of: Void.self)
        let load = Task {
            try await withThrowingTaskGroup(of: (acknowledged: [String], refused: [String]).self) { group in
                for client in 0..<4 {
                    group.addTask {
                        var acknowledged: [String] = [], refused: [String] = []
                        try? await LedgerConnection.withConnection(host: "127.0.0.1", port: port) { connection async throws in
                            _ = try await connection.call("AUTH \(operatorToken)")
                            let first = "c\(client)-first"
                            if try await connection.call("DROPOFF R-DEMO-\(1 + client % 2) point=CP-DEMO material=PET kg=1.5 ref=\(first)")[0]
                                .hasPrefix("OK seq=") {
                                acknowledged.append(first)
                            }
                            signal.yield()
                            var sent: [String] = []
                            for n in 0..<400 {
                                let ref = "c\(client)-\(n)"
                                do {
                                    try await connection.send("DROPOFF R-DEMO-\(1 + client % 2) point=CP-DEMO material=PET kg=1.5 ref=\(ref)")
                                } catch { break }
                                sent.append(ref)
                            }
                            for ref in sent {
                                guard let reply = try? await connection.readReply() else { break }
                                if reply[0].hasPrefix("OK seq=") {
                                    acknowledged.append(ref)
                                } else {
                                    #expect(reply[0].hasPrefix("ERR SHUTTING_DOWN"), "\(reply[0])")
                                    refused.append(ref)
                                }
                            }
                        }
                        return (acknowledged, refused)
                    }
                }
                return try await group.reduce(into: (acknowledged: [String](), refused: [String]())) {
                    $0.acknowledged += $1.acknowledged
                    $0.refused += $1.refused
                }
            }
        }
        for await _ in underWay { break }
        #expect(daemon.terminate() == 0, "SIGTERM is a clean exit")
        let (acknowledged, refused) = try await load.value // refused: answered SHUTTING_DOWN
        #expect(!acknowledged.isEmpty, "the load must have been under way")

        let store = try LedgerStore.open(at: db, readOnly: true)
        for ref in acknowledged {
            #expect(try store.entry(ref: ClientRef(ref)) != nil, "acknowledged \(ref) is missing")
        }
        for ref in refused {
            #expect(try store.entry(ref: ClientRef(ref)) == nil, "\(ref) was refused with SHUTTING_DOWN yet executed")
        }
        guard case .success(let report) = try store.verify() else { Issue.record("the ledger must verify"); return }
        let dropoffs = try store.history(of: AccountID("R-DEMO-1"), limit: 1000).count + store.history(of: AccountID("R-DEMO-2"), limit: 1000).count
        #expect(dropoffs >= acknowledged.count)
        #expect(report.entries > 0)
        try store.close()
    }
}
