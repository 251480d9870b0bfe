import Foundation
import GRDB
import LedgerCore

/// What the expiry rule (`ExpiryRules`, in the core) needs from the file: who has points to
/// expire, and when a resident's next points expire.
extension SQLReads {
    /// Open residents some of whose points had expired at `asOf`: the work list of a sweep,
    /// each then expired by an `expire` request the writer judges.
    func residentsWithExpiredPoints(asOf: Int64) throws -> [AccountID] {
        let scheme = try self.scheme()
        let (cutoff, overflow) = asOf.subtractingReportingOverflow(scheme.expiryMs)
        guard !overflow else { return [] }
        // Only entries after the cutoff are read, through the (credit, seq) index.
        let (from, late) = cutoff.addingReportingOverflow(1)
        let first = late ? Int64.max : try firstSeq(notBefore: from)
        // Spendable balance above the lots credited since: credits, less held drop-offs not posted.
        return try String.fetchAll(db.cachedStatement(sql: """
            SELECT a.id FROM accounts a
            WHERE a.kind = 'resident' AND a.closed = 0 AND a.balance - a.pending > 0
              AND a.balance - a.pending > coalesce((SELECT sum(j.amount) FROM journal j WHERE j.credit = a.id AND j.seq >= ?), 0)
                  - coalesce((SELECT sum(h.amount) FROM holds h
                              WHERE h.account = a.id AND h.credited_ms > ? AND (h.decision IS NULL OR h.decision = 'voided')), 0)
            ORDER BY a.id
            """), arguments: [first, cutoff]).map { try AccountID($0) }
    }

    /// A resident's oldest remaining lot: its points and when they expire; nil when nothing is
    /// spendable. Lots are the credits in order (a held drop-off only once posted), the oldest
    /// used up first by whatever the resident spent (a voided hold took back its own points).
    func nextExpiring(_ id: AccountID) throws -> (points: Points, expiresMs: Int64)? {
        let reads = SQLReads(db: db)
        guard let account = try reads.account(id), account.kind == .resident, account.balance > account.pending else { return nil }
        let scheme = try reads.scheme()
        // What has left the account (its debits) used the oldest lots: skip that much from the
        // front, reading credits only until the first lot with something left.
        var used = try reads.spent(from: id).centipoints
        let credits = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT j.time_ms, j.amount FROM journal j LEFT JOIN holds h ON h.dropoff_seq = j.seq
            WHERE j.credit = ? AND (h.dropoff_seq IS NULL OR h.decision = 'posted') ORDER BY j.seq
            """), arguments: [id.rawValue])
        while let row = try credits.next() {
            let timeMs: Int64 = try RowDecoding.value(row, 0)
            let amount: Int64 = try RowDecoding.value(row, 1)
            if used >= amount { used -= amount; continue }
            let (expires, overflow) = timeMs.addingReportingOverflow(scheme.expiryMs)
            return (Points(centipoints: amount - used), overflow ? .max : expires)
        }
        throw StoreError.corrupt("account \(id): its balance is more than its credits")
    }

    /// The held drop-offs nobody has decided whose hold has run out at `asOf`, oldest first:
    /// the sweep applies the scheme's `hold_action` to each.
    func holdsDue(asOf: Int64) throws -> [Int64] {
        try Int64.fetchAll(db.cachedStatement(sql: "SELECT dropoff_seq FROM holds WHERE decision IS NULL AND until_ms <= ? ORDER BY dropoff_seq"),
                           arguments: [asOf])
    }
}
