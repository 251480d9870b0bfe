import Logging
import ServiceLifecycle

/// When a background job runs: every `interval`, waiting with `sleep` (`Task.sleep` in
/// production; a test injects one it drives, so no test races a timer).
public struct JobSchedule: Sendable {
    public var interval: Duration
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(every interval: Duration, sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }) {
        self.interval = interval
        self.sleep = sleep
    }

    /// Runs `body` once per interval until graceful shutdown (or cancellation); a failed run is
    /// logged and the next one comes at its time.
    func run(_ name: String, logger: Logger, _ body: @Sendable () async throws -> Void) async {
        let interval = interval, sleep = sleep
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { try await sleep(interval) }
            } catch {
                return
            }
            guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
            do {
                try await body()
            } catch is CancellationError {
                return
            } catch {
                logger.error("\(name) failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
