import Metrics
import Synchronization

/// The server's metrics, through swift-metrics: whatever backend the process bootstraps
/// (`ecoledgerd --metrics` bootstraps swift-prometheus's; without one they cost next to nothing).
///
/// Names follow Prometheus' conventions (`_total` counters, `_seconds` durations). Labels take
/// only bounded values, a command's verb as the server knows it (or `-` for a line it could not
/// parse) and a reply's code, so a client cannot create series at will. The gauges that
/// describe the ledger itself are set when metrics are collected (`collect`).
public final class ServerMetrics: Sendable {
    private struct RequestSeries: Sendable {
        let requests: Counter
        let errors: Counter?
    }

    private let series = Mutex<[String: RequestSeries]>([:])
    private let durations = Mutex<[String: Metrics.Timer]>([:])
    let connections = Gauge(label: "ecoledger_connections")
    let connectionsTotal = Counter(label: "ecoledger_connections_total")
    let batchSize = Recorder(label: "ecoledger_write_batch_size", aggregate: true)
    let commitDuration = Metrics.Timer(label: "ecoledger_commit_duration_seconds")
    let journalEntries = Gauge(label: "ecoledger_journal_entries")
    let checkpointSize = Gauge(label: "ecoledger_checkpoint_size")
    let checkpointAge = Gauge(label: "ecoledger_checkpoint_age_seconds")

    public init() {}

    /// One request answered: `code` is `OK` or the error's code; `duration` from the line's
    /// arrival to its reply (nil for a PING answered on the event loop).
    func request(verb: String, code: String, duration: Duration?) {
        let key = verb + " " + code
        let found = series.withLock { table -> RequestSeries in
            if let existing = table[key] { return existing }
            let dimensions = [("command", verb), ("code", code)]
            let made = RequestSeries(requests: Counter(label: "ecoledger_requests_total", dimensions: dimensions),
                                     errors: code == "OK" ? nil : Counter(label: "ecoledger_request_errors_total", dimensions: dimensions))
            table[key] = made
            return made
        }
        found.requests.increment()
        found.errors?.increment()
        guard let duration else { return }
        let timer = durations.withLock { table in
            if let existing = table[verb] { return existing }
            let made = Metrics.Timer(label: "ecoledger_request_duration_seconds", dimensions: [("command", verb)])
            table[verb] = made
            return made
        }
        timer.record(duration: duration)
    }

    /// One group commit: how many requests it carried and how long the transaction took.
    func batch(size: Int, duration: Duration) {
        batchSize.record(size)
        commitDuration.record(duration: duration)
    }

    /// The ledger's size and the last checkpoint's age, read when metrics are collected.
    public func collect(headSeq: Int64, checkpoint: (size: Int64, timeMs: Int64)?, nowMs: Int64) {
        journalEntries.record(headSeq)
        if let checkpoint {
            checkpointSize.record(checkpoint.size)
            checkpointAge.record(Double(max(0, nowMs - checkpoint.timeMs)) / 1000)
        }
    }
}
