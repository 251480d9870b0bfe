import LedgerCore
import Logging
import ServiceLifecycle

/// Moves expired points to sys:forfeit at least once per interval (`ExpirySweep`, as `EXPIRE`
/// does), as of the server's clock.
struct ExpiryService: Service, CustomStringConvertible {
    let sweep: ExpirySweep
    let clock: @Sendable () -> Int64
    let schedule: JobSchedule
    let logger: Logger
    var description: String { "expiry" }

    func run() async throws {
        await schedule.run("expiry sweep", logger: logger) { _ = try await sweep.run(asOf: clock(), actor: .server) }
    }
}
