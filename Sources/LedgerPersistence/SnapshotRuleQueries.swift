import LedgerCore

/// The rules' queries answered on one read snapshot of any engine: the sweep's work list and
/// BALANCE's next lot ask `ExpiryRules` through it, so no engine has an expiry rule of its own.
package struct SnapshotRuleQueries<Reads: CommittedRows>: RuleQueries {
    package let reads: Reads

    package init(reads: Reads) {
        self.reads = reads
    }

    package func scheme() throws -> SchemeState { try reads.scheme() }
    package func earned(by account: AccountID, since timeMs: Int64) throws -> Points { try reads.earned(by: account, since: timeMs) }
    package func credited(to account: AccountID, after timeMs: Int64) throws -> Points { try reads.credited(to: account, after: timeMs) }

    package func unpostedHeld(of account: AccountID, after timeMs: Int64) throws -> Points {
        try reads.unpostedHeld(of: account, after: timeMs).reduce(Points.zero) { try $0.adding(Points(centipoints: $1.centipoints)) }
    }
}

extension RowDecoding {
    /// A drop-off as the alert rules read it, from its journal columns.
    package static func alertDropoff(seq: Int64, timeMs: Int64, credit: String, attrs: String) throws -> AlertRules.Dropoff {
        guard let attributes = AttributesJSON.decode(attrs),
              let point = attributes[AttributeKey.point].flatMap({ try? PointID($0) }),
              let material = attributes[AttributeKey.material].flatMap({ try? MaterialCode($0) }),
              let grams = attributes[AttributeKey.grams].flatMap({ Int64($0) }),
              let resident = try? AccountID(credit) else {
            throw StoreError.corrupt("journal entry \(seq): a drop-off without its point, material or weight")
        }
        return AlertRules.Dropoff(seq: seq, timeMs: timeMs, resident: resident, point: point, material: material, grams: grams)
    }
}
