import Foundation
import LedgerPersistence
import GRDB
import LedgerCore
import LedgerCrypto

/// The ledger's state read with SQL on one connection: what readers serve, what an audit looks
/// entries up with, and where the writer goes when its memory does not hold a row yet.
///
/// Reads only; the writer's changes are written by `BatchFlush`. Statements are cached per
/// connection, so no query is prepared twice.
struct SQLReads {
    let db: Database

    /// The chain_head row.
    func head() throws -> ChainHead {
        let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash, time_ms FROM chain_head WHERE id = 1"))
        guard let row, let hash = Hash256(bytes: try RowDecoding.value(row, 1) as Data) else {
            throw StoreError.corrupt("chain_head row is missing or malformed")
        }
        return ChainHead(seq: try RowDecoding.value(row, 0), hash: hash, timeMs: try RowDecoding.value(row, 2))
    }

    func account(_ id: AccountID) throws -> AccountState? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(RowDecoding.accountColumns) FROM \(RowDecoding.accountSource) WHERE accounts.id = ?"),
                         arguments: [id.rawValue])
            .map(RowDecoding.account)
    }

    /// A resident's stored profile; nil when the name is in the journal or the profile was erased.
    func profile(_ id: AccountID) throws -> Profile? {
        let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(RowDecoding.profileColumns) FROM profiles WHERE account = ?"),
                                   arguments: [id.rawValue])
        do {
            return try row.flatMap { try RowDecoding.profile($0, from: 0) }
        } catch let error as StoreError {
            throw StoreError.corrupt("account \(id): \(error)")
        }
    }

    func pinRecord(_ id: AccountID) throws -> PINRecord? {
        let text = try String.fetchOne(db.cachedStatement(sql: "SELECT pin_hash FROM accounts WHERE id = ?"), arguments: [id.rawValue])
        guard let text else { return nil }
        guard let record = PINRecord(text: text) else { throw StoreError.corrupt("account \(id): pin_hash is malformed") }
        return record
    }

    func point(_ id: PointID) throws -> PointState? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(RowDecoding.pointColumns) FROM points WHERE id = ?"), arguments: [id.rawValue])
            .map(RowDecoding.point)
    }

    func material(_ code: MaterialCode) throws -> MaterialState? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(RowDecoding.materialColumns) FROM materials WHERE code = ?"), arguments: [code.rawValue])
            .map(RowDecoding.material)
    }

    func token(_ id: TokenID) throws -> TokenState? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(RowDecoding.tokenColumns) FROM tokens WHERE id = ?"), arguments: [id.rawValue])
            .map(RowDecoding.token)
    }

    func entry(seq: Int64) throws -> Entry? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(RowDecoding.journalColumns) FROM journal WHERE seq = ?"), arguments: [seq])
            .map(RowDecoding.entry)
    }

    func entry(ref: ClientRef) throws -> Entry? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(RowDecoding.journalColumns) FROM journal WHERE ref = ?"), arguments: [ref.rawValue])
            .map(RowDecoding.entry)
    }

    /// The scheme row, or the initial settings when no `scheme_set` was written yet.
    func scheme() throws -> SchemeState {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(RowDecoding.schemeColumns) FROM scheme WHERE id = 1"))
            .map { try RowDecoding.scheme($0) } ?? .initial
    }

    /// The points of the account's drop-offs at or after `timeMs`: only the account's entries
    /// from `firstSeq(notBefore:)` on are read, from the credits index alone.
    func earned(by account: AccountID, since timeMs: Int64) throws -> Points {
        Points(centipoints: try Int64.fetchOne(db.cachedStatement(sql: CreditQueries.earned),
                                               arguments: [account.rawValue, try firstSeq(notBefore: timeMs), timeMs]) ?? 0)
    }

    /// The first seq whose time is at least `timeMs` (one past the head when none is): entry
    /// times never decrease, so a binary search over seq finds it in about 20 primary-key reads.
    func firstSeq(notBefore timeMs: Int64) throws -> Int64 {
        var low: Int64 = 1, high = try head().seq + 1
        let time = try db.cachedStatement(sql: "SELECT time_ms FROM journal WHERE seq = ?")
        while low < high {
            let middle = low + (high - low) / 2
            guard let stored = try Int64.fetchOne(time, arguments: [middle]) else { throw StoreError.corrupt("journal entry \(middle) is missing") }
            if stored < timeMs { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The points of every entry crediting the account after `timeMs` (from the credits index
    /// alone, from the first entry that late on).
    func credited(to account: AccountID, after timeMs: Int64) throws -> Points {
        let (from, overflow) = timeMs.addingReportingOverflow(1)
        return Points(centipoints: try Int64.fetchOne(db.cachedStatement(sql: CreditQueries.credited),
                                                      arguments: [account.rawValue, overflow ? Int64.max : try firstSeq(notBefore: from), timeMs]) ?? 0)
    }

    func hold(_ dropoff: Int64) throws -> HoldState? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(RowDecoding.holdColumns) FROM holds WHERE dropoff_seq = ?"), arguments: [dropoff])
            .map(RowDecoding.hold)
    }

    /// The account's held drop-offs after `timeMs` that are not posted: (seq, centipoints).
    func unpostedHeld(of account: AccountID, after timeMs: Int64) throws -> [(seq: Int64, centipoints: Int64)] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT dropoff_seq, amount FROM holds
            WHERE account = ? AND credited_ms > ? AND (decision IS NULL OR decision = 'voided')
            """), arguments: [account.rawValue, timeMs]).map { (try RowDecoding.value($0, 0), try RowDecoding.value($0, 1)) }
    }

    func meta(_ key: String) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: "SELECT value FROM ledger_meta WHERE key = ?"), arguments: [key])
    }

    func hasKeyedPINRecords() throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM accounts WHERE pin_hash LIKE 'pbkdf2-sha256-keyed$%')") ?? false
    }

    func reversal(of seq: Int64) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT reversal_seq FROM reversals WHERE original_seq = ?"), arguments: [seq])
    }
}
extension SQLReads: CommittedRows {}
