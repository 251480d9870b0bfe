import Logging
import ServiceLifecycle

/// Signs a checkpoint once per interval while the ledger grows (`Checkpointer.tick`), and a last
/// one when it stops: after the connections, so the last checkpoint covers every entry written.
struct CheckpointService: Service, CustomStringConvertible {
    let checkpointer: Checkpointer
    let schedule: JobSchedule
    let logger: Logger
    var description: String { "checkpoints" }

    func run() async throws {
        await schedule.run("checkpoint", logger: logger) { try await checkpointer.tick() }
        await checkpointer.stop()
        do { try await checkpointer.tick() } catch { logger.error("last checkpoint failed", metadata: ["error": "\(error)"]) }
    }
}
