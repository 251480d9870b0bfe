import Foundation
import LedgerTestSupport
import Synchronization
import Testing

/// Two ecoledgerd on one PostgreSQL ledger: one writes, the other waits as a standby.
@Suite("ecoledgerd on PostgreSQL: one writer, fenced", .enabled(if: PostgresCluster.isInstalled))
struct PostgresFencingTests {
    /// A daemon started on a thread of its own: `DaemonProcess` returns once it listens, which
    /// a standby does only after it has taken the lease.
    final class Pending: @unchecked Sendable {
        private let started = DispatchSemaphore(value: 0)
        private var daemon: Result<DaemonProcess, any Error>?

        init(arguments: [String]) {
            Thread {
                self.daemon = Result { try DaemonProcess(arguments: arguments, captureStderr: true) }
                self.started.signal()
            }.start()
        }

        /// The daemon once it listens; nil if it does not within `seconds`.
        func listening(within seconds: Int) throws -> DaemonProcess? {
            guard started.wait(timeout: .now() + .seconds(seconds)) == .success else { return nil }
            return try daemon?.get()
        }
    }

    @Test("a standby takes over when the writer is paused; the paused writer's request fails, it stops, and the ledger has no fork")
    func pausedWriterLosesToStandby() throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        try cluster.psql("CREATE DATABASE ledger")
        let url = cluster.url(database: "ledger")
        #expect(try CLI.run(["init", "--db", url]).status == 0)
        let scratch = try Scratch()
        // A standby that never took over still waits for the lease: stopped with the test.
        defer { _ = try? PostgresCluster.run("/usr/bin/pkill", ["-KILL", "-f", scratch.path("log.key")]) }
        let admin = scratch.path("admin.token")
        let common = ["--db", url, "--port", "0", "--key", scratch.path("log.key"), "--pin-key", scratch.path("pin.key"),
                      "--admin-token-file", admin, "--checkpoint-interval", "0.2"]
        let active = try DaemonProcess(arguments: common, captureStderr: true)
        func call(_ daemon: DaemonProcess, _ command: [String]) throws -> CLI.Result {
            try CLI.run(["call", "--port", "\(daemon.port)", "--token-file", admin] + command)
        }
        for command in [["MATERIAL", "SET", "PET", "rate=18", "name=PET"], ["POINT", "ADD", "CP-1", "name=Hall"],
                        ["ACCOUNT", "OPEN", "R-1", "kind=resident", "name=Juan"],
                        ["DROPOFF", "R-1", "point=CP-1", "material=PET", "kg=1", "ref=k-1"]] {
            let reply = try call(active, command)
            #expect(reply.stdout.hasPrefix("OK"), "\(command): \(reply.stdout)\(reply.stderr)")
        }
        let standby = Pending(arguments: common)

        kill(active.process.processIdentifier, SIGSTOP)
        // The paused writer's client: its request waits in the socket until the writer wakes.
        let late = Process()
        late.executableURL = CLI.binary
        late.arguments = ["call", "--port", "\(active.port)", "--token-file", admin, "DROPOFF", "R-1", "point=CP-1", "material=PET", "kg=2", "ref=late"]
        let lateOutput = Pipe()
        late.standardOutput = lateOutput
        late.standardError = FileHandle.nullDevice
        try late.run()

        guard let successor = try standby.listening(within: 60) else {
            kill(active.process.processIdentifier, SIGCONT)
            Issue.record("the standby did not take over")
            return
        }
        #expect(successor.printed.contains("standby: "), "\(successor.printed)")
        #expect(try call(successor, ["DROPOFF", "R-1", "point=CP-1", "material=PET", "kg=3", "ref=k-2"]).stdout.hasPrefix("OK seq=6 "))

        kill(active.process.processIdentifier, SIGCONT)
        late.waitUntilExit()
        let lateReply = String(decoding: lateOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(!lateReply.hasPrefix("OK"), "the paused writer appended: \(lateReply)")
        active.process.waitUntilExit()
        #expect(active.process.terminationStatus != 0)
        #expect(active.standardError().contains("took over the writer lease"))

        let balance = try call(successor, ["BALANCE", "R-1"])
        #expect(balance.stdout.contains("balance=72.00"), "\(balance.stdout)")
        #expect(try call(successor, ["ENTRY", "7"]).stdout.hasPrefix("ERR NOT_FOUND"), "nothing after the successor's entry")
        successor.terminate()
        let verified = try CLI.run(["verify", "--db", url])
        #expect(verified.stdout.hasPrefix("OK entries=6 "), "\(verified.stdout)\(verified.stderr)")
    }
}
