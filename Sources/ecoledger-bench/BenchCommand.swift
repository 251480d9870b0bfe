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
    /// (PBKDF2) before the ledger refuses a second open, so repeating 1,000 opens would cost
    /// each run server CPU for nothing. The funding drop-offs are repeated
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
