import LedgerCore
import LedgerPersistence
import LedgerProtocol

extension Commands.Balance: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let id = account
        let (account, next, offset) = try await context.ledger.read { store in
            (try store.account(id), try store.nextExpiring(id), try store.scheme().offsetMinutes)
        }
        guard let account else { throw LedgerError.notFound("no account \(id)") }
        var fields: Reply.Fields = [("account", id.rawValue), ("balance", account.balance.description)]
        if account.pending > .zero { fields.append(("pending", account.pending.description)) }
        if let next {
            fields += [("expiring", next.points.description), ("expires", String(next.expiresMs)),
                       ("expires_local", SchemeCalendar.localMinute(next.expiresMs, offsetMinutes: offset))]
        }
        return .ok(fields)
    }
}

extension Commands.History: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let (id, limit, before) = (account, limit, before)
        let read = try await context.ledger.read { store -> (entries: [Entry], offset: Int)? in
            guard try store.account(id) != nil else { return nil }
            return (try store.history(of: id, limit: limit, before: before ?? .max), try store.scheme().offsetMinutes)
        }
        guard let read else { throw LedgerError.notFound("no account \(id)") }
        return .list(read.entries.map { EntryFields.summary($0, offsetMinutes: read.offset) })
    }
}

extension Commands.EntryRead: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let seq = self.seq
        let (entry, offset) = try await context.ledger.read { store in (try store.entry(seq: seq), try store.scheme().offsetMinutes) }
        guard let entry else { throw LedgerError.notFound("no entry \(seq)") }
        return .ok(EntryFields.full(entry, offsetMinutes: offset))
    }
}

extension Commands.Head: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let head = try await context.ledger.read { try $0.head() }
        return .ok([("seq", String(head.seq)), ("hash", head.hash.hex)])
    }
}

/// The whole audit; the witnesses this server trusts have their cosignatures' signatures checked too.
extension Commands.Audit: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let witnesses = context.services.witnesses
        let result = try await context.ledger.audit(witnessKeys: witnesses)
        switch result {
        case .success(let report):
            return .ok([("entries", String(report.entries)), ("head", "\(report.head.seq):\(report.head.hash.hex)")])
        case .failure(let failure):
            context.logger.critical("AUDIT failed", metadata: ["seq": "\(failure.seq)", "reason": "\(failure.reason)"])
            return .error(ProtocolError(.chainBroken, "seq=\(failure.seq) reason=\(Reply.quote(failure.reason))"))
        }
    }
}

extension Commands.Stats: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let head = try await context.ledger.read { try $0.head() }
        let stats = context.services.stats, batches = context.ledger.batches
        return .ok([
            ("connections", String(stats.openConnections.load(ordering: .relaxed))),
            ("total_connections", String(stats.totalConnections.load(ordering: .relaxed))),
            ("commands", String(stats.commands.load(ordering: .relaxed))),
            ("errors", String(stats.errors.load(ordering: .relaxed))),
            ("entries", String(head.seq)),
            ("write_transactions", String(batches.transactions.load(ordering: .relaxed))),
            ("writes", String(batches.writes.load(ordering: .relaxed))),
            ("largest_batch", String(batches.largest.load(ordering: .relaxed))),
            ("uptime", String(stats.uptimeSeconds)),
        ])
    }
}

extension Commands.Alerts: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let (since, limit) = (since, limit)
        return .list(try await context.ledger.read { try $0.alerts(since: since, limit: limit) }.map(EntryFields.alert))
    }
}

extension Commands.Report: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let (from, to) = (from, to)
        let report = try await context.ledger.read { store -> LedgerReport in
            let span = LedgerReport.span(from: from, to: to, offsetMinutes: try store.scheme().offsetMinutes)
            return try store.report(fromMs: span.fromMs, toMs: span.toMs)
        }
        return .list(report.groups(grouping).map { EntryFields.report($0, key: grouping.rawValue) }
                     + [EntryFields.report(LedgerReport.Group(key: "all", figures: report.total), key: "total")])
    }
}
