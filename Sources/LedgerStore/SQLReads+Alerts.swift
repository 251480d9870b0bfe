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
            let seq: Int64 = try RowDecoding.value(row, 0)
            let credit: String = try RowDecoding.value(row, 2)
            guard let attributes = AttributesJSON.decode(try RowDecoding.value(row, 3)),
                  let point = attributes[AttributeKey.point].flatMap({ try? PointID($0) }),
                  let material = attributes[AttributeKey.material].flatMap({ try? MaterialCode($0) }),
                  let grams = attributes[AttributeKey.grams].flatMap({ Int64($0) }),
                  let resident = try? AccountID(credit) else {
                throw StoreError.corrupt("journal entry \(seq): a drop-off without its point, material or weight")
            }
            let raised = rules.feed(AlertRules.Dropoff(seq: seq, timeMs: try RowDecoding.value(row, 1), resident: resident,
                                                       point: point, material: material, grams: grams))
            alerts += raised.filter { $0.seq > since }
        }
        return Array(alerts.prefix(limit))
    }
}
