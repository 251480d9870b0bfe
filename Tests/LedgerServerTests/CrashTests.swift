import Foundation
import LedgerPersistence
import LedgerCore
import LedgerStore
import LedgerWire
import LedgerTestSupport
import Synchronization
import Testing

/// `make crash-test`: kill -9 the server at random moments under load and check that no
/// acknowledged write is lost, duplicated or changed, and that nothing half-done remains.
///
/// `ECOLEDGER_CRASH_CYCLES` sets the number of cycles (default 3, as in CI; `make crash-test`
/// runs 50) and `ECOLEDGER_CRASH_SEED` the seed, so a failing run replays.
@Suite("Crash safety", .serialized)
struct CrashTests {
    static var cycles: Int { Int(ProcessInfo.processInfo.environment["ECOLEDGER_CRASH_CYCLES"] ?? "") ?? 3 }
    static var seed: UInt64 { UInt64(ProcessInfo.processInfo.environment["ECOLEDGER_CRASH_SEED"] ?? "") ?? UInt64.random(in: 1...1_000_000) }

    /// What one client sent and what it was told.
    struct Sent: Sendable {
        let ref: String
        let line: String
        var acknowledged: (seq: Int64, hash: String)?
    }

    @Test("kill -9 under load: every acknowledged entry survives exactly once, unchanged; in-doubt retries tell the truth")
    func killNine() async throws {
        let seed = Self.seed
        var random = SeededGenerator(seed: seed)
        print("crash-test: seed=\(seed) cycles=\(Self.cycles)")
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite")
        var acknowledged: [String: (seq: Int64, hash: String)] = [:]
        var checkedEntries: Int64 = 0
        for cycle in 0..<Self.cycles {
            let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"])
            let token = try DaemonProcess.demoToken("admin", db: db)
            // The kill comes after a random number of acknowledgements (a condition, not a guess
            // at time), so every cycle has acknowledged entries to lose, and in-doubt ones.
            let killAfter = Int.random(in: 5...300, using: &random)
            let progress = Progress()
            let load = Task { try await Self.drive(port: daemon.port, token: token, cycle: cycle, progress: progress) }
            // A generous bound: with the whole suite running, synchronous tests can hold both of
            // the cooperative pool's threads for minutes, and the load's tasks wait for them.
            let deadline = ContinuousClock.now + .seconds(900)
            while progress.acknowledged.load(ordering: .relaxed) < killAfter, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            progress.killed.store(true, ordering: .sequentiallyConsistent)
            kill(daemon.process.processIdentifier, SIGKILL)
            daemon.process.waitUntilExit()
            let sent = try await load.value
            let acknowledgedNow = sent.filter { $0.acknowledged != nil }.count
            #expect(acknowledgedNow >= killAfter, "cycle \(cycle): \(acknowledgedNow) acknowledged before the kill, \(killAfter) expected")
            // After a restart: every in-doubt request, retried with its ref, reports its true outcome.
            for item in sent { if let ack = item.acknowledged { acknowledged[item.ref] = ack } }

            // Restart on the same file and check it.
            let restarted = try DaemonProcess(arguments: ["--db", db, "--port", "0"])
            try await LedgerConnection.withConnection(host: "127.0.0.1", port: restarted.port) { connection async throws in
                #expect(try await connection.call("AUTH \(token)")[0].hasPrefix("OK role=admin"))
                let audit = try await connection.call("AUDIT")[0]
                #expect(audit.hasPrefix("OK entries="), "cycle \(cycle): \(audit)")
                for item in sent {
                    let reply = try await connection.call(item.line)[0]
                    if let ack = item.acknowledged {
                        #expect(reply.hasPrefix("OK seq=\(ack.seq) ") && reply.contains("hash=\(ack.hash)") && reply.hasSuffix("replayed=1"),
                                "cycle \(cycle): acknowledged \(item.ref) came back as \(reply)")
                    } else {
                        // In doubt: committed before the kill (replayed) or not (applied now); either way exactly once.
                        #expect(reply.hasPrefix("OK seq=") || reply.hasPrefix("ERR INSUFFICIENT_POINTS"), "cycle \(cycle): \(item.ref) → \(reply)")
                        if reply.hasPrefix("OK seq="), let ack = Self.parse(reply) { acknowledged[item.ref] = ack }
                    }
                }
            }
            #expect(restarted.terminate() == 0)
            let store = try LedgerStore.open(at: db, readOnly: true)
            guard case .success(let report) = try store.verify() else { Issue.record("cycle \(cycle): the ledger must verify"); return }
            checkedEntries = report.entries
            #expect(!acknowledged.isEmpty)
            for (ref, ack) in acknowledged {
                let entry = try store.entry(ref: ClientRef(ref))
                #expect(entry?.seq == ack.seq && entry?.hash.hex == ack.hash, "cycle \(cycle): \(ref) changed or vanished")
            }
            try store.close()
        }
        print("crash-test: cycles=\(Self.cycles) acknowledged=\(acknowledged.count) entries_checked=\(checkedEntries) seed=\(seed)")
    }

    /// What the clients have been told, and whether the server has been killed yet.
    final class Progress: Sendable {
        let acknowledged = Atomic<Int>(0)
        let killed = Atomic<Bool>(false)
    }

    /// Three clients sending drop-offs and redemptions until the server dies. A failure before
    /// the kill is a test failure; after it, the connection's end is expected.
    static func drive(port: Int, token: String, cycle: Int, progress: Progress) async throws -> [Sent] {
        try await withThrowingTaskGroup(of: [Sent].self) { group in
            for client in 0..<3 {
                group.addTask {
                    var sent: [Sent] = []
                    do {
                        try await LedgerConnection.withConnection(host: "127.0.0.1", port: port) { connection in
                        let auth = try await connection.call("AUTH \(token)")[0]
                        let killed = progress.killed.load(ordering: .sequentiallyConsistent)
                        #expect(auth.hasPrefix("OK role=admin") || killed, "\(auth)")
                        for n in 0..<100_000 {
                            let ref = "x\(cycle)-\(client)-\(n)"
                            let line = n % 5 == 4
                                ? "REDEEM R-DEMO-\(1 + client % 2) points=1 merchant=M-DEMO pin=1234 ref=\(ref)"
                                : "DROPOFF R-DEMO-\(1 + client % 2) point=CP-DEMO material=PET kg=1.5 ref=\(ref)"
                            sent.append(Sent(ref: ref, line: line))
                            try await connection.send(line)
                            guard let reply = try await connection.readReply() else { return }
                            if let ack = parse(reply[0]) {
                                sent[sent.count - 1].acknowledged = ack
                                progress.acknowledged.add(1, ordering: .relaxed)
                            } else {
                                #expect(reply[0].hasPrefix("ERR INSUFFICIENT_POINTS"), "cycle \(cycle): \(line) → \(reply[0])")
                            }
                        }
                        }
                    } catch {
                        // The server was killed under the connection: expected then, and only then.
                        let killed = progress.killed.load(ordering: .sequentiallyConsistent)
                        #expect(killed, "cycle \(cycle) client \(client): \(error) before the kill")
                    }
                    return sent
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
    }

    static func parse(_ reply: String) -> (seq: Int64, hash: String)? {
        guard reply.hasPrefix("OK seq=") else { return nil }
        let fields = reply.split(separator: " ")
        guard let seq = fields.first(where: { $0.hasPrefix("seq=") }).flatMap({ Int64($0.dropFirst(4)) }),
              let hash = fields.first(where: { $0.hasPrefix("hash=") })?.dropFirst(5) else { return nil }
        return (seq, String(hash))
    }
}
