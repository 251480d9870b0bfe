import Logging
import ServiceLifecycle

/// Tries again an erasure's scrub that a reader held up (`LedgerStore.retryPendingScrub`: the
/// erased profile's bytes are overwritten in the file once no reader still needs them).
struct ScrubRetryService: Service, CustomStringConvertible {
    let gateway: LedgerGateway
    let schedule: JobSchedule
    let logger: Logger
    var description: String { "erasure scrub" }

    func run() async throws {
        await schedule.run("erasure scrub", logger: logger) { try await gateway.write { $0.retryPendingScrub() } }
    }
}
