import LedgerCore
import LedgerPersistence
import Logging

/// The expiry sweep: every open resident with points expired at `now` (or at the head's time,
/// if the clock is behind it) gets one `expiry` entry, after the holds nobody decided in time.
/// Run by `EXPIRE` and by the daemon's `ExpiryService`. Requests go to the writer 256 at a time,
/// so other writes interleave with a long first sweep.
struct ExpirySweep: Sendable {
    let gateway: LedgerGateway
    let logger: Logger

    /// How many accounts lost points, and how many points in all.
    func run(asOf now: Int64, actor: Actor) async throws -> (accounts: Int, points: Points) {
        let (accounts, holds, asOf, action) = try await gateway.read { store in
            let asOf = max(now, try store.head().timeMs)
            return (try store.residentsWithExpiredPoints(asOf: asOf), try store.holdsDue(asOf: asOf), asOf, try store.scheme().holdAction)
        }
        // Holds nobody decided in time first, as the scheme says: voided points never expire.
        for start in stride(from: 0, to: holds.count, by: LedgerGateway.maxBatch) {
            let tickets = holds[start..<min(start + LedgerGateway.maxBatch, holds.count)].map { seq in
                gateway.enqueue(LedgerRequest(actor: actor, command: action == .posted
                    ? .postHold(dropoff: seq) : .voidHold(dropoff: seq, reason: "the hold ran out")))
            }
            for ticket in tickets {
                switch await ticket.result {
                case .success, .failure(LedgerError.conflict): continue // decided in the meantime
                case .failure(let error): logger.error("deciding a hold failed", metadata: ["error": "\(error)"])
                }
            }
        }
        var expired = 0, points = Points.zero
        for start in stride(from: 0, to: accounts.count, by: LedgerGateway.maxBatch) {
            let tickets = accounts[start..<min(start + LedgerGateway.maxBatch, accounts.count)].map {
                gateway.enqueue(LedgerRequest(actor: actor, command: .expire(account: $0, asOf: asOf)))
            }
            for ticket in tickets {
                switch await ticket.result {
                case .success(let receipt):
                    expired += 1
                    points = try points.adding(receipt.entry.body.amount)
                case .failure(LedgerError.conflict):
                    continue // spent in the meantime: nothing left to expire
                case .failure(let error):
                    logger.error("expiry failed", metadata: ["error": "\(error)"])
                }
            }
        }
        if expired > 0 { logger.info("expired points", metadata: ["accounts": "\(expired)", "points": "\(points)"]) }
        return (expired, points)
    }
}
