import ServiceLifecycle

/// The single writer's lifetime as a service: first in the daemon's group, so it stops last,
/// once the connections are drained and the last checkpoint is signed.
struct WriterService: Service, CustomStringConvertible {
    let gateway: LedgerGateway
    var description: String { "writer" }

    func run() async throws {
        // Until shutdown reaches it (or the group is cancelled), then let running work finish.
        try? await gracefulShutdown()
        try await gateway.shutdown()
    }
}
