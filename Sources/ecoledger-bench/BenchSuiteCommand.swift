import ArgumentParser
import LedgerCLI
import Foundation
import LedgerPersistence
import LedgerCrypto
import LedgerFixtures
import LedgerHost
import LedgerStore
import LedgerWire

/// `ecoledger-bench suite`: the standard scenario behind `make bench`, printed as one table.
struct BenchSuiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "Run the standard benchmark (a large ledger, drop-offs at 1/8/32 connections, the 80/15/5 mix, latency at half the peak rate, PING, AUDIT, start-up, idle RSS) and print one table.")

    @Option(help: "Folder for the benchmark ledger and token (kept between runs).")
    var dir = ".bench"

    @Option(help: "Entries in the benchmark ledger (generated once).")
    var entries: Int64 = 1_000_000

    @Option(help: "Seconds per load scenario.")
    var duration = 10.0

    @Option(name: .customLong("idle-connections"), help: "Idle connections for the memory measurement.")
    var idleConnections = 1000

    func run() async throws {
        try await CLIFailure.reportAsync {
            FileDescriptorLimit.raiseToHardLimit()
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let db = "\(dir)/bench-\(entries).sqlite"
            let tokenFile = "\(dir)/admin.token"
            if FileManager.default.fileExists(atPath: tokenFile) {
                // Files from before ecoledgerd refused secrets others can read.
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenFile)
            } else {
                try SecretFile.create(tokenFile, contents: Array((Hex.encode(try SecureRandom.bytes(32)) + "\n").utf8))
            }
            var rows: [(String, String)] = []
            func note(_ name: String, _ value: String) {
                rows.append((name, value))
                FileDescriptorOutput.writeStderr("  \(name): \(value)\n")
            }
            if !FileManager.default.fileExists(atPath: db) {
                let started = ContinuousClock.now
                try LedgerGenerator.create(at: db, entries: entries, accounts: 10_000).close()
                note("generate \(entries) entries", "\(Self.format(ContinuousClock.now - started))")
            }
            let ledgerEntries = try { () throws -> Int64 in
                let store = try LedgerStore.open(at: db, readOnly: true)
                defer { try? store.close() }
                return try store.head().seq
            }()

            // Start-up: from launching ecoledgerd to the answer of the first BALANCE.
            let launched = ContinuousClock.now
            let server = try ServerUnderTest(db: db, adminTokenFile: tokenFile)
            defer { server.stop() }
            var client = try ClientOptions.parse(["--port", String(server.port), "--token-file", tokenFile])
            client.host = "127.0.0.1"
            let token = try client.token()!
            _ = try await LedgerConnection.withConnection(host: "127.0.0.1", port: server.port) { connection in
                _ = try await connection.call("AUTH \(token)")
                return try await connection.call("BALANCE sys:issuance")
            }
            note("start-up to first BALANCE (\(ledgerEntries) entries)", Self.format(ContinuousClock.now - launched))

            let bench = try BenchCommand.parse(["--port", String(server.port), "--token-file", tokenFile, "--accounts", "1000"])
            try await bench.setUpCatalogue(target: client, token: token)
            /// One load, and its line: throughput, latency, and the CPU each request cost the
            /// server and this generator.
            func load(_ connections: Int, pipeline: Int = 1, mix: String, rate: Double? = nil) async throws -> (report: LoadRun.Report, line: String) {
                let meter = ProcessCPU.Meter(server: server.process.processIdentifier)
                let report = try await LoadRun(target: client, token: token, connections: connections, pipeline: pipeline, mix: WorkloadMix(parsing: mix),
                                               accounts: 1000, duration: duration, rate: rate, idleConnections: 0).run()
                return (report, report.summary + "  " + meter.perRequest(report.total))
            }
            var peak32 = 0.0
            for connections in [1, 8, 32] {
                let run = try await load(connections, mix: "dropoff=100")
                if connections == 32 { peak32 = run.report.throughput }
                note("drop-offs, \(connections) connection(s)", run.line)
            }
            note("drop-offs, 32 connections × pipeline 16", try await load(32, pipeline: 16, mix: "dropoff=100").line)
            note("mix 80/15/5, 32 connections", try await load(32, mix: "dropoff=80,balance=15,redeem=5").line)
            // Half the peak of the same shape (32 connections, one request in flight each), so
            // the latency is measured where the server has room, not at its ceiling.
            note("drop-offs at half the 32-connection peak (\(Int(peak32 / 2))/s offered), 32 connections",
                 try await load(32, mix: "dropoff=100", rate: peak32 / 2).line)
            note("PING, 50 connections", try await load(50, mix: "ping=100").line)
            note("RECEIPT (inclusion proof) of a random entry, 1 connection", try await load(1, mix: "receipt=100").line)
            note("RECEIPT of a random entry, 8 connections", try await load(8, mix: "receipt=100").line)

            let auditStarted = ContinuousClock.now
            let audit = try await LedgerConnection.withConnection(host: "127.0.0.1", port: server.port) { connection in
                _ = try await connection.call("AUTH \(token)")
                return try await connection.call("AUDIT")[0]
            }
            let auditTime = ContinuousClock.now - auditStarted
            let audited = Int64(audit.split(separator: " ").first { $0.hasPrefix("entries=") }?.dropFirst(8) ?? "0") ?? 0
            note("AUDIT", "\(audited) entries in \(Self.format(auditTime)) = \(Int(Double(audited) / Self.seconds(auditTime))) entries/s (\(audit.prefix(2) == "OK" ? "passed" : audit))")

            let idle = try (0..<idleConnections).map { _ in try IdleSocket(host: "127.0.0.1", port: server.port) }
            try await Task.sleep(for: .seconds(1))
            note("server RSS with \(idle.count) idle connections", "\(Self.megabytes(server.currentRSSKilobytes())) now, \(Self.megabytes(server.peakRSSKilobytes())) peak")
            idle.forEach { $0.close() }

            print("ecoledger-bench suite (\(ledgerEntries) entries, \(Int(duration)) s per load, \(ProcessInfo.processInfo.activeProcessorCount) cores)")
            let width = rows.map(\.0.count).max() ?? 0
            for (name, value) in rows { print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func format(_ duration: Duration) -> String {
        let value = seconds(duration)
        return value < 1 ? String(format: "%.0f ms", value * 1000) : String(format: "%.1f s", value)
    }

    static func megabytes(_ kilobytes: Int?) -> String {
        kilobytes.map { String(format: "%.1f MB", Double($0) / 1024) } ?? "?"
    }
}

extension LoadRun.Report {
    /// One line: throughput, latency percentiles and errors.
    var summary: String {
        let errors = result.errors.isEmpty ? "" : "  errors " + result.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let woke = wokeLateMs(99).map { "  (generator woke p99 \($0) ms late)" } ?? ""
        return "\(Int(throughput))/s  p50 \(ms(50))  p90 \(ms(90))  p99 \(ms(99))  p99.9 \(ms(99.9))  max \(maxMs) ms" + woke + errors
    }
}
