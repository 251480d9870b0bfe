import Foundation
import LedgerPersistence
import GRDB
import LedgerHost
import LedgerStore
import LedgerTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `ecoledger kiosk` across a server that dies and comes back, a kiosk killed mid-delivery and
/// an acknowledgement lost on the way: every queued drop-off is credited exactly once.
@Suite("The kiosk's durable queue", .serialized)
struct KioskTests {
    @Test("100 drop-offs queued while the server is killed and restarted, a flush killed mid-delivery, a lost reply: each credited exactly once")
    func hundredDropoffs() throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite"), queue = scratch.path("kiosk-queue")
        var daemon: DaemonProcess? = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"])
        func kiosk(_ port: Int) -> [String] {
            ["kiosk", "--queue", queue, "--port", String(port), "--token-file", db + ".demo-tokens", "--role", "operator"]
        }
        var port = daemon!.port
        var statuses: [Int32: Int] = [:]
        for index in 0..<100 {
            if index == 30 {
                // The server dies without warning.
                kill(daemon!.process.processIdentifier, SIGKILL)
                daemon!.process.waitUntilExit()
                daemon = nil
            }
            if index == 70 {
                // While it is down, say the kiosk lost the reply of a request the server did
                // apply: the request is pending again, with its ref.
                try DatabaseQueue(path: queue + "/queue.sqlite").write { db in
                    try db.execute(sql: "UPDATE requests SET state = 'pending', reply = NULL WHERE id = 10")
                }
                daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0"])
                port = daemon!.port
                // A flush killed mid-delivery: through a proxy that passes the replies of the first
                // 12 drop-offs and swallows the 13th's (applied by the server, its reply lost), so
                // the kill comes with some delivered, one in doubt and the rest pending.
                let proxy = try StallingProxy(upstream: port, passing: 12)
                defer { proxy.stop() }
                let flush = Process()
                flush.executableURL = CLI.binary
                flush.arguments = kiosk(proxy.port) + ["flush"]
                flush.standardOutput = FileHandle.nullDevice
                flush.standardError = FileHandle.nullDevice
                try flush.run()
                #expect(proxy.waitUntilStalled(timeout: 60), "the 13th drop-off's reply reached the proxy")
                kill(flush.processIdentifier, SIGKILL)
                flush.waitUntilExit()
                let states = try DatabaseQueue(path: queue + "/queue.sqlite").read { db in
                    try Dictionary(grouping: Row.fetchAll(db, sql: "SELECT state FROM requests"), by: { $0[0] as String }).mapValues(\.count)
                }
                #expect(states["pending"] == 41 - 12 && states["done"] == 29 + 12, "killed with some delivered, some pending: \(states)")
            }
            let result = try CLI.run(kiosk(port) + ["DROPOFF", "R-DEMO-2", "point=CP-DEMO", "material=PET", "kg=1"])
            statuses[result.status, default: 0] += 1
            if (30..<70).contains(index) {
                #expect(result.status == 3 && result.stdout.hasPrefix("QUEUED id=\(index + 1) "), "\(index): \(result.stdout)\(result.stderr)")
            }
        }
        #expect(statuses[3, default: 0] == 40 && statuses[0, default: 0] == 60, "\(statuses)")
        let flush = try CLI.run(kiosk(port) + ["flush"])
        #expect(flush.status == 0 && flush.stdout.contains("refused=0 pending=0"), "\(flush.stdout)\(flush.stderr)")
        let status = try CLI.run(["kiosk", "--queue", queue, "status"])
        #expect(status.stdout.hasSuffix("pending=0 accepted=100 refused=0\n"), "\(status.stdout)")
        #expect(status.stdout.split(separator: "\n").filter { $0.contains(" receipt=kept") }.count == 100, "every drop-off's receipt is kept")
        daemon?.terminate()

        // The ledger: one drop-off per queued request, each ref once, 18.00 points each.
        let ledger = try DatabaseQueue(path: db)
        let (entries, refs, balance) = try ledger.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM journal WHERE kind = 'dropoff' AND ref LIKE 'kq-%'")!,
             try Int.fetchOne(db, sql: "SELECT count(DISTINCT ref) FROM journal WHERE ref LIKE 'kq-%'")!,
             try Int64.fetchOne(db, sql: "SELECT balance FROM accounts WHERE id = 'R-DEMO-2'")!)
        }
        #expect(entries == 100 && refs == 100)
        #expect(balance == 100 * 1800)
        #expect(try CLI.run(["verify", "--db", db]).status == 0)
    }

    @Test("a kiosk refuses what it must not queue, before anything is written")
    func refusals() throws {
        let scratch = try Scratch()
        let queue = scratch.path("q")
        let redeem = try CLI.run(["kiosk", "--queue", queue, "REDEEM", "R-1", "points=1", "merchant=M-1", "pin=1234", "ref=x"])
        #expect(redeem.status == 1 && redeem.stderr.contains("no queue keeps"), "\(redeem.stderr)")
        let malformed = try CLI.run(["kiosk", "--queue", queue, "DROPOFF", "R-1", "point=CP-1", "material=PET", "kg=abc"])
        #expect(malformed.status == 2 && malformed.stderr.contains("BAD_ARGUMENT kg"), "\(malformed.stderr)")
        let status = try CLI.run(["kiosk", "--queue", queue, "status"])
        #expect(status.stdout.hasSuffix("pending=0 accepted=0 refused=0\n"), "\(status.stdout)")
        #expect(SecretFile.mode(queue + "/queue.sqlite") == 0o600 && SecretFile.mode(queue) == 0o700)
    }
}

extension KioskTests {
    /// Whether some process holds the exclusive lock on `path`.
    static func isLocked(_ path: String) -> Bool {
        let descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { return true }
        flock(descriptor, LOCK_UN)
        return false
    }

    /// A TCP port that accepts connections (the kernel does) and never answers.
    static func silentListener() throws -> (descriptor: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        listen(fd, 16)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test("a server that accepts and never answers: the kiosk gives up after --timeout, and a second kiosk meanwhile queues without waiting")
    func silentNetwork() throws {
        let scratch = try Scratch()
        let queue = scratch.path("q")
        let (listener, port) = try Self.silentListener()
        defer { close(listener) }
        let tokens = scratch.path("token")
        try Data("0123456789abcdef0123456789abcdef".utf8).write(to: URL(fileURLWithPath: tokens))
        let kiosk = ["kiosk", "--queue", queue, "--port", String(port), "--token-file", tokens]
        let first = Process()
        first.executableURL = CLI.binary
        // Long enough that the second kiosk surely runs while the first still waits, however busy the machine.
        first.arguments = kiosk + ["--timeout", "15", "DROPOFF", "R-1", "point=CP-1", "material=PET", "kg=1"]
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        let started = Date()
        try first.run()
        // Until the first kiosk holds the queue's delivery lock (a condition, not a guess at time).
        let deadline = Date().addingTimeInterval(20)
        while !Self.isLocked(queue + "/deliver.lock"), Date() < deadline { usleep(10_000) }
        #expect(Self.isLocked(queue + "/deliver.lock"), "the first kiosk is delivering")
        let second = try CLI.run(kiosk + ["--timeout", "1", "DROPOFF", "R-1", "point=CP-1", "material=PET", "kg=2"])
        #expect(second.status == 3 && second.stdout.hasPrefix("QUEUED id=2 "), "\(second.stdout)\(second.stderr)")
        #expect(second.stderr.contains("another delivery of this queue is running"), "\(second.stderr)")
        first.waitUntilExit()
        #expect(first.terminationStatus == 3, "queued, not delivered")
        #expect(Date().timeIntervalSince(started) < 60, "it gave up, it did not hang")
        let status = try CLI.run(["kiosk", "--queue", queue, "status"])
        #expect(status.stdout.hasSuffix("pending=2 accepted=0 refused=0\n"), "\(status.stdout)")
        // The token was never sent: the kiosks waited for the protocol's answer to PING first.
        var received = ""
        _ = fcntl(listener, F_SETFL, fcntl(listener, F_GETFL) | O_NONBLOCK)
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { break }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(connection, &buffer, buffer.count, 0)
            if count > 0 { received += String(decoding: buffer[..<count], as: UTF8.self) }
            close(connection)
        }
        #expect(received.contains("PING") && !received.contains("0123456789abcdef"), "\(received)")
    }
}

/// A TCP proxy in front of ecoledgerd that passes everything until the replies of `passing`
/// drop-offs have gone through, then swallows every later reply: the next drop-off reaches the
/// server (and is applied) but its reply never reaches the kiosk.
final class StallingProxy: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let state = NSCondition()
    private var dropoffs = 0
    private var swallowed = 0
    private let passing: Int

    init(upstream: Int, passing: Int) throws {
        self.passing = passing
        (listener, port) = try KioskTests.silentListener()
        let listener = self.listener
        Thread { [self] in
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(upstream).bigEndian)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { close(client); return }
            Thread { [self] in self.pump(from: client, to: server, requests: true) }.start()
            self.pump(from: server, to: client, requests: false)
        }.start()
    }

    /// Copies whole lines from `source` to `sink`, counting drop-off requests one way and
    /// swallowing replies the other once `passing` drop-offs have been answered.
    private func pump(from source: Int32, to sink: Int32, requests: Bool) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(source, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            pending += buffer[..<count]
            while let newline = pending.firstIndex(of: 10) {
                let line = Array(pending[...newline])
                pending.removeFirst(newline + 1)
                state.lock()
                var forward = true
                if requests {
                    if line.starts(with: Array("DROPOFF".utf8)) { dropoffs += 1 }
                } else if dropoffs > passing, line.starts(with: Array("OK seq=".utf8)) || line.starts(with: Array("ERR".utf8)) {
                    forward = false
                    swallowed += 1
                    state.broadcast()
                }
                state.unlock()
                if forward { _ = line.withUnsafeBytes { send(sink, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
            }
        }
        shutdown(sink, Int32(SHUT_RDWR))
    }

    /// Waits until a reply has been swallowed; false after `timeout` seconds.
    func waitUntilStalled(timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        state.lock()
        defer { state.unlock() }
        while swallowed == 0 { if !state.wait(until: deadline) { return swallowed > 0 } }
        return true
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
