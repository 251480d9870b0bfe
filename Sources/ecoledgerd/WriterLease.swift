import LedgerPostgres
import Logging
import NIOPosix
import ServiceLifecycle

/// The writer lease of a PostgreSQL ledger, as ecoledgerd holds it: taken before it serves
/// (a second ecoledgerd waits here as a standby, trying again each tenth of the lease, so it
/// takes over soon after the lease lapses), then renewed each third of the lease while it serves. Losing it (this process was paused while
/// another took over) ends the process with an error: its batches already fail, and a
/// supervisor restarts it as a standby.
struct WriterLease: Service {
    let ledger: PostgresLedger
    let logger: Logger

    var period: Duration { .milliseconds(ledger.leaseMs / 3) }

    /// Waits until this process holds the lease; false when cancelled (a signal) first.
    static func wait(for ledger: PostgresLedger, logger: Logger, announce: (String) -> Void) async -> Bool {
        var announced = false
        while !Task.isCancelled {
            do {
                switch try await acquire(ledger) {
                case .acquired(let epoch):
                    logger.notice("holding the writer lease", metadata: ["epoch": "\(epoch)"])
                    return true
                case .heldBy(let holder):
                    if !announced {
                        announce("standby: \(holder) holds the writer lease; taking over when it lapses")
                        announced = true
                    }
                }
            } catch {
                logger.warning("cannot take the writer lease yet", metadata: ["reason": "\(error)"])
            }
            try? await Task.sleep(for: .milliseconds(ledger.leaseMs / 10))
        }
        return false
    }

    /// One attempt, on a thread of NIO's blocking pool: it may wait for the writer's batch or
    /// for an unreachable database (up to the statement limit), and must not hold one of Swift's
    /// few cooperative threads, which serve every connection, meanwhile.
    private static func acquire(_ ledger: PostgresLedger) async throws -> PostgresLedger.LeaseOutcome {
        try await NIOThreadPool.singleton.runIfActive { try ledger.acquireLease() }
    }

    struct Lost: Error, CustomStringConvertible {
        let description: String
    }

    func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: period)
                if Task.isCancelled { break }
                do {
                    guard case .acquired = try await Self.acquire(ledger) else {
                        throw Lost(description: "another ecoledgerd took over the writer lease; stopping (start again to wait as a standby)")
                    }
                } catch let lost as Lost {
                    throw lost
                } catch {
                    // The database is unreachable (a failover under way): batches fail as
                    // UNAVAILABLE meanwhile; the lease is taken again, or lost, once it answers.
                    logger.warning("cannot renew the writer lease", metadata: ["reason": "\(error)"])
                }
            }
        }
        let held = ledger
        _ = try? await NIOThreadPool.singleton.runIfActive { held.releaseLease() }
    }
}
