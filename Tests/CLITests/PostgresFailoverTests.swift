import Foundation
import LedgerTestSupport
import LedgerWire
import Synchronization
import Testing

/// The whole failover, as issue 20 describes it: a PostgreSQL primary with a synchronous
/// standby, two ecoledgerd given both hosts, kiosks writing under load with refs, a witness
/// cosigning throughout; the primary is killed and its standby promoted, later the active
/// ecoledgerd is killed. Every acknowledged ref must be in the ledger exactly once.
/// Part of `make test`; `make failover-test` runs it alone.
@Suite("Failover on PostgreSQL", .enabled(if: PostgresCluster.isInstalled))
struct PostgresFailoverTests {
    /// What the kiosks saw: every acknowledged ref with its seq, and when each success came.
    final class Tally: @unchecked Sendable {
        private let state = Mutex<(acked: [String: Int], successes: [ContinuousClock.Instant], ports: [Int], refusals: [String])>(([:], [], [], []))
        let stop = Atomic<Bool>(false)

        func ports() -> [Int] { state.withLock { $0.ports } }
        func add(port: Int) { state.withLock { $0.ports.append(port) } }
        func acknowledged(_ ref: String, seq: Int) {
            state.withLock {
                $0.acked[ref] = seq
                $0.successes.append(.now)
            }
        }
        var acked: [String: Int] { state.withLock { $0.acked } }
        /// Every reply to a drop-off that was not OK.
        var refusals: [String] { state.withLock { $0.refusals } }
        func refused(_ reply: String) { state.withLock { $0.refusals.append(reply) } }
        var count: Int { state.withLock { $0.acked.count } }
        /// The write outage a failure at `moment` caused: the longest wait from one success to
        /// the next, from the last success before `moment` to `until`. (A killed server's
        /// connections can outlive it briefly, so the gap need not start at `moment` itself.)
        func outage(after moment: ContinuousClock.Instant, until end: ContinuousClock.Instant) -> Duration? {
            state.withLock { state in
                guard let first = state.successes.lastIndex(where: { $0 <= moment }) else { return nil }
                let window = state.successes[first...].prefix { $0 <= end }
                return zip(window, window.dropFirst()).map { $1 - $0 }.max()
            }
        }
    }

    /// The ecoledgerd started so far, the newest last.
    final class Servers: @unchecked Sendable {
        private let lock = NSLock()
        private var all: [DaemonProcess]

        init(_ first: DaemonProcess) { all = [first] }
        func add(_ daemon: DaemonProcess) { lock.withLock { all.append(daemon) } }
        /// The newest one still running: the writer.
        var running: DaemonProcess? { lock.withLock { all.last(where: { $0.process.isRunning }) } }
        /// The last lines each one logged, for a failure's message.
        var logTails: String {
            lock.withLock { all }.enumerated().map { index, daemon in
                "ecoledgerd \(index) (pid \(daemon.process.processIdentifier)):\n"
                    + daemon.standardError().split(separator: "\n").suffix(15).joined(separator: "\n")
            }.joined(separator: "\n")
        }
    }

    /// Waits until the kiosks have had `more` drop-offs acknowledged; false after `seconds`.
    static func awaitProgress(_ tally: Tally, more: Int, seconds: Int = 90) async throws -> Bool {
        let target = tally.count + more, deadline = ContinuousClock.now + .seconds(seconds)
        while tally.count < target {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(50))
        }
        return true
    }

    /// One kiosk: drop-offs with refs of its own, each retried (same ref) until acknowledged,
    /// on whichever server answers.
    static func kiosk(_ number: Int, token: String, tally: Tally) async {
        var next = 0, portIndex = 0
        while !tally.stop.load(ordering: .relaxed) {
            let ports = tally.ports()
            let port = ports[portIndex % ports.count]
            do {
                try await LedgerConnection.withConnection(host: "127.0.0.1", port: port, silenceLimit: .seconds(10)) { connection in
                    guard try await connection.call("AUTH \(token)")[0].hasPrefix("OK") else { throw TestFailure("AUTH refused") }
                    while !tally.stop.load(ordering: .relaxed) {
                        let ref = "kiosk\(number)-\(next)"
                        let reply = try await connection.call("DROPOFF R-1 point=CP-1 material=PET kg=1 ref=\(ref)")[0]
                        if reply.hasPrefix("OK seq="), let seq = Int(reply.dropFirst(7).prefix(while: \.isNumber)) {
                            tally.acknowledged(ref, seq: seq)
                            next += 1
                        } else {
                            tally.refused(reply)
                            // UNAVAILABLE while the database fails over: the same ref again, a little later.
                            try await Task.sleep(for: .milliseconds(50))
                        }
                    }
                }
            } catch {
                portIndex += 1
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    @Test("kill -9 the primary and promote its standby, then kill -9 the active ecoledgerd: every acknowledged ref once, no fork",
          .timeLimit(.minutes(5)))
    func primaryAndWriterDie() async throws {
        let primary = try PostgresCluster(settings: ["synchronous_standby_names='*'", "synchronous_commit=remote_apply"])
        defer { primary.stop() }
        let standby = try PostgresCluster(standbyOf: primary)
        defer { standby.stop() }
        while try primary.psql("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'").hasPrefix("0") {
            try await Task.sleep(for: .milliseconds(100))
        }
        try primary.psql("CREATE DATABASE ledger")
        let url = "postgres://postgres@127.0.0.1:\(primary.port),127.0.0.1:\(standby.port)/ledger?passfile=\(primary.passwordFile)&connect_timeout=2"
        #expect(try CLI.run(["init", "--db", url]).status == 0)

        let scratch = try Scratch()
        // A standby that never took over still waits for the lease: stopped with the test.
        defer { _ = try? PostgresCluster.run("/usr/bin/pkill", ["-KILL", "-f", scratch.path("log.key")]) }
        let admin = scratch.path("admin.token"), witnessKey = scratch.path("witness.key"), witnessToken = scratch.path("witness.token")
        #expect(try CLI.run(["key", "new", "--key", witnessKey]).status == 0)
        let witnessName = "witness.test/w1"
        let witnessVKey = try CLI.run(["key", "public", "--key", witnessKey, "--witness", witnessName]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let common = ["--db", url, "--port", "0", "--key", scratch.path("log.key"), "--pin-key", scratch.path("pin.key"),
                      "--admin-token-file", admin, "--checkpoint-interval", "0.2", "--witness", witnessVKey, "--origin", "failover.test/log"]
        let active = try DaemonProcess(arguments: common, captureStderr: true)
        let logKey = try #require(active.printed.split(separator: "\n").first { $0.hasPrefix("log key ") }).dropFirst(8)
        func call(_ port: Int, _ command: [String]) throws -> CLI.Result {
            try CLI.run(["call", "--port", "\(port)", "--token-file", admin] + command)
        }
        for command in [["MATERIAL", "SET", "PET", "rate=18", "name=PET"], ["POINT", "ADD", "CP-1", "name=Hall"],
                        ["ACCOUNT", "OPEN", "R-1", "kind=resident", "name=Juan"]] {
            #expect(try call(active.port, command).stdout.hasPrefix("OK"))
        }
        let issued = try call(active.port, ["TOKEN", "ISSUE", "role=operator", "point=CP-1"]).stdout
        let operatorToken = String(try #require(issued.split(separator: " ").first { $0.hasPrefix("token=") }).dropFirst(6))
        let witnessIssued = try CLI.run(["call", "--port", "\(active.port)", "--token-file", admin, "--token-out", witnessToken,
                                         "TOKEN", "ISSUE", "role=witness"])
        #expect(witnessIssued.status == 0, "\(witnessIssued.stdout)\(witnessIssued.stderr)")
        let tally = Tally()
        tally.add(port: active.port)
        // A standby ecoledgerd; once it takes over, the kiosks learn its port.
        let servers = Servers(active)
        func startStandby() {
            let pending = PostgresFencingTests.Pending(arguments: common)
            Thread {
                if let daemon = try? pending.listening(within: 600) {
                    servers.add(daemon)
                    tally.add(port: daemon.port)
                }
            }.start()
        }
        startStandby()

        let witnessState = scratch.path("witness.state")
        let cosigned = Atomic<Int>(0)
        func witnessRound() throws {
            for port in tally.ports() {
                let round = try CLI.run(["witness", "--port", "\(port)", "--token-file", witnessToken, "--key", witnessKey, "--name", witnessName,
                                         "--log-key", String(logKey), "--state", witnessState, "--once"])
                if round.stdout.hasPrefix("cosigned") { cosigned.add(1, ordering: .relaxed) }
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for number in 0..<4 { group.addTask { await Self.kiosk(number, token: operatorToken, tally: tally) } }
            defer { tally.stop.store(true, ordering: .relaxed) }
            guard try await Self.awaitProgress(tally, more: 100) else { Issue.record("no drop-offs before the failures"); return }
            try witnessRound()

            // 1. The database's primary dies; its synchronous standby is promoted. (If the active
            // ecoledgerd cannot renew its lease meanwhile, the standby ecoledgerd takes over:
            // either way writes go on.)
            let primaryDied = ContinuousClock.now
            try primary.kill9()
            try await Task.sleep(for: .seconds(1))
            try standby.promote()
            guard try await Self.awaitProgress(tally, more: 100) else { Issue.record("no writes after the promotion\n\(servers.logTails)"); return }
            let primaryOutage = tally.outage(after: primaryDied, until: .now)
            try witnessRound()

            // 2. The ecoledgerd that writes now dies; a standby ecoledgerd takes over.
            let writer = try #require(servers.running)
            if writer !== active { startStandby() }
            let writerDied = ContinuousClock.now
            kill(writer.process.processIdentifier, SIGKILL)
            guard try await Self.awaitProgress(tally, more: 100) else { Issue.record("no writes after the writer died\n\(servers.logTails)"); return }
            let writerOutage = tally.outage(after: writerDied, until: .now)
            tally.stop.store(true, ordering: .relaxed)
            try await group.waitForAll()
            try witnessRound()
            let taken = try #require(servers.running)

            let outages = [("primary killed, standby promoted", primaryOutage), ("active ecoledgerd killed", writerOutage)]
            for (what, outage) in outages {
                print("failover: write outage when the \(what): \(outage.map { "\($0)" } ?? "none measured"); \(tally.count) drop-offs acknowledged")
            }

            // Every acknowledged ref is in the ledger exactly once, at the seq it was acknowledged with.
            let acked = tally.acked
            let stored = try standby.psql("SELECT ref || ' ' || seq FROM journal WHERE ref LIKE 'kiosk%'", database: "ledger")
                .split(separator: "\n").map { $0.split(separator: " ") }
            let storedSeq = Dictionary(stored.map { (String($0[0]), Int($0[1]) ?? -1) }, uniquingKeysWith: { _, _ in -2 })
            for (ref, seq) in acked { #expect(storedSeq[ref] == seq, "\(ref) acknowledged as seq \(seq), stored as \(String(describing: storedSeq[ref]))") }
            #expect(cosigned.load(ordering: .relaxed) >= 2)
            // The kiosks were told to retry, and nothing about the database behind the server.
            let refusals = tally.refusals
            #expect(!refusals.isEmpty, "no drop-off was refused while the primary was down")
            for reply in Set(refusals) {
                #expect(reply.hasPrefix("ERR UNAVAILABLE ") && reply.hasSuffix("retry later with the same ref"), "\(reply)")
                #expect(!reply.contains("PostgreSQL") && !reply.contains("\(primary.port)") && !reply.contains("\(standby.port)"), "\(reply)")
            }
            #expect(!FileManager.default.fileExists(atPath: witnessState + ".evidence"), "the witness reported a fork")
            // A receipt for an entry written before each failure verifies.
            for seq in [acked.values.min()!, acked.values.max()!] {
                let file = scratch.path("receipt-\(seq).tlog-proof")
                #expect(try CLI.run(["receipt", "get", "--port", "\(taken.port)", "--token-file", admin, "\(seq)", "--out", file]).status == 0)
                let checked = try CLI.run(["receipt", "verify", file, "--log-key", String(logKey)])
                #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
            }
            taken.terminate()
            let verified = try CLI.run(["verify", "--db", "postgres://postgres@127.0.0.1:\(standby.port)/ledger?passfile=\(primary.passwordFile)",
                                        "--witness-key", witnessVKey])
            #expect(verified.stdout.hasPrefix("OK entries="), "\(verified.stdout)\(verified.stderr)")
        }
    }
}
