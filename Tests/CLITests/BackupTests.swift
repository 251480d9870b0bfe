import Foundation
import LedgerPersistence
import GRDB
import LedgerHost
import LedgerStore
import LedgerTestSupport
import LedgerWire
import Synchronization
import Testing

/// The backup schedule's and restore drill's commands of docs/OPERATIONS.md, as an operator
/// runs them: a backup while the server writes, a restore checked against what was recorded,
/// and a server started on the restored ledger.
@Suite("Backups and the restore drill", .serialized)
struct BackupTests {
    /// Drop-offs sent one after another by `ecoledger call` in a shell loop, a process of its
    /// own (so no thread of this test process can starve it), each acknowledged one a line in
    /// a file; it stops when told.
    final class Load {
        let process = Process()
        let acknowledgements: String
        let stopFile: String

        init(port: Int, tokens: String, in scratch: Scratch) throws {
            acknowledgements = scratch.path("acks")
            stopFile = scratch.path("stop")
            _ = FileManager.default.createFile(atPath: acknowledgements, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", """
                i=0
                while [ ! -e "$4" ]; do
                  "$1" call --port "$2" --token-file "$3" --role operator DROPOFF R-DEMO-1 point=CP-DEMO material=PET kg=1 ref=drill-$i >/dev/null \\
                    && echo ok >> "$5"
                  i=$((i+1))
                done
                """, "load", CLI.binary.path, String(port), tokens, stopFile, acknowledgements]
            try process.run()
        }

        var acknowledged: Int {
            ((try? String(contentsOfFile: acknowledgements, encoding: .utf8)) ?? "").split(separator: "\n").count
        }

        /// Waits for `count` acknowledged drop-offs (a condition, with a generous deadline).
        func wait(for count: Int) throws {
            let deadline = Date().addingTimeInterval(120)
            while acknowledged < count {
                guard Date() < deadline, process.isRunning else { throw TestFailure("the load stalled at \(acknowledged)") }
                usleep(10_000)
            }
        }

        func stop() {
            _ = FileManager.default.createFile(atPath: stopFile, contents: nil)
            process.waitUntilExit()
        }

        deinit { if process.isRunning { process.terminate() } }
    }

    static func field(_ name: String, in line: String) -> String? {
        line.split(separator: " ").first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
    }

    @Test("backup copies a ledger the server is writing, audits the copy; restore refuses what it must and the restored ledger serves")
    func drill() async throws {
        let scratch = try Scratch()
        let live = scratch.path("live.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", live, "--port", "0", "--demo"])
        defer { daemon.terminate() }
        let port = daemon.port
        let load = try Load(port: port, tokens: live + ".demo-tokens", in: scratch)
        defer { load.stop() }
        try load.wait(for: 20)

        // The backup, while drop-offs keep coming.
        let copy = scratch.path("backup.sqlite")
        let backup = try CLI.run(["backup", "--db", live, "--to", copy])
        let during = load.acknowledged
        #expect(backup.status == 0, "\(backup.stdout)\(backup.stderr)")
        #expect(backup.stdout.hasPrefix("backup \(copy) entries="), "\(backup.stdout)")
        let head = try #require(Self.field("head", in: backup.stdout.trimmingCharacters(in: .newlines)))
        #expect(SecretFile.mode(copy) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: copy + "-wal") && !FileManager.default.fileExists(atPath: copy + "-shm"),
                "the copy is one file: no -wal or -shm beside it")
        try load.wait(for: during + 10)
        load.stop()
        let liveHead = try #require(Self.field("head", in: try CLI.run(["verify", "--db", live]).stdout.trimmingCharacters(in: .newlines)))
        let backupSeq = try #require(Int(head.split(separator: ":")[0]))
        #expect(backupSeq < Int(liveHead.split(separator: ":")[0])!, "the live ledger went on after the copy")

        // Refusals: behind a head recorded later, onto an existing file, a tampered copy. Nothing is written.
        let restored = scratch.path("restored.sqlite")
        let later = try CLI.run(["restore", "--from", copy, "--db", restored, "--expect-head", liveHead])
        #expect(later.status == 1 && later.stderr.contains("refused: the backup") && later.stderr.contains("truncated"), "\(later.status) \(later.stdout) \(later.stderr)")
        // A checkpoint someone kept beyond the backup's head refuses it too: here the one in a
        // resident's receipt of the live ledger's last entry.
        let logKey = try #require(daemon.printed.split(separator: "\n").first { $0.hasPrefix("log key ") }).dropFirst("log key ".count)
        let kept = scratch.path("kept.tlog-proof")
        let receipt = try CLI.run(["receipt", "get", String(liveHead.split(separator: ":")[0]), "--port", String(port), "--token-file", live + ".demo-tokens",
                                   "--role", "auditor", "--out", kept])
        #expect(receipt.status == 0, "\(receipt.stderr)")
        let behind = try CLI.run(["restore", "--from", copy, "--db", restored, "--checkpoint", kept, "--log-key", String(logKey)])
        #expect(behind.status == 1 && behind.stderr.contains("refused: the backup"), "\(behind.stderr)")
        let onto = try CLI.run(["restore", "--from", copy, "--db", live])
        #expect(onto.status == 1 && onto.stderr.contains("already exists"), "\(onto.stderr)")
        let tampered = scratch.path("tampered.sqlite")
        try FileManager.default.copyItem(atPath: copy, toPath: tampered)
        try await DatabaseQueue(path: tampered).write { db in try db.execute(sql: "UPDATE accounts SET balance = balance + 100 WHERE id = 'R-DEMO-1'") }
        let forged = try CLI.run(["restore", "--from", tampered, "--db", restored])
        #expect(forged.status == 1 && forged.stderr.contains("fails its audit"), "\(forged.stderr)")
        #expect(!FileManager.default.fileExists(atPath: restored) && !FileManager.default.fileExists(atPath: restored + ".restoring"))
        // A symlink in the way, even one pointing nowhere, is not written through or replaced.
        let link = scratch.path("link.sqlite")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: scratch.path("nowhere.sqlite"))
        let throughLink = try CLI.run(["restore", "--from", copy, "--db", link])
        #expect(throughLink.status == 1 && throughLink.stderr.contains("already exists"), "\(throughLink.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("nowhere.sqlite")))

        // The drill: restore checked against the head the backup printed, then serve it.
        let restore = try CLI.run(["restore", "--from", copy, "--db", restored, "--expect-head", head])
        #expect(restore.status == 0 && restore.stdout == "restored \(restored) entries=\(backupSeq) head=\(head)\n", "\(restore.stdout)\(restore.stderr)")
        #expect(SecretFile.mode(restored) == 0o600)
        let second = try DaemonProcess(arguments: ["--db", restored, "--port", "0", "--key", live + ".log-key", "--pin-key", live + ".pin-key"])
        defer { second.terminate() }
        let adminToken = try DaemonProcess.demoToken("admin", db: live)
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: second.port) { connection async throws in
            _ = try await connection.call("AUTH \(adminToken)")
            #expect(try await connection.call("HEAD")[0].hasPrefix("OK seq=\(backupSeq) "))
            #expect(try await connection.call("AUDIT")[0].hasPrefix("OK entries="))
        }
    }
}
