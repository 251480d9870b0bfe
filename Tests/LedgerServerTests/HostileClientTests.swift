import Foundation
import LedgerPersistence
import LedgerCore
@testable import LedgerServer
import LedgerStore
import LedgerWire
import LedgerTestSupport
import Testing

@Suite("Hostile clients", .serialized)
struct HostileClientTests {
    @Test("AUTH attempts are throttled per source address from the moment they start; successes are taken back; attempts age out")
    func throttleUnit() throws {
        let clock = ManualClock()
        let throttle = AuthThrottle(limit: 3, window: .seconds(60), now: { clock.now })
        // Three attempts in flight at once use up the address, though none has failed yet.
        let attempts = (0..<3).map { _ in throttle.begin("10.0.0.7") }
        #expect(attempts.allSatisfy { $0 != nil })
        #expect(throttle.begin("10.0.0.7") == nil, "a fourth attempt in flight is refused before any check")
        #expect(throttle.begin("10.0.0.8") != nil, "other addresses are unaffected")
        throttle.succeeded(try #require(attempts[0]))
        let again = throttle.begin("10.0.0.7")
        #expect(again != nil, "a successful login no longer counts")
        #expect(throttle.begin("10.0.0.7") == nil)
        clock.advance(.seconds(61))
        #expect(throttle.begin("10.0.0.7") != nil, "attempts age out of the window")
    }

    @Test("300 parallel AUTH RESIDENT guesses from one address make at most 20 PIN checks")
    func parallelResidentGuesses() async throws {
        try await TestServer.with { server in
            // 60 residents, so that one account's one-login-at-a-time rule does not bound the checks.
            try await server.session(as: .admin) { admin in
                for n in 0..<60 {
                    let reply = try await admin.call("ACCOUNT OPEN G-\(n) kind=resident name=Guest pin=1234")
                    #expect(reply[0].hasPrefix("OK seq="), "\(reply)")
                }
            }
            let before = try server.store.head().seq
            let replies = try await withThrowingTaskGroup(of: String.self) { group in
                for n in 0..<300 {
                    group.addTask {
                        try await LedgerConnection.withConnection(host: "127.0.0.1", port: server.port) { connection in
                            try await connection.call("AUTH RESIDENT G-\(n % 60) pin=\(String(format: "%04d", 5000 + n))")[0]
                        }
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            // Every wrong PIN that was checked is journaled as pin_rejected.
            let after = try server.store.head().seq
            let checks = try (before + 1..<after + 1).compactMap { try server.store.entry(seq: $0) }.filter { $0.body.kind == .pinRejected }.count
            #expect(replies.count == 300)
            #expect(replies.allSatisfy { $0.hasPrefix("ERR NOT_AUTHENTICATED") || $0.hasPrefix("ERR LIMIT_EXCEEDED") }, "\(Set(replies))")
            #expect(checks <= 20, "\(checks) PINs were checked")
            #expect(checks >= 1)
            #expect(replies.filter { $0.hasPrefix("ERR LIMIT_EXCEEDED") }.count >= 280)
        }
    }

    @Test("a merchant token guessing PINs across many residents makes at most 20 PIN checks a minute from one address")
    func merchantPINGuessing() async throws {
        try await TestServer.with { server in
            try await server.session(as: .admin) { admin async throws in
                for n in 0..<40 {
                    #expect(try await admin.call("ACCOUNT OPEN P-\(n) kind=resident name=Guest pin=1234")[0].hasPrefix("OK seq="))
                    #expect(try await admin.call("DROPOFF P-\(n) point=CP-1 material=PET kg=1 ref=p-\(n)")[0].hasPrefix("OK seq="))
                }
            }
            let before = try server.store.head().seq
            let replies = try await server.session(as: .merchant) { till async throws -> [String] in
                var replies: [String] = []
                for n in 0..<40 { replies.append(try await till.call("REDEEM P-\(n) points=1 merchant=M-1 pin=9999 ref=g-\(n)")[0]) }
                return replies
            }
            let after = try server.store.head().seq
            let checks = try (before + 1..<after + 1).compactMap { try server.store.entry(seq: $0) }.filter { $0.body.kind == .pinRejected }.count
            #expect(checks == 20, "\(checks) wrong PINs were checked")
            #expect(replies.filter { $0.hasPrefix("ERR WRONG_PIN") }.count == 20, "\(replies)")
            #expect(replies.suffix(20).allSatisfy { $0 == "ERR LIMIT_EXCEEDED too many wrong PINs from this address; try again later" }, "\(replies.suffix(20))")
            // Once the address has used its PIN checks, nothing more is checked from it this minute,
            // not even a right PIN (a right one only takes its own attempt back).
            try await server.session(as: .merchant) { till async throws in
                #expect(try await till.call("REDEEM R-1 points=1 merchant=M-1 pin=1234 ref=ok-1")[0].hasPrefix("ERR LIMIT_EXCEEDED"),
                        "the address has used its PIN checks for this minute")
            }
        }
    }

    @Test("a locked account's PIN is never checked: a right guess and a wrong one get the same LOCKED, and neither is given back to the address")
    func lockedAccountIsNoOracle() async throws {
        try await TestServer.with { server in
            try await server.session(as: .merchant) { till async throws in
                for n in 0..<5 { _ = try await till.call("REDEEM R-2 points=1 merchant=M-1 pin=999\(n) ref=l-\(n)") }
                let locked = "ERR LOCKED account R-2 is locked after 5 wrong PINs; an administrator must unlock it"
                #expect(try await till.call("REDEEM R-2 points=1 merchant=M-1 pin=1234 ref=l-right") == [locked], "the right PIN")
                #expect(try await till.call("REDEEM R-2 points=1 merchant=M-1 pin=5555 ref=l-wrong") == [locked], "a wrong PIN")
                // 5 wrong and 2 locked attempts used 7 of the address's 20: 13 are left, not 14.
                for n in 0..<13 {
                    let reply = try await till.call("REDEEM R-1 points=1 merchant=M-1 pin=000\(n % 10) ref=w-\(n)")[0]
                    #expect(reply.hasPrefix("ERR WRONG_PIN") || reply.hasPrefix("ERR LOCKED"), "\(n): \(reply)")
                }
                #expect(try await till.call("REDEEM R-1 points=1 merchant=M-1 pin=0001 ref=w-last")[0].hasPrefix("ERR LIMIT_EXCEEDED"))
            }
        }
    }

    @Test("after too many failed AUTHs from one address, even a good token is refused from it for a while")
    func throttleOverTheWire() async throws {
        try await TestServer.with(configure: { $0.authFailuresPerAddress = 6 }) { server in
            for attempt in 0..<2 {
                try await server.session { connection async throws in
                    for n in 0..<(attempt == 0 ? 5 : 1) {
                        let reply = try await connection.call("AUTH wrong-\(attempt)-\(n)-xxxxxxxxxxxx")
                        #expect(reply[0].hasPrefix("ERR NOT_AUTHENTICATED"))
                    }
                }
            }
            try await server.session { connection async throws in
                let reply = try await connection.call("AUTH \(TestServer.secrets[.admin]!)")
                #expect(reply[0].hasPrefix("ERR LIMIT_EXCEEDED too many AUTH attempts from this address"))
                #expect(try await connection.call("PING") == ["OK pong"], "the connection itself is still served")
            }
        }
    }

    @Test("100,000 pipelined requests are all answered, in order, with the server's memory bounded")
    func hugePipeline() async throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"])
        let token = try DaemonProcess.demoToken("operator", db: db)
        let total = 100_000
        let client = try RawClient(port: daemon.port)
        try client.write("AUTH \(token)\n")
        #expect(try client.readLine()?.hasPrefix("OK role=operator") == true)
        // One thread writes all 100,000 requests as fast as the socket takes them; this one reads.
        let writer = Thread {
            var batch = ""
            for n in 0..<total {
                batch += n % 50 == 0 ? "DROPOFF R-DEMO-1 point=CP-DEMO material=PET kg=1 ref=p\(n)\n" : "PING\n"
                if batch.utf8.count > 60_000 { try? client.write(batch); batch = "" }
            }
            try? client.write(batch)
        }
        writer.start()
        var answered = 0
        for n in 0..<total {
            guard let reply = try client.readLine() else { break }
            if n % 50 == 0 ? !reply.hasPrefix("OK seq=") : reply != "OK pong" { Issue.record("\(n): \(reply)") }
            answered += 1
        }
        #expect(answered == total)
        let peak = try #require(daemon.peakRSSKilobytes())
        #expect(peak < 200 * 1024, "peak RSS \(peak) kB: pipelined input must not pile up in memory")
        #expect(daemon.terminate() == 0)
    }

    @Test("a client that never reads its replies stalls only itself; the server's memory stays bounded")
    func neverReads() async throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"])
        let token = try DaemonProcess.demoToken("operator", db: db)
        // The hog writes requests until its socket blocks (the server has stopped reading it,
        // its replies unread), and never reads a reply.
        let hog = try RawClient(port: daemon.port)
        try hog.write("AUTH \(token)\n")
        #expect(hog.floodUntilBlocked("MATERIAL LIST"), "the hog's socket must block")
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: daemon.port) { connection async throws in
            _ = try await connection.call("AUTH \(token)")
            #expect(try await connection.call("PING") == ["OK pong"])
            #expect(try await connection.call("DROPOFF R-DEMO-1 point=CP-DEMO material=PET kg=2 ref=still-served")[0].hasPrefix("OK seq="))
        }
        let peak = try #require(daemon.peakRSSKilobytes())
        #expect(peak < 200 * 1024, "peak RSS \(peak) kB")
        #expect(daemon.terminate() == 0, "the server still shuts down cleanly with a stuck client")
    }
}

@Suite("Clients that never read")
struct StalledReaderTests {
    /// Sixty materials, so that every MATERIAL LIST reply is about 5 kB and a client that
    /// does not read fills its buffers after a few hundred requests.
    static func addMaterials(port: Int, admin: String) async throws {
        let client = try RawClient(port: port)
        try client.write("AUTH \(admin)\n")
        guard try client.readLine()?.hasPrefix("OK") == true else { throw TestFailure("AUTH failed") }
        for index in 0..<60 {
            try client.write("MATERIAL SET M\(index) rate=1 name=\"Material number \(index) with a long name\"\n")
            let reply = try client.readLine()
            guard reply?.hasPrefix("OK") == true else { throw TestFailure("MATERIAL SET: \(reply ?? "closed")") }
        }
    }

    /// Three clients AUTH, then send MATERIAL LIST without ever reading, until the kernel takes no more.
    static func stallHogs(port: Int, token: String) throws -> [RawClient] {
        try (0..<3).map { _ in
            let hog = try RawClient(port: port, receiveBuffer: 4096)
            try hog.write("AUTH \(token)\n")
            guard try hog.readLine()?.hasPrefix("OK role=operator") == true else { throw TestFailure("AUTH failed") }
            _ = hog.floodUntilBlocked("MATERIAL LIST")
            return hog
        }
    }

    /// Waits until the server has stopped answering: STATS's `commands` stays put.
    static func waitUntilStalled(port: Int, admin: String) async throws {
        try await LedgerConnection.withConnection(host: "127.0.0.1", port: port) { connection async throws in
            _ = try await connection.call("AUTH \(admin)")
            var last = -1, unchanged = 0, polls = 0
            for _ in 0..<600 where unchanged < 3 {
                let stats = try await connection.call("STATS")[0]
                let commands = stats.split(separator: " ").first { $0.hasPrefix("commands=") }.flatMap { Int($0.dropFirst(9)) } ?? 0
                // This connection's own STATS replies count too.
                let others = commands - polls
                polls += 1
                unchanged = others == last ? unchanged + 1 : 0
                last = others
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    @Test("clients that never read lose their slots after the idle timeout; new clients are served again")
    func slotsComeBack() async throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo", "--idle-timeout", "5", "--max-connections", "3"])
        defer { daemon.terminate() }
        try await Self.addMaterials(port: daemon.port, admin: try DaemonProcess.demoToken("admin", db: db))
        let hogs = try Self.stallHogs(port: daemon.port, token: try DaemonProcess.demoToken("operator", db: db))
        // A plain blocking socket: a refused client reads the refusal, then end of stream.
        let refused = try RawClient(port: daemon.port).readLine()
        #expect(refused?.hasPrefix("ERR LIMIT_EXCEEDED") == true, "the hogs hold every slot: \(refused ?? "closed")")
        // Before the fix they held them for ever.
        var served = false
        for _ in 0..<300 where !served {
            let client = try RawClient(port: daemon.port)
            try? client.write("PING\n")
            served = (try? client.readLine()) == "OK pong"
            if !served { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(served, "a new client was refused for 30 s")
        withExtendedLifetime(hogs) {}
    }

    @Test("SIGTERM ends the server within --shutdown-grace however stuck its clients are")
    func boundedShutdown() async throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo", "--idle-timeout", "3600", "--shutdown-grace", "1"])
        let admin = try DaemonProcess.demoToken("admin", db: db)
        try await Self.addMaterials(port: daemon.port, admin: admin)
        let hogs = try Self.stallHogs(port: daemon.port, token: try DaemonProcess.demoToken("operator", db: db))
        try await Self.waitUntilStalled(port: daemon.port, admin: admin)
        let started = ContinuousClock.now
        daemon.process.terminate() // SIGTERM
        while daemon.process.isRunning, ContinuousClock.now - started < .seconds(30) { try await Task.sleep(for: .milliseconds(50)) }
        let stuck = daemon.process.isRunning
        if stuck { kill(daemon.process.processIdentifier, SIGKILL) }
        daemon.process.waitUntilExit()
        #expect(!stuck, "ecoledgerd was still running 30 s after SIGTERM with --shutdown-grace 1")
        #expect(daemon.process.terminationStatus == 0)
        // The ledger was closed cleanly: it opens and verifies.
        let store = try LedgerStore.open(at: db)
        defer { try? store.close() }
        guard case .success = try store.verify() else { Issue.record("the ledger must verify after a forced shutdown"); return }
        withExtendedLifetime(hogs) {}
    }
}

/// A clock the test moves by hand.
final class ManualClock: @unchecked Sendable {
    private var current = ContinuousClock.now
    var now: ContinuousClock.Instant { current }
    func advance(_ duration: Duration) { current += duration }
}

@Suite("Deterministic randomness")
struct DeterministicRandomnessTests {
    @Test("with a seeded random source, token ids, secrets and PIN salts replay exactly")
    func seeded() async throws {
        func run() async throws -> (String, String) {
            try await TestServer.with(configure: { configuration in
                let generator = LockedGenerator(seed: 7)
                configuration.randomBytes = { count in generator.bytes(count) }
            }) { server in
                let token = try await server.session(as: .admin) { connection async throws in
                    _ = try await connection.call("ACCOUNT OPEN R-SEEDED kind=resident name=Seeded pin=2468")
                    return try await connection.call("TOKEN ISSUE role=auditor")[0]
                }
                let salt = try server.store.pinRecord(AccountID("R-SEEDED"))!.text
                return (String(token.split(separator: " ").filter { $0.hasPrefix("id=") || $0.hasPrefix("token=") }.joined(separator: " ")), salt)
            }
        }
        let first = try await run(), second = try await run()
        #expect(first == second)
    }
}

import Synchronization

/// A seeded generator behind a lock, usable as the server's random source.
final class LockedGenerator: Sendable {
    private let state: Mutex<SeededGenerator>
    init(seed: UInt64) { state = Mutex(SeededGenerator(seed: seed)) }
    func bytes(_ count: Int) -> [UInt8] {
        state.withLock { generator in (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) } }
    }
}
