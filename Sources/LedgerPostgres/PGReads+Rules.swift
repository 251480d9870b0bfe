import LedgerCore
import LedgerPersistence

/// The reads that walk many rows: alerts, the expiry sweep's work list and next lot, the report.
/// The rules are the core's (`AlertRules`, `ExpiryRules`, `LedgerReport.Builder`); only the
/// queries are PostgreSQL's.
extension PGReads {
    func alerts(since: Int64, limit: Int) throws -> [AlertRules.Alert] {
        var rules = AlertRules(thresholds: try scheme().alerts)
        var alerts: [AlertRules.Alert] = []
        try connection.forEach("SELECT seq, time_ms, credit, attrs FROM journal WHERE kind = 'dropoff' ORDER BY seq") { row in
            guard alerts.count < limit else { return false }
            let raised = rules.feed(try RowDecoding.alertDropoff(seq: try row.integer(0, "seq"), timeMs: try row.integer(1, "time_ms"),
                                                                 credit: try row.text(2, "credit"), attrs: try row.text(3, "attrs")))
            alerts += raised.filter { $0.seq > since }
            return true
        }
        return Array(alerts.prefix(limit))
    }

    func residentsWithExpiredPoints(asOf: Int64) throws -> [AccountID] {
        var candidates: [AccountState] = []
        try connection.forEach("""
            SELECT \(Self.accountColumns) FROM \(Self.accountSource)
            WHERE accounts.kind = 'resident' AND accounts.closed = 0 AND accounts.balance > accounts.pending ORDER BY accounts.id
            """) { row in
            candidates.append(try RowDecoding.account(row))
            return true
        }
        let queries = SnapshotRuleQueries(reads: self)
        return try candidates.filter { try ExpiryRules.expired(of: $0, asOf: asOf, in: queries) > .zero }.map(\.id)
    }

    func nextExpiring(_ id: AccountID) throws -> (points: Points, expiresMs: Int64)? {
        guard let account = try account(id), account.kind == .resident, account.balance > account.pending else { return nil }
        let debited = try connection.one("SELECT coalesce(sum(amount), 0)::bigint FROM journal WHERE debit = $1", [.text(id.rawValue)])?
            .integer(0, "debited") ?? 0
        let total = try ExpiryRules.totalCredited(to: account, totalDebited: Points(centipoints: debited))
        // The credits oldest first, fetched a page at a time as the rule reads on (it reads as
        // few as it needs, of a resident's thousands), each page four times the last.
        var page: [(seq: Int64, credit: (timeMs: Int64, points: Points))] = []
        var next = 0, size: Int64 = 16, exhausted = false
        return try ExpiryRules.next(of: account, totalCredited: total, creditsOldestFirst: {
            if next == page.count, !exhausted {
                page = try connection.query("SELECT seq, time_ms, amount FROM journal WHERE credit = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                                            [.text(id.rawValue), .int(page.last?.seq ?? 0), .int(size)]).map { row in
                    (seq: try row.integer(0, "seq"), credit: (timeMs: try row.integer(1, "time_ms"), points: Points(centipoints: try row.integer(2, "amount"))))
                }
                (next, exhausted, size) = (0, page.count < size, size * 4)
            }
            guard next < page.count else { return nil }
            defer { next += 1 }
            return page[next].credit
        }, in: SnapshotRuleQueries(reads: self))
    }

    func report(fromMs: Int64?, toMs: Int64?) throws -> LedgerReport {
        let scheme = try self.scheme()
        let span = try connection.one("SELECT min(time_ms), max(time_ms) FROM journal")
        let first = try span?.optionalInteger(0, "min"), last = try span?.optionalInteger(1, "max")
        let from = max(fromMs ?? .min, first ?? 0)
        let to = max(from, min(toMs ?? .max, last.map { $0 + 1 } ?? 0))
        let opening = try connection.one("""
            SELECT coalesce(sum((CASE WHEN ca.kind = 'resident' THEN j.amount ELSE 0 END)
                              - (CASE WHEN da.kind = 'resident' THEN j.amount ELSE 0 END)), 0)::bigint
            FROM journal j LEFT JOIN accounts ca ON ca.id = j.credit LEFT JOIN accounts da ON da.id = j.debit
            WHERE j.time_ms < $1 AND j.amount > 0
            """, [.int(from)])?.integer(0, "opening") ?? 0
        var districts: [String: String] = [:]
        for row in try connection.query("SELECT id, coalesce(district, '(none)') FROM points") {
            districts[try row.text(0, "id")] = try row.text(1, "district")
        }
        var builder = LedgerReport.Builder(fromMs: from, toMs: to, offsetMinutes: scheme.offsetMinutes,
                                           opening: Points(centipoints: opening), districts: districts)
        let source = "(CASE WHEN j.kind = 'dropoff' THEN j.attrs ELSE o.attrs END)::jsonb"
        try connection.forEach("""
            SELECT j.time_ms, j.kind, j.amount, o.kind, \(source) ->> 'grams', \(source) ->> 'material', \(source) ->> 'point',
                   (CASE WHEN ca.kind = 'resident' THEN j.amount ELSE 0 END) - (CASE WHEN da.kind = 'resident' THEN j.amount ELSE 0 END)
            FROM journal j
            LEFT JOIN journal o ON o.seq = CASE j.kind WHEN 'reversal' THEN (j.attrs::jsonb ->> 'reverses')::bigint
                                                       WHEN 'hold_voided' THEN (j.attrs::jsonb ->> 'dropoff')::bigint END
            LEFT JOIN accounts ca ON ca.id = j.credit
            LEFT JOIN accounts da ON da.id = j.debit
            WHERE j.time_ms >= $1 AND j.time_ms < $2 AND j.amount > 0
            ORDER BY j.seq
            """, [.int(from), .int(to)]) { row in
            let kindText = try row.text(1, "kind")
            guard let kind = EntryKind(rawValue: kindText) else { throw StoreError.corrupt("journal: unknown kind \(kindText)") }
            try builder.add(LedgerReport.Movement(
                timeMs: try row.integer(0, "time_ms"), kind: kind, amount: Points(centipoints: try row.integer(2, "amount")),
                undoes: try row.optionalText(3, "undone kind").flatMap(EntryKind.init(rawValue:)),
                grams: try row.optionalText(4, "grams").flatMap { Int64($0) },
                material: try row.optionalText(5, "material"), point: try row.optionalText(6, "point"),
                residentDelta: try row.integer(7, "resident delta")))
            return true
        }
        return try builder.finish()
    }
}

extension PGConnection {
    /// Streams the rows of `sql` through a cursor, 10,000 at a time, until `body` returns false:
    /// memory stays bounded however long the journal is. Runs inside the caller's transaction.
    func forEach(_ sql: String, _ values: [PGValue] = [], _ body: (PGRow) throws -> Bool) throws {
        try query("DECLARE ecoledger_scan NO SCROLL CURSOR FOR \(sql)", values)
        defer { _ = try? query("CLOSE ecoledger_scan") }
        while true {
            let rows = try query("FETCH FORWARD 10000 FROM ecoledger_scan")
            for row in rows where try !body(row) { return }
            if rows.count < 10_000 { return }
        }
    }
}
