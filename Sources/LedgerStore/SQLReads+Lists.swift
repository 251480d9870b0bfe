import Foundation
import LedgerPersistence
import GRDB
import LedgerCore
import LedgerCrypto
import LedgerTransparency
import Synchronization

/// The lists and lookups a server reads beside single rows: history, points, materials, tokens.
extension SQLReads {
    /// Whether an entry after `seq` unlocked `account` (it was locked in between): a resident's
    /// session that began before ends then, even if the lock is already lifted.
    func wasUnlocked(_ account: AccountID, after seq: Int64) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM journal WHERE seq > ? AND kind = 'account_unlocked' AND json_extract(attrs, '$.account') = ?)
            """), arguments: [seq, account.rawValue]) ?? false
    }

    /// Transfers into or out of `account`, newest first, at most `limit`, with seq below `before`.
    func history(of account: AccountID, limit: Int = 50, before: Int64 = .max) throws -> [Entry] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT \(RowDecoding.journalColumns) FROM (
                SELECT * FROM (SELECT * FROM journal WHERE debit = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3)
                UNION ALL
                SELECT * FROM (SELECT * FROM journal WHERE credit = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3)
            ) ORDER BY seq DESC LIMIT ?3
            """), arguments: [account.rawValue, before, limit]).map(RowDecoding.entry)
    }

    func points() throws -> [PointState] {
        try Row.fetchAll(db, sql: "SELECT \(RowDecoding.pointColumns) FROM points ORDER BY id").map(RowDecoding.point)
    }

    func materials() throws -> [MaterialState] {
        try Row.fetchAll(db, sql: "SELECT \(RowDecoding.materialColumns) FROM materials ORDER BY code").map(RowDecoding.material)
    }

    func tokenSnapshot() throws -> TokenSnapshot {
        TokenSnapshot(tokens: try LedgerStore.tokens(db), asOf: try head().seq)
    }

    func tokens() throws -> [TokenState] {
        try LedgerStore.tokens(db)
    }
}
