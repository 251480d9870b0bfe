import Dispatch
import Foundation
import Histogram
import LedgerCLI
import LedgerWire
import Synchronization

/// One run of the load: workers, their histograms, the summary.
///
/// Over plain TCP each connection is one thread with a blocking `LineSocket`, so the generator
/// costs little per request and adds no hand-offs to a request's path; over TLS each is a task
/// with a `LedgerConnection`.
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
        /// Open loop: how late each sleeping worker woke for its next request (µs). Latency counts
        /// from when a request was due, so a generator that wakes late on busy cores adds its own
        /// lateness to the server's latency; this says how much.
        var wokeLate = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var ok = 0
        /// Replies `OK seq=…`: entries the server acknowledged (their refs begin `bRUN-`).
        var writes = 0
        var errors: [String: Int] = [:]

        mutating func record(_ reply: [String], since scheduled: ContinuousClock.Instant) {
            _ = latency.record(Self.microseconds(ContinuousClock.now - scheduled))
            if reply[0].hasPrefix("OK") {
                ok += 1
                if reply[0].hasPrefix("OK seq=") { writes += 1 }
            } else {
                let code = reply[0].split(separator: " ").dropFirst().first.map(String.init) ?? "?"
                errors[code, default: 0] += 1
            }
        }

        /// A worker that slept until `due` woke now.
        mutating func recordWake(due: ContinuousClock.Instant) {
            _ = wokeLate.record(Self.microseconds(ContinuousClock.now - due))
        }

        static func microseconds(_ duration: Duration) -> UInt64 {
            UInt64(max(0, duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000))
        }

        mutating func merge(_ part: WorkerResult) {
            latency.add(part.latency)
            wokeLate.add(part.wokeLate)
            ok += part.ok
            writes += part.writes
            errors.merge(part.errors, uniquingKeysWith: +)
        }
    }

    struct Report {
        var result: WorkerResult
        var seconds: Double
        /// This run's id, the start of its refs (`bRUN-WORKER-N`).
        var runID = ""

        var total: Int { result.ok + result.errors.values.reduce(0, +) }
        var throughput: Double { Double(total) / seconds }

        /// A latency percentile in milliseconds, two decimals.
        func ms(_ percentile: Double) -> String { Self.ms(result.latency, percentile) }
        var maxMs: String { String(format: "%.2f", Double(result.latency.max) / 1000) }
        /// How late the generator woke at this percentile, in milliseconds; nil for a closed loop.
        func wokeLateMs(_ percentile: Double) -> String? {
            result.wokeLate.totalCount == 0 ? nil : Self.ms(result.wokeLate, percentile)
        }

        /// A percentile of µs in milliseconds, two decimals; never above the largest value (a
        /// histogram answers its bucket's top, which can be).
        static func ms(_ histogram: Histogram<UInt64>, _ percentile: Double) -> String {
            String(format: "%.2f", Double(min(histogram.valueAtPercentile(percentile), histogram.max)) / 1000)
        }

        func table(title: String, peakRSSKilobytes: Int?) -> String {
            var lines = [
                "ecoledger-bench: \(title)",
                "requests \(total)  ok \(result.ok)  errors \(total - result.ok)  throughput \(Int(throughput))/s",
                "latency ms  p50 \(ms(50))  p90 \(ms(90))  p99 \(ms(99))  p99.9 \(ms(99.9))  max \(maxMs)",
            ]
            if let p50 = wokeLateMs(50), let p99 = wokeLateMs(99) {
                lines.append("generator woke late ms  p50 \(p50)  p99 \(p99)  max \(Self.ms(result.wokeLate, 100))")
            }
            if !result.errors.isEmpty {
                lines.append("errors by code  " + result.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "  "))
            }
            if let peakRSSKilobytes { lines.append("server peak RSS \(String(format: "%.1f", Double(peakRSSKilobytes) / 1024)) MB") }
            lines.append("bench summary: throughput=\(Int(throughput)) p50_ms=\(ms(50)) p90_ms=\(ms(90)) p99_ms=\(ms(99)) p999_ms=\(ms(99.9)) max_ms=\(maxMs) errors=\(total - result.ok) writes=\(result.writes) run=\(runID)"
                         + (wokeLateMs(99).map { " woke_late_p99_ms=\($0)" } ?? "")
                         + (peakRSSKilobytes.map { " rss_mb=\(String(format: "%.1f", Double($0) / 1024))" } ?? ""))
            return lines.joined(separator: "\n")
        }
    }

    /// What one worker sends: its requests in order, and when each is due (open loop).
    private struct Script {
        let run: LoadRun
        let runID: String
        let index: Int
        let started: ContinuousClock.Instant
        let deadline: ContinuousClock.Instant
        /// Receipts are asked for entries the latest checkpoint already covers.
        var covered: Int64 = 1
        var sent = 0
        private var random = SystemRandomNumberGenerator()
        private let interval: Duration?

        init(run: LoadRun, runID: String, index: Int, started: ContinuousClock.Instant, deadline: ContinuousClock.Instant) {
            self.run = run
            self.runID = runID
            self.index = index
            self.started = started
            self.deadline = deadline
            interval = run.rate.map { .nanoseconds(Int64(Double(run.connections) / $0 * 1e9)) }
        }

        var wantsCheckpoint: Bool { run.mix.weights.contains { $0.0 == .receipt && $0.1 > 0 } }

        /// When the next request is due (now, for a closed loop); nil once the run is over.
        func nextDue() -> ContinuousClock.Instant? {
            guard let interval else { return ContinuousClock.now < deadline ? .now : nil }
            let due = started + interval * sent + .nanoseconds(Int64(index) * interval.components.attoseconds / 1_000_000_000 / Int64(run.connections))
            return due < deadline ? due : nil
        }

        mutating func nextRequest() -> String {
            defer { sent += 1 }
            let account = "R-BENCH-\(Int.random(in: 0..<run.accounts, using: &random))"
            switch run.mix.pick(using: &random) {
            case .dropoff: return "DROPOFF \(account) point=CP-BENCH material=BENCH kg=1.5 ref=b\(runID)-\(index)-\(sent)"
            case .balance: return "BALANCE \(account)"
            case .redeem: return "REDEEM \(account) points=0.01 merchant=M-BENCH pin=1234 ref=b\(runID)-\(index)-\(sent)"
            case .ping: return "PING"
            case .receipt: return "RECEIPT \(Int64.random(in: 1...max(1, covered), using: &random))"
            }
        }

        static func checkpointSize(_ reply: [String]) -> Int64 {
            reply[0].split(separator: " ").first { $0.hasPrefix("size=") }.flatMap { Int64($0.dropFirst(5)) } ?? 1
        }
    }

    func run() async throws -> Report {
        let idle = try (0..<idleConnections).map { _ in try IdleSocket(host: target.host, port: target.port) }
        defer { idle.forEach { $0.close() } }
        let started = ContinuousClock.now
        let deadline = started + .milliseconds(Int64(duration * 1000))
        let runID = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let scripts = (0..<connections).map { Script(run: self, runID: runID, index: $0, started: started, deadline: deadline) }
        let parts = try target.tls ? await runTasks(scripts) : await runThreads(scripts)
        let elapsed = ContinuousClock.now - started
        let results = parts.reduce(into: WorkerResult()) { $0.merge($1) }
        return Report(result: results, seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, runID: runID)
    }

    /// One thread per connection, blocking on its socket.
    private func runThreads(_ scripts: [Script]) async throws -> [WorkerResult] {
        let outcomes = Mutex<[Result<WorkerResult, any Error>]>([])
        let group = DispatchGroup()
        for script in scripts {
            group.enter()
            let thread = Thread { [self] in
                let outcome = Result { try blockingWorker(script) }
                outcomes.withLock { $0.append(outcome) }
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        await withCheckedContinuation { continuation in group.notify(queue: .global()) { continuation.resume() } }
        return try outcomes.withLock { $0 }.map { try $0.get() }
    }

    private func blockingWorker(_ script: Script) throws -> WorkerResult {
        var script = script, result = WorkerResult()
        let socket = try LineSocket(host: target.host, port: target.port)
        _ = try socket.call("AUTH \(token)")
        if script.wantsCheckpoint { script.covered = Script.checkpointSize(try socket.call("CHECKPOINT")) }
        var inFlight: [ContinuousClock.Instant] = []
        while true {
            while inFlight.count < pipeline, let due = script.nextDue() {
                let wait = due - .now
                if wait > .zero {
                    try socket.flush()
                    Thread.sleep(forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18)
                    result.recordWake(due: due)
                }
                socket.send(script.nextRequest())
                inFlight.append(due)
            }
            guard !inFlight.isEmpty else { break }
            try socket.flush()
            guard let reply = try socket.readReply() else { throw LedgerConnection.ConnectionClosed() }
            result.record(reply, since: inFlight.removeFirst())
        }
        return result
    }

    /// One task per connection, over `LedgerConnection` (TLS).
    private func runTasks(_ scripts: [Script]) async throws -> [WorkerResult] {
        try await withThrowingTaskGroup(of: WorkerResult.self) { group in
            for script in scripts { group.addTask { try await self.asyncWorker(script) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    private func asyncWorker(_ script: Script) async throws -> WorkerResult {
        var script = script, result = WorkerResult()
        try await LedgerConnection.withConnection(host: target.host, port: target.port, tls: try target.tlsContext()) { connection in
            _ = try await connection.call("AUTH \(token)")
            if script.wantsCheckpoint { script.covered = Script.checkpointSize(try await connection.call("CHECKPOINT")) }
            var inFlight: [ContinuousClock.Instant] = []
            while true {
                while inFlight.count < pipeline, let due = script.nextDue() {
                    if due > .now {
                        try await Task.sleep(until: due, clock: .continuous)
                        result.recordWake(due: due)
                    }
                    try await connection.send(script.nextRequest())
                    inFlight.append(due)
                }
                guard !inFlight.isEmpty else { break }
                guard let reply = try await connection.readReply() else { throw LedgerConnection.ConnectionClosed() }
                result.record(reply, since: inFlight.removeFirst())
            }
        }
        return result
    }
}
