import Synchronization

/// Counters behind `STATS`, updated from every session without locks.
final class ServerStats: Sendable {
    let openConnections = Atomic<Int>(0)
    let totalConnections = Atomic<Int>(0)
    let commands = Atomic<Int>(0)
    let errors = Atomic<Int>(0)
    let startedAt = ContinuousClock.now
    /// The same events, and more, for a metrics backend (`--metrics`).
    let metrics = ServerMetrics()

    var uptimeSeconds: Int64 { (ContinuousClock.now - startedAt).components.seconds }
}
