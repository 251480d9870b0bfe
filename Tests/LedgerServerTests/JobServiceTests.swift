import Foundation
import GRDB
import LedgerCore
import LedgerProtocol
@testable import LedgerServer
import LedgerTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// A job's `sleep` that a test drives: the job waits in it until `runOnce()`, so no test races a timer.
final class DrivenSleep: Sendable {
    private struct Sleeper { let id: Int; let continuation: CheckedContinuation<Void, any Error> }
    private struct State {
        var sleeper: Sleeper?
        var nextID = 0
        var cancelled: Set<Int> = []
        /// Intervals asked for that the test has not looked at yet, and the test waiting for one.
        var asked: [Duration] = []
        var watcher: CheckedContinuation<Duration, Never>?
    }
    private let state = Mutex(State())

    var sleep: @Sendable (Duration) async throws -> Void { { try await self.wait($0) } }

    private func wait(_ interval: Duration) async throws {
        let id = state.withLock { state in defer { state.nextID += 1 }; return state.nextID }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (cancelled, watcher) = state.withLock { state -> (Bool, CheckedContinuation<Duration, Never>?) in
                    if state.cancelled.contains(id) { return (true, nil) }
                    state.sleeper = Sleeper(id: id, continuation: continuation)
                    guard let watcher = state.watcher else { state.asked.append(interval); return (false, nil) }
                    state.watcher = nil
                    return (false, watcher)
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
                watcher?.resume(returning: interval)
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                state.cancelled.insert(id)
                guard state.sleeper?.id == id else { return nil }
                defer { state.sleeper = nil }
                return state.sleeper
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Waits until the job sleeps, and returns the interval it asked for (without waking it).
    func nextSleep() async -> Duration {
        await withCheckedContinuation { (watcher: CheckedContinuation<Duration, Never>) in
            let ready = state.withLock { state -> Duration? in
                guard state.asked.isEmpty else { return state.asked.removeFirst() }
                state.watcher = watcher
                return nil
            }
            if let ready { watcher.resume(returning: ready) }
        }
    }

    /// Wakes the sleeping job (it runs once), then waits until it sleeps again: its run is over.
    @discardableResult
    func runOnce() async -> Duration {
        state.withLock { state in defer { state.sleeper = nil }; return state.sleeper }?.continuation.resume()
        return await nextSleep()
    }
}

/// The background jobs as services: each runs on its own interval, does its work when woken, and
/// stops with graceful shutdown; the server lists them in a fixed order.
@Suite("Jobs as services")
struct JobServiceTests {
    static var logger: Logger { var logger = Logger(label: "jobs"); logger.logLevel = .critical; return logger }

    /// Runs `services` in a group, runs `body`, then shuts the group down gracefully.
    static func running(_ services: [any Service], _ body: () async throws -> Void) async throws {
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        let task = Task { try await group.run() }
        do { try await body() } catch {
            await group.triggerGracefulShutdown()
            _ = try? await task.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try await task.value
    }

    @Test("the expiry service sweeps on its own interval, as of the server's clock")
    func expiry() async throws {
        let day: Int64 = 86_400_000
        let clock = ExpireTests.Clock(1_767_225_600_000)
        try await CommandHarness.with(clock: clock.read) { harness in
            try await harness.session(as: .admin) { admin async throws in
                _ = try await admin.call("SCHEME SET expiry=30d")
                #expect(try await admin.call("DROPOFF R-1 point=CP-1 material=PET kg=2 ref=x-1")[0].hasPrefix("OK seq="))
                let sleep = DrivenSleep()
                let service = ExpiryService(sweep: harness.services.expiry, clock: clock.read,
                                            schedule: JobSchedule(every: .seconds(3600), sleep: sleep.sleep), logger: Self.logger)
                try await Self.running([service]) { () async throws in
                    #expect(await sleep.nextSleep() == .seconds(3600))
                    #expect(await sleep.runOnce() == .seconds(3600))
                    #expect(try await admin.call("BALANCE R-1")[0].hasPrefix("OK account=R-1 balance=36.00"), "nothing old enough yet")
                    clock.advance(30 * day)
                    await sleep.runOnce()
                    #expect(try await admin.call("BALANCE R-1") == ["OK account=R-1 balance=0.00"])
                    #expect(try await admin.call("HISTORY R-1 limit=1")[1].contains(" kind=expiry "))
                }
            }
        }
    }

    @Test("the checkpoint service signs when the ledger grew, and a last checkpoint once it stops")
    func checkpoints() async throws {
        try await CommandHarness.with { harness in
            let checkpointer = try #require(harness.services.checkpointer)
            let sleep = DrivenSleep()
            let service = CheckpointService(checkpointer: checkpointer, schedule: JobSchedule(every: .milliseconds(250), sleep: sleep.sleep),
                                            logger: Self.logger)
            try await harness.session(as: .admin) { admin async throws in
                try await Self.running([service]) { () async throws in
                    #expect(await sleep.nextSleep() == .milliseconds(250))
                    _ = try await admin.call("DROPOFF R-1 point=CP-1 material=PET kg=2 ref=c-1")
                    let head = try harness.store.head().seq
                    await sleep.runOnce()
                    #expect(try harness.store.latestCheckpoint()?.size == head)
                    _ = try await admin.call("DROPOFF R-1 point=CP-1 material=PET kg=2 ref=c-2")
                    #expect(try harness.store.latestCheckpoint()?.size == head, "not before its interval")
                }
                // Stopped: its last checkpoint covers the last entry.
                #expect(try harness.store.latestCheckpoint()?.size == (try harness.store.head().seq))
            }
        }
    }

    @Test("the scrub service retries an erasure's scrub a reader held up")
    func scrub() async throws {
        let clock = ExpireTests.Clock(1_767_225_600_000)
        try await CommandHarness.with(clock: clock.read) { harness in
            try await harness.session(as: .admin) { admin async throws in
                _ = try await admin.call("ACCOUNT OPEN R-9 kind=resident name=\"Ana Reyes\" district=Payatas")
                _ = try await admin.call("ACCOUNT CLOSE R-9 reason=moved")
                let reader = try Self.openSnapshot(harness.path)
                #expect(try await admin.call("ACCOUNT ERASE R-9 reason=asked")[0].hasPrefix("OK seq="))
                #expect(harness.store.scrubPending, "the reader holds the scrub up")
                try Self.release(reader)
                clock.advance(2_000)
                let sleep = DrivenSleep()
                let service = ScrubRetryService(gateway: harness.services.gateway, schedule: JobSchedule(every: .seconds(1), sleep: sleep.sleep),
                                                logger: Self.logger)
                try await Self.running([service]) { () async throws in
                    #expect(await sleep.nextSleep() == .seconds(1))
                    await sleep.runOnce()
                    #expect(!harness.store.scrubPending)
                }
            }
        }
    }

    /// Another connection reading from a snapshot taken now (an audit, a backup).
    static func openSnapshot(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true // the read transaction spans several accesses
        let reader = try DatabaseQueue(path: path, configuration: configuration)
        try reader.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN DEFERRED")
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM profiles")
        }
        return reader
    }

    static func release(_ reader: DatabaseQueue) throws {
        try reader.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
        try reader.close()
    }

    @Test("a ledger's services start writer first and metrics last, so shutdown stops the jobs, then the connections, then the writer")
    func order() async throws {
        try await TestServer.with(configure: { $0.metrics = MetricsEndpoint(host: "127.0.0.1", port: 0) { "" } }) { server in
            #expect(server.serviceNames == ["writer", "checkpoints", "connections", "expiry", "erasure scrub", "metrics"])
        }
        try await TestServer.with(configure: { $0.logSigner = nil }) { server in
            #expect(server.serviceNames == ["writer", "connections", "expiry", "erasure scrub"])
        }
    }
}
