import Foundation
import LedgerPersistence
import GRDB
import LedgerCore

/// Expiry as a reader sees it: the sweep's work list and BALANCE's next lot, both judged by the
/// core's `ExpiryRules`, the rule the writer applies to an `expiry` entry, never by SQL of their own.
extension SQLReads {
    /// The open residents some of whose points had expired at `asOf`: the work list of a sweep,
    /// each then expired by an `expire` request the writer judges. Every open resident with
    /// spendable points is asked the rule, so none can be missed.
    func residentsWithExpiredPoints(asOf: Int64) throws -> [AccountID] {
        let candidates = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT \(RowDecoding.accountColumns) FROM \(RowDecoding.accountSource)
            WHERE accounts.kind = 'resident' AND accounts.closed = 0 AND accounts.balance > accounts.pending ORDER BY accounts.id
            """))
        let queries = SnapshotRuleQueries(reads: self)
        var expired: [AccountID] = []
        while let row = try candidates.next() {
            let account = try RowDecoding.account(row)
            if try ExpiryRules.expired(of: account, asOf: asOf, in: queries) > .zero { expired.append(account.id) }
        }
        return expired
    }

    /// When a resident's next points expire, and how many (`ExpiryRules.next`); nil when none will.
    func nextExpiring(_ id: AccountID) throws -> (points: Points, expiresMs: Int64)? {
        guard let account = try account(id), account.kind == .resident, account.balance > account.pending else { return nil }
        let debited = Points(centipoints: try Int64.fetchOne(db.cachedStatement(sql: CreditQueries.debited), arguments: [id.rawValue]) ?? 0)
        let total = try ExpiryRules.totalCredited(to: account, totalDebited: debited)
        // Stepped in place (a cursor's row is reused, not copied per credit), oldest first, from
        // the covering index `journal_credits`, and only as far as the rule needs: a resident
        // may have thousands.
        let rows = try Row.fetchCursor(db.cachedStatement(sql: CreditQueries.all), arguments: [id.rawValue])
        return try ExpiryRules.next(of: account, totalCredited: total, creditsOldestFirst: {
            guard let row = try rows.next() else { return nil }
            return (timeMs: try RowDecoding.value(row, 0), points: Points(centipoints: try RowDecoding.value(row, 1)))
        }, in: SnapshotRuleQueries(reads: self))
    }

    /// The held drop-offs nobody has decided whose hold has run out at `asOf`, oldest first:
    /// the sweep applies the scheme's `hold_action` to each.
    func holdsDue(asOf: Int64) throws -> [Int64] {
        try Int64.fetchAll(db.cachedStatement(sql: "SELECT dropoff_seq FROM holds WHERE decision IS NULL AND until_ms <= ? ORDER BY dropoff_seq"),
                           arguments: [asOf])
    }
}

/// The reads of an account's credits that the rules make on every drop-off (the caps) and every
/// BALANCE (the next expiry). Each is answered from a covering index alone, `journal_credits`
/// (schema/009_credits_index.sql) or, for the debits, `journal_debits` (010; SchemaTests checks
/// the plans): a resident's credits lie one to a page all through the journal.
enum CreditQueries {
    static let all = "SELECT time_ms, amount FROM journal WHERE credit = ? ORDER BY seq"
    /// All an account was ever debited (`ExpiryRules.totalCredited`).
    static let debited = "SELECT coalesce(sum(amount), 0) FROM journal WHERE debit = ?"
    static let earned = "SELECT coalesce(sum(amount), 0) FROM journal WHERE credit = ? AND seq >= ? AND kind = 'dropoff' AND time_ms >= ?"
    static let credited = "SELECT coalesce(sum(amount), 0) FROM journal WHERE credit = ? AND seq >= ? AND time_ms > ?"
}
