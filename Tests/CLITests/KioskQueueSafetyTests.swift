import Foundation
import LedgerPersistence
import GRDB
import LedgerKiosk
import LedgerStore
import LedgerTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The kiosk's queue is a file: it is used only when it is the user's own and closed to others,
/// what it holds is checked again before it goes out under the operator's token, and each reply
/// must belong to its request.
@Suite("The kiosk's queue, attacked", .serialized)
struct KioskQueueSafetyTests {
    @Test("a queue folder or file open to others, or not the user's, is refused with the command that fixes it")
    func exposedQueueRefused() throws {
        let scratch = try Scratch()
        let folder = scratch.path("q")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        chmod(folder, 0o777)
        let open = try CLI.run(["kiosk", "--queue", folder, "status"])
        #expect(open.status == 1 && open.stderr.contains("is open to group or others (mode 777)") && open.stderr.contains("chmod 700 \(folder)"), "\(open.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/queue.sqlite"), "nothing was created in it")
        chmod(folder, 0o700)
        // A planted queue file, writable by all.
        #expect(FileManager.default.createFile(atPath: folder + "/queue.sqlite", contents: Data()))
        chmod(folder + "/queue.sqlite", 0o666)
        let planted = try CLI.run(["kiosk", "--queue", folder, "status"])
        #expect(planted.status == 1 && planted.stderr.contains("chmod 600 \(folder)/queue.sqlite"), "\(planted.stderr)")
        try FileManager.default.removeItem(atPath: folder + "/queue.sqlite")
        try FileManager.default.createSymbolicLink(atPath: folder + "/queue.sqlite", withDestinationPath: scratch.path("elsewhere"))
        let link = try CLI.run(["kiosk", "--queue", folder, "status"])
        #expect(link.status == 1 && link.stderr.contains("is a symlink"), "\(link.stderr)")
        try FileManager.default.removeItem(atPath: folder + "/queue.sqlite")
        // A symlink to a folder, named with a trailing slash (which would follow it).
        let linked = scratch.path("qlink")
        try FileManager.default.createSymbolicLink(atPath: linked, withDestinationPath: folder)
        let slash = try CLI.run(["kiosk", "--queue", linked + "/", "DROPOFF", "R-1", "point=CP-1", "material=PET", "kg=1"])
        #expect(slash.status == 1 && slash.stderr.contains("is a symlink"), "\(slash.stderr)")
        // A mistyped folder is not a new, empty queue.
        let missing = try CLI.run(["kiosk", "--queue", scratch.path("typo"), "status"])
        #expect(missing.status == 1 && missing.stderr.contains("no kiosk queue at \(scratch.path("typo"))"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("typo")))
        // Someone else's folder (root's tests can give it away; others cannot, so skip then).
        if geteuid() == 0 {
            chown(folder, 65534, 65534)
            let foreign = try CLI.run(["kiosk", "--queue", folder, "status"])
            #expect(foreign.status == 1 && foreign.stderr.contains("belongs to user 65534"), "\(foreign.stderr)")
        }
    }

    @Test("a stored line holding a second command, another verb or another ref is refused, never sent; the rest is delivered")
    func tamperedLinesNeverSent() throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite"), queue = scratch.path("q")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"])
        defer { daemon.terminate() }
        // Queued while pointing at a closed port: all four stay pending.
        let offline = ["kiosk", "--queue", queue, "--port", "1", "--token-file", db + ".demo-tokens", "--role", "operator"]
        for n in 0..<5 {
            let queued = try CLI.run(offline + ["DROPOFF", "R-DEMO-1", "point=CP-DEMO", "material=PET", "kg=1", "ref=t-\(n)"])
            #expect(queued.status == 3, "\(queued.stdout)\(queued.stderr)")
        }
        try DatabaseQueue(path: queue + "/queue.sqlite").write { db in
            try db.execute(sql: "UPDATE requests SET line = ? WHERE ref = 't-0'", arguments: [
                "DROPOFF R-DEMO-1 point=CP-DEMO material=PET kg=1 ref=t-0\nACCOUNT OPEN R-EVIL kind=resident name=Evil"])
            try db.execute(sql: "UPDATE requests SET line = 'POINT CLOSE CP-DEMO' WHERE ref = 't-1'")
            try db.execute(sql: "UPDATE requests SET line = 'DROPOFF R-DEMO-1 point=CP-DEMO material=PET kg=400 ref=other' WHERE ref = 't-2'")
            // A NUL: the text read back would stop there, a whole valid request.
            try db.execute(sql: "UPDATE requests SET line = 'DROPOFF R-DEMO-1 point=CP-DEMO material=PET kg=1 ref=t-4' || char(0) || 'x' WHERE ref = 't-4'")
        }
        let flush = try CLI.run(["kiosk", "--queue", queue, "--port", String(daemon.port), "--token-file", db + ".demo-tokens", "--role", "operator", "flush"])
        #expect(flush.stderr.contains("ref=t-0: the stored line holds a control character"), "\(flush.stderr)")
        #expect(flush.stderr.contains("ref=t-1: the stored line is a POINT CLOSE"), "\(flush.stderr)")
        #expect(flush.stderr.contains("ref=t-2: the stored line carries ref=other, not its own ref=t-2"), "\(flush.stderr)")
        #expect(flush.stderr.contains("ref=t-4: the stored line holds a control character"), "\(flush.stderr)")
        let status = try CLI.run(["kiosk", "--queue", queue, "status"])
        #expect(status.stdout.hasSuffix("pending=0 accepted=1 refused=4\n"), "\(status.stdout)")
        let admin = ["call", "--port", String(daemon.port), "--token-file", db + ".demo-tokens"]
        #expect(try CLI.run(admin + ["ACCOUNT", "SHOW", "R-EVIL"]).stdout.hasPrefix("ERR NOT_FOUND"))
        let points = try CLI.run(admin + ["POINT", "LIST"]).stdout
        #expect(points.contains("point=CP-DEMO") && points.contains("active=1"), "the injected POINT CLOSE was not sent: \(points)")
        let balance = try CLI.run(admin + ["BALANCE", "R-DEMO-1"]).stdout
        #expect(balance.hasPrefix("OK account=R-DEMO-1 balance=18.00"), "only t-3 was credited: \(balance)")
    }

    @Test("an OK reply that names another ref stops the delivery; the request stays queued")
    func replyOutOfStep() throws {
        let scratch = try Scratch()
        let queue = scratch.path("q")
        let tokens = scratch.path("token")
        try Data("0123456789abcdef0123456789abcdef".utf8).write(to: URL(fileURLWithPath: tokens))
        // A server that answers every request with an OK for some other request.
        let server = try ScriptedServer { line in
            line == "PING" ? "OK pong" : line.hasPrefix("AUTH") ? "OK role=operator" : "OK seq=16 points=7200.00 balance=7200.00 hash=00 ref=evil-1"
        }
        defer { server.stop() }
        let result = try CLI.run(["kiosk", "--queue", queue, "--port", String(server.port), "--token-file", tokens,
                                  "DROPOFF", "R-1", "point=CP-1", "material=PET", "kg=1", "ref=mine-1"])
        #expect(result.status == 3 && result.stdout.hasPrefix("QUEUED id=1 ref=mine-1"), "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("does not belong to request ref=mine-1"), "\(result.stderr)")
        let status = try CLI.run(["kiosk", "--queue", queue, "status"])
        #expect(!status.stdout.contains("7200.00 balance") || status.stdout.contains("state=pending"), "\(status.stdout)")
        #expect(status.stdout.hasSuffix("pending=1 accepted=0 refused=0\n"), "\(status.stdout)")
    }
}

@Suite("The kiosk on an ordinary day", .serialized)
struct KioskDayTests {
    @Test("the printed hint delivers as printed; counts say accepted, refused, pending; a kept receipt is shown and written for receipt verify; times read in the scheme's zone")
    func ordinaryDay() throws {
        let scratch = try Scratch()
        let db = scratch.path("ledger.sqlite"), queue = scratch.path("q")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo"])
        defer { daemon.terminate() }
        let port = String(daemon.port)
        let tokens = db + ".demo-tokens"
        // Offline first: the hint must carry what this run used (port, token file, role).
        let queued = try CLI.run(["kiosk", "--queue", queue, "--port", "1", "--token-file", tokens, "--role", "operator",
                                  "DROPOFF", "R-DEMO-1", "point=CP-DEMO", "material=PET", "kg=1", "ref=day-1"])
        #expect(queued.status == 3)
        #expect(queued.stderr.contains("ecoledger kiosk --queue \(queue) --port 1 --token-file \(tokens) --role operator flush sends it with the same ref"),
                "\(queued.stderr)")
        // The same hint, pointed at the live server (the network came back), as an operator would type it.
        let kiosk = ["kiosk", "--queue", queue, "--port", port, "--token-file", tokens, "--role", "operator"]
        _ = try CLI.run(["kiosk", "--queue", queue, "--port", "1", "--token-file", tokens, "--role", "operator",
                         "DROPOFF", "R-DEMO-1", "point=CP-DEMO", "material=PET", "kg=2", "ref=day-2"])
        _ = try CLI.run(["kiosk", "--queue", queue, "--port", "1", "--token-file", tokens, "--role", "operator",
                         "DROPOFF", "R-NOBODY", "point=CP-DEMO", "material=PET", "kg=2", "ref=day-3"])
        let flush = try CLI.run(kiosk + ["flush"])
        #expect(flush.stdout.hasPrefix("accepted=2 refused=1 pending=0"), "three requests, three counts: \(flush.stdout)")
        let status = try CLI.run(["kiosk", "--queue", queue, "status"])
        #expect(status.stdout.hasSuffix("pending=0 accepted=2 refused=1\n"), "\(status.stdout)")
        #expect(status.stdout.contains("state=accepted") && status.stdout.contains("state=refused"), "\(status.stdout)")
        // The demo scheme is +08:00: queued times read in it once the server has told the kiosk.
        #expect(status.stdout.contains("+08:00"), "\(status.stdout)")
        let shown = try CLI.run(["kiosk", "--queue", queue, "receipt", "day-1"])
        #expect(shown.status == 0 && shown.stdout.hasPrefix("c2sp.org/tlog-proof@v1\n"), "\(shown.stdout)\(shown.stderr)")
        let file = scratch.path("day-1.tlog-proof")
        let written = try CLI.run(["kiosk", "--queue", queue, "receipt", "1", "--out", file])
        #expect(written.status == 0, "\(written.stderr)")
        let logKey = try #require(daemon.printed.split(separator: "\n").first { $0.hasPrefix("log key ") }?.dropFirst(8))
        let verified = try CLI.run(["receipt", "verify", file, "--log-key", String(logKey), "--tz", "+08:00"])
        #expect(verified.status == 0 && verified.stdout.contains("drop-off of 1 kg PET at CP-DEMO"), "\(verified.stdout)\(verified.stderr)")
        let none = try CLI.run(["kiosk", "--queue", queue, "receipt", "day-3"])
        #expect(none.status == 1 && none.stderr.contains("id=3 ref=day-3 was refused: no entry, so no receipt"), "\(none.stderr)")
        // The hint is the command that delivers, with absolute paths: it works from any folder.
        _ = try CLI.run(["kiosk", "--queue", queue, "--port", "1", "--token-file", tokens, "--role", "operator",
                         "DROPOFF", "R-DEMO-1", "point=CP-DEMO", "material=PET", "kg=1", "ref=day-4"])
        let pending = try CLI.run(["kiosk", "--queue", queue, "receipt", "day-4"])
        #expect(pending.stderr.contains("not delivered yet: no entry, so no receipt until it is delivered: ecoledger kiosk --queue \(queue) --port 1 --token-file \(tokens) --role operator flush"),
                "\(pending.stderr)")
    }
}

/// A TCP server on 127.0.0.1 that answers each line with `answer(line)`, one thread per connection.
final class ScriptedServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private var thread: Thread?

    init(answer: @escaping @Sendable (String) -> String) throws {
        let (descriptor, port) = try KioskTests.silentListener()
        listener = descriptor
        self.port = port
        let thread = Thread {
            while true {
                let connection = accept(descriptor, nil, nil)
                guard connection >= 0 else { return }
                Thread {
                    var pending = ""
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    while true {
                        let count = recv(connection, &buffer, buffer.count, 0)
                        guard count > 0 else { break }
                        pending += String(decoding: buffer[..<count], as: UTF8.self)
                        while let newline = pending.firstIndex(of: "\n") {
                            let line = String(pending[..<newline]).trimmingCharacters(in: .whitespacesAndNewlines)
                            pending = String(pending[pending.index(after: newline)...])
                            let reply = answer(line) + "\r\n"
                            _ = reply.withCString { send(connection, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                        }
                    }
                    close(connection)
                }.start()
            }
        }
        thread.start()
        self.thread = thread
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
