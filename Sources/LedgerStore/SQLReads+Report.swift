import Foundation
import LedgerPersistence
import GRDB
import LedgerCore

extension SQLReads {
    /// The report of `[fromMs, toMs)` (`LedgerReport`), read on one snapshot: every entry of the
    /// span that moves points, each reversal and void with the entry it undoes, once. The span
    /// is clamped to the ledger's life (the first entry to the head), so asking for centuries
    /// costs no more than asking for the whole ledger.
    func report(fromMs: Int64?, toMs: Int64?) throws -> LedgerReport {
        let scheme = try self.scheme()
        let first = try Int64.fetchOne(db, sql: "SELECT min(time_ms) FROM journal")
        let last = try Int64.fetchOne(db, sql: "SELECT max(time_ms) FROM journal")
        let from = max(fromMs ?? .min, first ?? 0)
        let to = max(from, min(toMs ?? .max, last.map { $0 + 1 } ?? 0))
        // What residents held before the span.
        let opening = try Int64.fetchOne(db, sql: """
            SELECT coalesce(sum((CASE WHEN ca.kind = 'resident' THEN j.amount ELSE 0 END)
                              - (CASE WHEN da.kind = 'resident' THEN j.amount ELSE 0 END)), 0)
            FROM journal j LEFT JOIN accounts ca ON ca.id = j.credit LEFT JOIN accounts da ON da.id = j.debit
            WHERE j.time_ms < ? AND j.amount > 0
            """, arguments: [from]) ?? 0
        let districts = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, coalesce(district, '(none)') FROM points")
            .map { (row: Row) -> (String, String) in (row[0], row[1]) })
        let rows = try Row.fetchCursor(db, sql: """
            SELECT j.time_ms, j.kind, j.amount, o.kind,
                   json_extract(CASE WHEN j.kind = 'dropoff' THEN j.attrs ELSE o.attrs END, '$.grams'),
                   json_extract(CASE WHEN j.kind = 'dropoff' THEN j.attrs ELSE o.attrs END, '$.material'),
                   json_extract(CASE WHEN j.kind = 'dropoff' THEN j.attrs ELSE o.attrs END, '$.point'),
                   (CASE WHEN ca.kind = 'resident' THEN j.amount ELSE 0 END) - (CASE WHEN da.kind = 'resident' THEN j.amount ELSE 0 END)
            FROM journal j
            LEFT JOIN journal o ON o.seq = CASE j.kind WHEN 'reversal' THEN CAST(json_extract(j.attrs, '$.reverses') AS INTEGER)
                                                       WHEN 'hold_voided' THEN CAST(json_extract(j.attrs, '$.dropoff') AS INTEGER) END
            LEFT JOIN accounts ca ON ca.id = j.credit
            LEFT JOIN accounts da ON da.id = j.debit
            WHERE j.time_ms >= ? AND j.time_ms < ? AND j.amount > 0
            ORDER BY j.seq
            """, arguments: [from, to])
        var builder = LedgerReport.Builder(fromMs: from, toMs: to, offsetMinutes: scheme.offsetMinutes,
                                           opening: Points(centipoints: opening), districts: districts)
        while let row = try rows.next() {
            let kindText: String = try RowDecoding.value(row, 1)
            guard let kind = EntryKind(rawValue: kindText) else { throw StoreError.corrupt("journal: unknown kind \(kindText)") }
            let undone: String? = try RowDecoding.optionalValue(row, 3)
            let grams: String? = try RowDecoding.optionalValue(row, 4)
            try builder.add(LedgerReport.Movement(
                timeMs: try RowDecoding.value(row, 0), kind: kind, amount: Points(centipoints: try RowDecoding.value(row, 2)),
                undoes: undone.flatMap(EntryKind.init(rawValue:)), grams: grams.flatMap { Int64($0) },
                material: try RowDecoding.optionalValue(row, 5), point: try RowDecoding.optionalValue(row, 6),
                residentDelta: try RowDecoding.value(row, 7)))
        }
        return try builder.finish()
    }
}
