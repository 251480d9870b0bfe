import LedgerHost
import LedgerPersistence
import Logging
import ServiceLifecycle
import Synchronization

/// Serves Prometheus text (`--metrics`) on a listener bound before the server starts (so a
/// taken address stops the start), refreshing the ledger's gauges at most once a second
/// however often it is scraped. Last in the group: the first to stop.
struct MetricsService: Service, CustomStringConvertible {
    let endpoint: MetricsEndpoint
    let listener: MetricsEndpoint.Listener
    let gateway: LedgerGateway
    let stats: ServerStats
    let logger: Logger
    var description: String { "metrics" }

    func run() async throws {
        let gateway = gateway, stats = stats, metrics = stats.metrics
        let lastRead = Mutex<ContinuousClock.Instant?>(nil)
        do {
            try await cancelWhenGracefulShutdown { [endpoint, listener] in
                try await endpoint.serve(listener) {
                    let now = ContinuousClock.now
                    let due = lastRead.withLock { last in
                        guard last.map({ now - $0 >= .seconds(1) }) ?? true else { return false }
                        last = now
                        return true
                    }
                    metrics.connections.record(stats.openConnections.load(ordering: .relaxed))
                    guard due, let (head, checkpoint) = try? await gateway.read({ store in (try store.head().seq, try store.latestCheckpoint()) }) else { return }
                    metrics.collect(headSeq: head, checkpoint: checkpoint.map { ($0.size, $0.timeMs) }, nowMs: WallClock.now())
                }
            }
        } catch is CancellationError {
            return
        } catch {
            logger.error("metrics endpoint stopped", metadata: ["error": "\(error)"])
        }
    }
}
