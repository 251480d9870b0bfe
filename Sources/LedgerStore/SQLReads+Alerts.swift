import Foundation
import LedgerPersistence
import GRDB
import LedgerCore

extension SQLReads {
    /// The fraud signals (`AlertRules`, with the scheme's current thresholds) raised by drop-offs
    /// after `since`, oldest first, at most `limit`. Every drop-off from the first is read (the rules' baselines need the history),
    /// on one read snapshot: about a second per million entries.
    func alerts(since: Int64, limit: Int) throws -> [AlertRules.Alert] {
        var rules = AlertRules(thresholds: try scheme().alerts)
        var alerts: [AlertRules.Alert] = []
        let rows = try Row.fetchCursor(db, sql: "SELECT seq, time_ms, credit, attrs FROM journal WHERE kind = 'dropoff' ORDER BY seq")
        while let row = try rows.next(), alerts.count < limit {
            let raised = rules.feed(try RowDecoding.alertDropoff(seq: try RowDecoding.value(row, 0), timeMs: try RowDecoding.value(row, 1),
                                                                 credit: try RowDecoding.value(row, 2), attrs: try RowDecoding.value(row, 3)))
            alerts += raised.filter { $0.seq > since }
        }
        return Array(alerts.prefix(limit))
    }
}
