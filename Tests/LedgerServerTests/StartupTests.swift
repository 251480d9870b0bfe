import Foundation
import LedgerStore
import LedgerTestSupport
import LedgerWire
import Testing

/// What ecoledgerd checks before it writes anything, and a ledger served by one process only.
@Suite("Start-up checks", .serialized)
struct StartupTests {
    /// The files a failed start must not leave behind (the lock file aside, which holds nothing).
    static func leftovers(_ scratch: Scratch, _ db: String) -> [String] {
        [db, db + "-wal", db + ".log-key", db + ".pin-key", db + ".demo-tokens"].filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test("a second ecoledgerd on a ledger being served is refused before it writes anything, naming the other process")
    func secondServerRefused() async throws {
        let scratch = try Scratch()
        let db = scratch.path("one.sqlite")
        let first = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"])
        let head = try await LedgerConnection.withConnection(host: "127.0.0.1", port: first.port) { try await $0.call("HEAD")[0] }
        let refusal = try DaemonTests.refusedStart(["--db", db, "--port", "0"])
        #expect(refusal.contains("\(db) is already being served by ecoledgerd pid \(first.process.processIdentifier)"), "\(refusal)")
        #expect(refusal.contains("stop that server first"), "\(refusal)")
        // The first one serves on, unchanged.
        #expect(try await LedgerConnection.withConnection(host: "127.0.0.1", port: first.port) { try await $0.call("HEAD")[0] } == head)
        // Once it is gone (even killed), the ledger may be served again.
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()
        let second = try DaemonProcess(arguments: ["--db", db, "--port", "0"])
        #expect(second.terminate() == 0)
    }

    @Test("a port in use is reported with its address before a ledger, a key or an origin is written")
    func portInUse() throws {
        let scratch = try Scratch()
        let holder = try DaemonProcess(arguments: ["--db", scratch.path("holder.sqlite"), "--port", "0"])
        defer { holder.terminate() }
        let db = scratch.path("new.sqlite")
        let refusal = try DaemonTests.refusedStart(["--db", db, "--port", String(holder.port), "--origin", "wrong.example/log"])
        #expect(refusal.contains("cannot listen on 127.0.0.1:\(holder.port): Address already in use"), "\(refusal)")
        #expect(!refusal.contains("errno") && !refusal.contains("descriptor"), "no raw NIO error: \(refusal)")
        #expect(Self.leftovers(scratch, db) == [], "a failed start left files behind")
        // The next start, with the intended origin, is not refused for an origin it never had.
        let started = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--origin", "right.example/log"])
        #expect(started.terminate() == 0)
    }

    @Test("a weak admin token, an exposed TLS key or a missing certificate leave no ledger or key behind")
    func nothingWrittenOnBadFiles() throws {
        let scratch = try Scratch()
        let db = scratch.path("x.sqlite")
        let weak = scratch.path("admin.token")
        try DaemonTests.writeSecret("0f1e2d3c4b5a69788796a5b4c3d2e1f", to: weak)
        #expect(try DaemonTests.refusedStart(["--db", db, "--port", "0", "--admin-token-file", weak]).contains("at least 128 are needed"))
        #expect(Self.leftovers(scratch, db) == [])
        let key = scratch.path("tls.key"), cert = scratch.path("tls.crt")
        try DaemonTests.writeSecret("not a key", to: key, mode: 0o644)
        #expect(try DaemonTests.refusedStart(["--db", db, "--port", "0", "--tls-cert", cert, "--tls-key", key]).contains("chmod 600 \(key)"))
        #expect(Self.leftovers(scratch, db) == [])
        try DaemonTests.writeSecret("not a key", to: key)
        let missing = try DaemonTests.refusedStart(["--db", db, "--port", "0", "--tls-cert", cert, "--tls-key", key])
        #expect(missing.contains("cannot read --tls-cert \(cert): No such file or directory"), "\(missing)")
        #expect(Self.leftovers(scratch, db) == [])
    }

    @Test("a failed AUTH is logged with the peer's address")
    func failedAuthNamesThePeer() async throws {
        let scratch = try Scratch()
        let daemon = try DaemonProcess(arguments: ["--db", scratch.path("l.sqlite"), "--port", "0", "--log-format", "json"], captureStderr: true)
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: daemon.port) { connection async throws in
            #expect(try await connection.call("AUTH not-a-token")[0].hasPrefix("ERR NOT_AUTHENTICATED"))
        }
        #expect(daemon.terminate() == 0)
        let line = try #require(daemon.standardError().split(separator: "\n").first { $0.contains("\"AUTH failed\"") })
        #expect(line.contains("\"peer\":\"127.0.0.1\""), "\(line)")
    }
}
