import ArgumentParser
import LedgerCLI
import LedgerCore
import Foundation
import Histogram
import LedgerWire

/// `ecoledger-bench`: a load generator for ecoledgerd that prints throughput, latency
/// percentiles and errors by code.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecoledger-bench",
        abstract: "Drive ecoledgerd with many connections and report throughput and latency percentiles.",
        discussion: """
            Needs an admin token (--token-file): it first adds its own catalogue if missing (point
            CP-BENCH, material BENCH, merchant M-BENCH, residents R-BENCH-0 … with PIN 1234) and
            funds each resident. With --start-server DB it starts ecoledgerd itself on that ledger
            and reports the server's peak RSS. `ecoledger-bench suite` runs the standard benchmark
            of `make bench`.
            """,
        version: EcoLedgerVersion.text,
        subcommands: [BenchSuiteCommand.self])

    @OptionGroup var client: ClientOptions

    @Option(help: "Concurrent connections.")
    var connections = 8

    @Option(help: "Seconds to run.")
    var duration = 10.0

    @Option(help: "Requests in flight per connection.")
    var pipeline = 1

    @Option(help: "The request mix, as weights: dropoff, balance, redeem, ping.")
    var mix = "dropoff=80,balance=15,redeem=5"

    @Option(help: "How many bench residents the requests spread over.")
    var accounts = 1000

    @Option(help: "Total requests per second to offer (open loop; latency counts from each request's scheduled time). Default: as fast as replies come.")
    var rate: Double?

    @Option(name: .customLong("idle-connections"), help: "Extra connections that only connect and stay idle during the run.")
    var idleConnections = 0

    @Option(name: .customLong("start-server"), help: ArgumentHelp("Start ecoledgerd on this ledger file (port 0, the token file as --admin-token-file) and report its peak RSS.", valueName: "db"))
    var startServer: String?

    @Flag(name: .customLong("skip-setup"), help: "Assume the bench catalogue and funded residents already exist.")
    var skipSetup = false

    func run() async throws {
        try await CLIFailure.reportAsync {
            FileDescriptorLimit.raiseToHardLimit()
            let mix = try WorkloadMix(parsing: mix)
            var target = client
            let server = try startServer.map { try ServerUnderTest(db: $0, adminTokenFile: client.tokenFile) }
            if let server { target.port = server.port }
            defer { server?.stop() }
            guard let token = try client.token() else { throw CLIFailure.message("bench needs --token-file with an admin token") }
            if !skipSetup { try await setUpCatalogue(target: target, token: token) }
            let report = try await LoadRun(target: target, token: token, connections: connections, pipeline: pipeline,
                                           mix: mix, accounts: accounts, duration: duration, rate: rate,
                                           idleConnections: idleConnections).run()
            let peakRSS = server?.peakRSSKilobytes()
            print(report.table(title: "\(connections) connections, pipeline \(pipeline), mix \(mix), \(duration) s"
                               + (rate.map { ", offered \(Int($0))/s" } ?? "") + (idleConnections > 0 ? ", \(idleConnections) idle connections" : ""),
                               peakRSSKilobytes: peakRSS))
        }
    }

    /// The bench catalogue and funded residents; every step is idempotent. Residents are opened
    /// only when the last one is missing: opening a resident stretches its PIN on the server
    /// (20,000 PBKDF2 rounds) before the ledger refuses a second open, so repeating 1,000 opens
    /// would cost each run tens of seconds of server CPU. The funding drop-offs are repeated
    /// (a ref already used is answered from the ledger).
    func setUpCatalogue(target: ClientOptions, token: String) async throws {
        try await LedgerConnection.withConnection(host: target.host, port: target.port, tls: try target.tlsContext()) { connection in
            _ = try await connection.call("AUTH \(token)")
            let opened = try await connection.call("ACCOUNT SHOW R-BENCH-\(accounts - 1)").first?.hasPrefix("OK") == true
            _ = try await connection.call("POINT ADD CP-BENCH name=\"Bench point\"")
            _ = try await connection.call("MATERIAL SET BENCH rate=10 name=\"Bench material\"")
            _ = try await connection.call("ACCOUNT OPEN M-BENCH kind=merchant name=\"Bench merchant\"")
            for first in stride(from: 0, to: accounts, by: 100) {
                let last = min(first + 100, accounts)
                if !opened {
                    for index in first..<last {
                        try await connection.send("ACCOUNT OPEN R-BENCH-\(index) kind=resident name=Bench pin=1234")
                    }
                    for _ in first..<last { _ = try await connection.readReply() }
                }
                for index in first..<last {
                    try await connection.send("DROPOFF R-BENCH-\(index) point=CP-BENCH material=BENCH kg=400 ref=bench-fund-\(index)")
                }
                for _ in first..<last { _ = try await connection.readReply() }
            }
        }
    }
}

/// One run of the load: workers, their histograms, the summary.
struct LoadRun {
    let target: ClientOptions
    let token: String
    let connections: Int
    let pipeline: Int
    let mix: WorkloadMix
    let accounts: Int
    let duration: Double
    let rate: Double?
    let idleConnections: Int

    struct WorkerResult: Sendable {
        var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three) // µs
        var ok = 0
        /// Replies `OK seq=…`: entries the server acknowledged (their refs begin `bRUN-`).
        var writes = 0
        var errors: [String: Int] = [:]
    }

    struct Report {
        var result: WorkerResult
        var seconds: Double
        /// This run's id, the start of its refs (`bRUN-WORKER-N`).
        var runID = ""

        var total: Int { result.ok + result.errors.values.reduce(0, +) }
        var throughput: Double { Double(total) / seconds }

        /// A latency percentile in milliseconds, two decimals.
        func ms(_ percentile: Double) -> String { String(format: "%.2f", Double(result.latency.valueAtPercentile(percentile)) / 1000) }
        var maxMs: String { String(format: "%.2f", Double(result.latency.max) / 1000) }

        func table(title: String, peakRSSKilobytes: Int?) -> String {
            var lines = [
                "ecoledger-bench: \(title)",
                "requests \(total)  ok \(result.ok)  errors \(total - result.ok)  throughput \(Int(throughput))/s",
                "latency ms  p50 \(ms(50))  p90 \(ms(90))  p99 \(ms(99))  p99.9 \(ms(99.9))  max \(maxMs)",
            ]
            if !result.errors.isEmpty {
                lines.append("errors by code  " + result.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "  "))
            }
            if let peakRSSKilobytes { lines.append("server peak RSS \(String(format: "%.1f", Double(peakRSSKilobytes) / 1024)) MB") }
            lines.append("bench summary: throughput=\(Int(throughput)) p50_ms=\(ms(50)) p90_ms=\(ms(90)) p99_ms=\(ms(99)) p999_ms=\(ms(99.9)) max_ms=\(maxMs) errors=\(total - result.ok) writes=\(result.writes) run=\(runID)"
                         + (peakRSSKilobytes.map { " rss_mb=\(String(format: "%.1f", Double($0) / 1024))" } ?? ""))
            return lines.joined(separator: "\n")
        }
    }

    func run() async throws -> Report {
        let idle = try await openIdleConnections()
        defer { idle.forEach { $0.close() } }
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int64(duration * 1000))
        let runID = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let results = try await withThrowingTaskGroup(of: WorkerResult.self) { group in
            for worker in 0..<connections {
                group.addTask { try await self.worker(worker, runID: runID, started: started, deadline: deadline) }
            }
            return try await group.reduce(into: WorkerResult()) { total, part in
                total.latency.add(part.latency)
                total.ok += part.ok
                total.writes += part.writes
                total.errors.merge(part.errors, uniquingKeysWith: +)
            }
        }
        let elapsed = ContinuousClock.now - started
        return Report(result: results, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, runID: runID)
    }

    private func worker(_ index: Int, runID: String, started: ContinuousClock.Instant, deadline: ContinuousClock.Instant) async throws -> WorkerResult {
        var result = WorkerResult()
        var random = SystemRandomNumberGenerator()
        let interval: Duration? = rate.map { .nanoseconds(Int64(Double(connections) / $0 * 1e9)) }
        try await LedgerConnection.withConnection(host: target.host, port: target.port, tls: try target.tlsContext()) { connection in
            _ = try await connection.call("AUTH \(token)")
            // Receipts are asked for entries the latest checkpoint already covers.
            var covered: Int64 = 1
            if mix.weights.contains(where: { $0.0 == .receipt && $0.1 > 0 }) {
                let reply = try await connection.call("CHECKPOINT")[0]
                covered = reply.split(separator: " ").first { $0.hasPrefix("size=") }.flatMap { Int64($0.dropFirst(5)) } ?? 1
            }
            var inFlight: [ContinuousClock.Instant] = []
            var sent = 0
            func request() -> String {
                let account = "R-BENCH-\(Int.random(in: 0..<accounts, using: &random))"
                switch mix.pick(using: &random) {
                case .dropoff: return "DROPOFF \(account) point=CP-BENCH material=BENCH kg=1.5 ref=b\(runID)-\(index)-\(sent)"
                case .balance: return "BALANCE \(account)"
                case .redeem: return "REDEEM \(account) points=0.01 merchant=M-BENCH pin=1234 ref=b\(runID)-\(index)-\(sent)"
                case .ping: return "PING"
                case .receipt: return "RECEIPT \(Int64.random(in: 1...max(1, covered), using: &random))"
                }
            }
            while true {
                while inFlight.count < pipeline, ContinuousClock.now < deadline {
                    var scheduled = ContinuousClock.now
                    if let interval {
                        scheduled = started + interval * sent + .nanoseconds(Int64(index) * interval.components.attoseconds / 1_000_000_000 / Int64(connections))
                        if scheduled >= deadline { break }
                        if scheduled > .now { try await Task.sleep(until: scheduled, clock: .continuous) }
                    }
                    try await connection.send(request())
                    inFlight.append(scheduled)
                    sent += 1
                }
                guard !inFlight.isEmpty else { break }
                guard let reply = try await connection.readReply() else { throw LedgerConnection.ConnectionClosed() }
                let latency = ContinuousClock.now - inFlight.removeFirst()
                _ = result.latency.record(UInt64(max(0, latency.components.seconds * 1_000_000 + latency.components.attoseconds / 1_000_000_000_000)))
                if reply[0].hasPrefix("OK") {
                    result.ok += 1
                    if reply[0].hasPrefix("OK seq=") { result.writes += 1 }
                } else {
                    let code = reply[0].split(separator: " ").dropFirst().first.map(String.init) ?? "?"
                    result.errors[code, default: 0] += 1
                }
            }
        }
        return result
    }

    /// Plain sockets that connect and then sit idle for the whole run.
    private func openIdleConnections() async throws -> [IdleSocket] {
        try (0..<idleConnections).map { _ in try IdleSocket(host: target.host, port: target.port) }
    }
}
