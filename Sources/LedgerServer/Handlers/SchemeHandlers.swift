import LedgerCore
import LedgerPersistence
import LedgerProtocol

extension Commands.SchemeShow: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        .ok(EntryFields.scheme(try await context.ledger.read { try $0.scheme() }))
    }
}

extension Commands.SchemeSet: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        Replies.appended(try await context.submit(.setScheme(offsetMinutes: offsetMinutes, dailyCap: dailyCap, monthlyCap: monthlyCap,
                                                             expiryMs: expiryMs, holdAction: holdAction, alerts: alerts)))
    }
}

extension Commands.Expire: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let (accounts, points) = try await context.services.expiry.run(asOf: context.now, actor: context.actor)
        return .ok([("expired", String(accounts)), ("points", points.description)])
    }
}

/// An operator posts the holds of its own point's drop-offs only.
extension Commands.PostHold: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        if let point = context.principal?.point {
            let seq = self.seq
            let (entry, hold) = try await context.ledger.read { store in (try store.entry(seq: seq), try store.hold(seq)) }
            guard let entry, hold != nil else { throw LedgerError.notFound("entry \(seq) is not a held drop-off") }
            guard entry.body[AttributeKey.point] == point.rawValue else {
                throw ProtocolError(.forbidden, "this operator token posts the held drop-offs of \(point) only")
            }
        }
        return Replies.appended(try await context.submit(.postHold(dropoff: seq)))
    }
}

extension Commands.VoidHold: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let receipt = try await context.submit(.voidHold(dropoff: seq, reason: reason))
        return Replies.appended(receipt, [("amount", receipt.entry.body.amount.description)])
    }
}
