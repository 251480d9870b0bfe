import Foundation
import LedgerTestSupport
import Testing

/// The transparency log end to end, as its users would run it: the operator's ecoledgerd, a
/// resident's receipt checked offline, a witness run by someone else, and an operator who
/// restores an old copy of the ledger and writes a different history under the same key.
@Suite("Receipts and witnesses from the command line", .serialized)
struct TransparencyCLITests {
    static let origin = "ledger.test.example/ecoledger"
    static let witnessName = "witness.test.example/barangay"

    struct Setup {
        let scratch: Scratch
        let db: String
        let logVKey: String
        let witnessVKey: String
        var tokens: String { db + ".demo-tokens" }

        init() throws {
            scratch = try Scratch()
            db = scratch.path("ledger.sqlite")
            #expect(try CLI.run(["key", "new", "--key", scratch.path("log.key")]).status == 0)
            #expect(try CLI.run(["key", "new", "--key", scratch.path("witness.key")]).status == 0)
            logVKey = try CLI.run(["key", "public", "--key", scratch.path("log.key"), "--origin", TransparencyCLITests.origin]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            witnessVKey = try CLI.run(["key", "public", "--key", scratch.path("witness.key"), "--witness", TransparencyCLITests.witnessName]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func daemon(demo: Bool = false) throws -> DaemonProcess {
            try DaemonProcess(arguments: ["--db", db, "--port", "0", "--key", scratch.path("log.key"), "--origin", TransparencyCLITests.origin,
                                          "--witness", witnessVKey, "--checkpoint-interval", "0.05"] + (demo ? ["--demo"] : []))
        }

        func call(_ port: Int, role: String = "admin", _ command: [String]) throws -> CLI.Result {
            try CLI.run(["call", "--port", String(port), "--token-file", tokens, "--role", role] + command)
        }

        /// A witness token written to a file of its own.
        func witnessToken(_ port: Int) throws -> String {
            let reply = try call(port, ["TOKEN", "ISSUE", "role=witness"]).stdout
            let secret = try #require(reply.split(separator: " ").first { $0.hasPrefix("token=") }?.dropFirst(6))
            let file = scratch.path("witness.token")
            try? FileManager.default.removeItem(atPath: file)
            try String(secret).write(toFile: file, atomically: true, encoding: .utf8)
            return file
        }

        /// Waits until a checkpoint covers the whole ledger: RECEIPT of the head returns only
        /// then (the server's own wait, bounded by its checkpoint interval).
        func waitForCheckpoint(_ port: Int) throws {
            let head = try #require(call(port, ["HEAD"]).stdout.split(separator: " ").first { $0.hasPrefix("seq=") }?.dropFirst(4))
            let receipt = try call(port, ["RECEIPT", String(head)])
            #expect(receipt.status == 0, "\(receipt.stdout)\(receipt.stderr)")
        }

        func witness(_ port: Int, token: String) throws -> CLI.Result {
            try CLI.run(["witness", "--port", String(port), "--token-file", token, "--key", scratch.path("witness.key"), "--name",
                         TransparencyCLITests.witnessName, "--log-key", logVKey, "--state", scratch.path("witness.state"), "--once"])
        }
    }

    @Test("a resident's receipt verifies offline with the log key and a witness's cosignature, and reads like the drop-off")
    func receiptWithWitness() throws {
        let setup = try Setup()
        #expect(setup.logVKey.hasPrefix("\(Self.origin)+") && setup.witnessVKey.hasPrefix("\(Self.witnessName)+"))
        let daemon = try setup.daemon(demo: true)
        let dropoff = try setup.call(daemon.port, role: "operator", ["DROPOFF", "R-DEMO-1", "point=CP-DEMO", "material=PET", "kg=2.5", "ref=cli-r1"])
        #expect(dropoff.status == 0, "\(dropoff.stdout)\(dropoff.stderr)")
        let seq = try #require(dropoff.stdout.split(separator: " ").first { $0.hasPrefix("seq=") }?.dropFirst(4))
        let token = try setup.witnessToken(daemon.port)
        // The witness cosigns the checkpoint that covers the drop-off (and the token issued after
        // it), not whatever the timer signed before them.
        try setup.waitForCheckpoint(daemon.port)
        let witnessed = try setup.witness(daemon.port, token: token)
        #expect(witnessed.status == 0 && witnessed.stdout.hasPrefix("cosigned \(Self.origin) size "), "\(witnessed.stdout)\(witnessed.stderr)")
        let file = setup.scratch.path("r.tlog-proof")
        let fetched = try CLI.run(["receipt", "get", String(seq), "--port", String(daemon.port), "--token-file", setup.tokens, "--role", "operator",
                                   "--out", file])
        #expect(fetched.status == 0, "\(fetched.stderr)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.hasPrefix("c2sp.org/tlog-proof@v1\nextra "))
        let verified = try CLI.run(["receipt", "verify", file, "--log-key", setup.logVKey, "--witness-key", setup.witnessVKey, "--witnesses", "1"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        #expect(verified.stdout.contains("seq \(seq), ") && verified.stdout.contains(": drop-off of 2.5 kg PET at CP-DEMO, 45.00 points to R-DEMO-1"),
                "\(verified.stdout)")
        #expect(verified.stdout.contains("; cosigned by 1 witness(es): \(Self.witnessName)"), "\(verified.stdout)")
        // Without the witness's key, the cosignature it carries is counted, and said unchecked;
        // the time is shown in the zone asked for.
        let unchecked = try CLI.run(["receipt", "verify", file, "--log-key", setup.logVKey, "--tz", "+08:00"])
        #expect(unchecked.status == 0 && unchecked.stdout.contains("; it carries 1 witness cosignature(s), not checked"), "\(unchecked.stdout)")
        #expect(unchecked.stdout.contains("+08:00: drop-off of 2.5 kg"), "\(unchecked.stdout)")
        let west = try CLI.run(["receipt", "verify", file, "--log-key", setup.logVKey, "--tz", "-03:30"])
        #expect(west.status == 0 && west.stdout.contains("-03:30: drop-off of 2.5 kg"), "a negative offset is a value, not an option: \(west.stdout)\(west.stderr)")
        // A receipt anchors an audit too (its checkpoint), once the server has stopped.
        let anchorCopy = setup.scratch.path("anchor.tlog-proof")
        try FileManager.default.copyItem(atPath: file, toPath: anchorCopy)
        // One witness counts once, however often its key is given.
        #expect(try CLI.run(["receipt", "verify", file, "--log-key", setup.logVKey, "--witness-key", setup.witnessVKey,
                             "--witness-key", setup.witnessVKey, "--witnesses", "2"]).status == 1)
        // Two witness runs never share a state: the second refuses to start.
        let lock = open(setup.scratch.path("witness.state") + ".lock", O_RDWR | O_CREAT, 0o600)
        flock(lock, LOCK_EX)
        let second = try setup.witness(daemon.port, token: token)
        #expect(second.status == 1 && second.stderr.contains("another witness run holds"), "\(second.stderr)")
        flock(lock, LOCK_UN)
        close(lock)
        // The wrong log key, a tampered receipt, or a missing witness fail.
        #expect(try CLI.run(["receipt", "verify", file, "--log-key", setup.witnessVKey]).status == 1)
        try text.replacingOccurrences(of: "\nindex ", with: "\nindex 1").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try CLI.run(["receipt", "verify", file, "--log-key", setup.logVKey]).status == 1)
        #expect(daemon.terminate() == 0)
        // The witness's state is a signed checkpoint: verify --checkpoint anchors the audit to it.
        let audited = try CLI.run(["verify", "--db", setup.db, "--checkpoint", setup.scratch.path("witness.state"), "--log-key", setup.logVKey])
        #expect(audited.status == 0 && audited.stdout.hasPrefix("OK entries="), "\(audited.stdout)\(audited.stderr)")
        // With the witness's key, its stored cosignatures' signatures are checked too; with the
        // key of another witness under the same name, they fail.
        let withKey = try CLI.run(["verify", "--db", setup.db, "--witness-key", setup.witnessVKey])
        #expect(withKey.status == 0 && withKey.stdout.hasPrefix("OK entries="), "\(withKey.stdout)\(withKey.stderr)")
        let impostorKey = setup.scratch.path("impostor.key")
        #expect(try CLI.run(["key", "new", "--key", impostorKey]).status == 0)
        let impostor = try CLI.run(["key", "public", "--key", impostorKey, "--witness", Self.witnessName]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let wrongKey = try CLI.run(["verify", "--db", setup.db, "--witness-key", impostor])
        #expect(wrongKey.status != 0 && wrongKey.stdout.hasPrefix("CHAIN_BROKEN"), "\(wrongKey.stdout)\(wrongKey.stderr)")
        let anchored = try CLI.run(["verify", "--db", setup.db, "--checkpoint", anchorCopy, "--log-key", setup.logVKey])
        #expect(anchored.status == 0, "\(anchored.stdout)\(anchored.stderr)")
        // The log key cannot be lost quietly: without it, or with another, ecoledgerd refuses to start.
        try FileManager.default.moveItem(atPath: setup.scratch.path("log.key"), toPath: setup.scratch.path("log.key.saved"))
        let refused = try CLI.run(["--db", setup.db, "--port", "0", "--key", setup.scratch.path("log.key"), "--origin", Self.origin],
                                  executable: DaemonProcess.binary)
        #expect(refused.status != 0 && refused.stderr.contains("is missing, but this ledger's checkpoints are signed with"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: setup.scratch.path("log.key")), "no new key is made in its place")
        let otherOrigin = try CLI.run(["--db", setup.db, "--port", "0", "--key", setup.scratch.path("log.key.saved"), "--origin", "other.example/log"],
                                      executable: DaemonProcess.binary)
        #expect(otherOrigin.status != 0 && otherOrigin.stderr.contains("this ledger's log is \(Self.origin)"), "\(otherOrigin.stderr)")
    }

    @Test("an old copy of the ledger restored and written differently under the same key is refused by the witness")
    func forkCaughtByWitness() throws {
        let setup = try Setup()
        var daemon = try setup.daemon(demo: true)
        let token = try setup.witnessToken(daemon.port)
        #expect(try setup.witness(daemon.port, token: token).status == 0)
        #expect(daemon.terminate() == 0)
        let copy = setup.scratch.path("old-copy.sqlite")
        try FileManager.default.copyItem(atPath: setup.db, toPath: copy)
        // History goes on, and the witness cosigns it.
        daemon = try setup.daemon()
        #expect(try setup.call(daemon.port, role: "operator", ["DROPOFF", "R-DEMO-1", "point=CP-DEMO", "material=PET", "kg=2", "ref=real"]).status == 0)
        try setup.waitForCheckpoint(daemon.port)
        let second = try setup.witness(daemon.port, token: token)
        #expect(second.status == 0 && second.stdout.contains("cosigned"), "\(second.stdout)\(second.stderr)")
        #expect(daemon.terminate() == 0)
        // The operator restores the old copy and writes something else in the same place.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: setup.db + suffix) }
        try FileManager.default.copyItem(atPath: copy, toPath: setup.db)
        daemon = try setup.daemon()
        defer { daemon.terminate() }
        #expect(try setup.call(daemon.port, role: "operator", ["DROPOFF", "R-DEMO-2", "point=CP-DEMO", "material=PET", "kg=9", "ref=forged"]).status == 0)
        try setup.waitForCheckpoint(daemon.port)
        let refused = try setup.witness(daemon.port, token: token)
        #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("REFUSED two different roots for size"), "\(refused.stderr)")
        let evidence = try String(contentsOfFile: setup.scratch.path("witness.state") + ".evidence", encoding: .utf8)
        #expect(evidence.contains("--- accepted\n\(Self.origin)\n") && evidence.contains("--- offered\n\(Self.origin)\n"))
    }
}
