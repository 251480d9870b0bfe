import Foundation
import LedgerCore
import LedgerStore
import LedgerWire
import LedgerTestSupport
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

    @Test("an admin token file bootstraps the first administrator; its content never reaches the logs")
    func adminTokenFile() async throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite")
        let file = scratch.path("admin.token")
        try "  bootstrap-secret-for-tests-42\n".write(toFile: file, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--admin-token-file", file], captureStderr: true)
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: daemon.port) { connection async throws in
            #expect(try await connection.call("AUTH bootstrap-secret-for-tests-42")[0].hasPrefix("OK role=admin"))
        }
        #expect(daemon.terminate() == 0)
        #expect(!daemon.standardError().contains("bootstrap-secret-for-tests-42"))
        // A file that is too short is refused at start-up with one clear line.
        try "short".write(toFile: file, atomically: true, encoding: .utf8)
        let other = scratch.path("other.sqlite")
        let failed = Process()
        failed.executableURL = DaemonProcess.binary
        failed.arguments = ["--db", other, "--port", "0", "--admin-token-file", file]
        let errors = Pipe()
        failed.standardError = errors
        failed.standardOutput = FileHandle.nullDevice
        try failed.run()
        failed.waitUntilExit()
        #expect(failed.terminationStatus != 0)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains("at least 16 printable characters"))
    }

    @Test("SIGTERM under load: exit 0, every acknowledged entry is in the ledger, and it verifies")
    func sigtermUnderLoad() async throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"])
        let operatorToken = try DaemonProcess.demoToken("operator", db: db)
        let port = daemon.port

        // Four clients pipeline drop-offs; each records which refs were acknowledged.
        let load = Task {
            try await withThrowingTaskGroup(of: (acknowledged: [String], refused: [String]).self) { group in
                for client in 0..<4 {
                    group.addTask {
                        var acknowledged: [String] = [], refused: [String] = []
                        try? await LedgerConnection.withConnection(host: "127.0.0.1", port: port) { connection async throws in
                            _ = try await connection.call("AUTH \(operatorToken)")
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
        try await Task.sleep(for: .milliseconds(150))
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
