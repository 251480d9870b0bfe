import Foundation
import GRDB
import LedgerCore
import LedgerCrypto

/// `LedgerStorage` over one SQLite connection inside a write transaction: the rules read the
/// projections and journal through it, and the engine's appends and changes become SQL.
///
/// Statements are cached per connection, so the hot path prepares nothing twice.
struct SQLLedgerStorage: LedgerStorage {
    let db: Database
    /// What this request has read or written, so the rules and the effects (which both look
    /// at the same accounts, point and material) read each row once. One storage value serves
    /// one request inside its savepoint and is then dropped, so the cache never outlives a
    /// rollback.
    let cache = RequestCache()
    /// During a group commit, the chain head as this request sees it, threaded by value: the
    /// batch passes in the head its committed requests reached and reads it back only if this
    /// request's savepoint commits (see `LedgerStore.submitBatch`), so a rolled-back request
    /// never moves it. Nil outside a batch: the head row is used.
    private(set) var batchHead: ChainHead?

    init(db: Database, batchHead: ChainHead? = nil) {
        self.db = db
        self.batchHead = batchHead
    }

    final class RequestCache {
        var accounts: [AccountID: AccountState?] = [:]
        var points: [PointID: PointState?] = [:]
        var materials: [MaterialCode: MaterialState?] = [:]
        var tokens: [TokenID: TokenState?] = [:]
    }

    func head() throws -> ChainHead {
        if let batchHead { return batchHead }
        return try storedHead()
    }

    /// The chain_head row.
    func storedHead() throws -> ChainHead {
        let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT seq, hash, time_ms FROM chain_head WHERE id = 1"))
        guard let row, let hash = Hash256(bytes: try RowDecoding.value(row, 1) as Data) else {
            throw StoreError.corrupt("chain_head row is missing or malformed")
        }
        return ChainHead(seq: try RowDecoding.value(row, 0), hash: hash, timeMs: try RowDecoding.value(row, 2))
    }

    func account(_ id: AccountID) throws -> AccountState? {
        if let cached = cache.accounts[id] { return cached }
        let account = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(RowDecoding.accountColumns) FROM accounts WHERE id = ?"), arguments: [id.rawValue])
            .map(RowDecoding.account)
        cache.accounts[id] = account
        return account
    }

    func pinRecord(_ id: AccountID) throws -> PINRecord? {
        let text = try String.fetchOne(db.cachedStatement(sql: "SELECT pin_hash FROM accounts WHERE id = ?"), arguments: [id.rawValue])
        guard let text else { return nil }
        guard let record = PINRecord(text: text) else { throw StoreError.corrupt("account \(id): pin_hash is malformed") }
        return record
    }

    func point(_ id: PointID) throws -> PointState? {
        if let cached = cache.points[id] { return cached }
        let point = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(RowDecoding.pointColumns) FROM points WHERE id = ?"), arguments: [id.rawValue])
            .map(RowDecoding.point)
        cache.points[id] = point
        return point
    }

    func material(_ code: MaterialCode) throws -> MaterialState? {
        if let cached = cache.materials[code] { return cached }
        let material = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(RowDecoding.materialColumns) FROM materials WHERE code = ?"), arguments: [code.rawValue])
            .map(RowDecoding.material)
        cache.materials[code] = material
        return material
    }

    func token(_ id: TokenID) throws -> TokenState? {
        // Every write checks its actor twice (before the rules and in Effects): one read.
        if let cached = cache.tokens[id] { return cached }
        let token = try Row.fetchOne(db.cachedStatement(sql: "SELECT \(RowDecoding.tokenColumns) FROM tokens WHERE id = ?"), arguments: [id.rawValue])
            .map(RowDecoding.token)
        cache.tokens[id] = token
        return token
    }

    func entry(seq: Int64) throws -> Entry? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(RowDecoding.journalColumns) FROM journal WHERE seq = ?"), arguments: [seq])
            .map(RowDecoding.entry)
    }

    func entry(ref: ClientRef) throws -> Entry? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(RowDecoding.journalColumns) FROM journal WHERE ref = ?"), arguments: [ref.rawValue])
            .map(RowDecoding.entry)
    }

    func reversal(of seq: Int64) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT reversal_seq FROM reversals WHERE original_seq = ?"), arguments: [seq])
    }

    mutating func append(_ entry: Entry) throws {
        let body = entry.body
        try db.cachedStatement(sql: """
            INSERT INTO journal (seq, time_ms, kind, debit, credit, amount, actor, ref, attrs, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                entry.seq, entry.timeMs, body.kind.rawValue, body.debit?.rawValue, body.credit?.rawValue,
                body.amount.centipoints, body.actor.rawValue, body.ref?.rawValue, AttributesJSON.encode(body.attributes),
                entry.prevHash.blob, entry.hash.blob,
            ])
        let head = ChainHead(seq: entry.seq, hash: entry.hash, timeMs: entry.timeMs)
        if batchHead != nil {
            batchHead = head
        } else {
            try writeHead(head)
        }
    }

    func writeHead(_ head: ChainHead) throws {
        try db.cachedStatement(sql: "UPDATE chain_head SET seq = ?, hash = ?, time_ms = ? WHERE id = 1")
            .execute(arguments: [head.seq, head.hash.blob, head.timeMs])
    }

    mutating func apply(_ change: ProjectionChange, seq: Int64) throws {
        switch change {
        case .putAccount(let account):
            cache.accounts[account.id] = account
            try db.cachedStatement(sql: """
                INSERT INTO accounts (id, kind, name, district, balance, min_redeem, pin_failures, locked, last_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, district = excluded.district,
                    balance = excluded.balance, min_redeem = excluded.min_redeem, pin_failures = excluded.pin_failures,
                    locked = excluded.locked, last_seq = excluded.last_seq
                """).execute(arguments: [
                    account.id.rawValue, account.kind.rawValue, account.name, account.district, account.balance.centipoints,
                    account.minRedeem?.centipoints, account.pinFailures, account.locked, account.lastSeq,
                ])
        case .putPoint(let point):
            cache.points[point.id] = point
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO points (id, name, district, active, last_seq) VALUES (?, ?, ?, ?, ?)
                """).execute(arguments: [point.id.rawValue, point.name, point.district, point.active, point.lastSeq])
        case .putMaterial(let material):
            cache.materials[material.code] = material
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO materials (code, name, rate, min_grams, max_grams, last_seq) VALUES (?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    material.code.rawValue, material.name, material.rate.perKilogram.centipoints,
                    material.minGrams?.value, material.maxGrams?.value, material.lastSeq,
                ])
        case .putToken(let token):
            cache.tokens[token.id] = token
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO tokens (id, role, point, merchant, secret_hash, revoked, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    token.id.rawValue, token.role.rawValue, token.point?.rawValue, token.merchant?.rawValue,
                    token.secretHash.blob, token.revoked, token.lastSeq,
                ])
        case .markReversed(let original):
            try db.cachedStatement(sql: "INSERT INTO reversals (original_seq, reversal_seq) VALUES (?, ?)")
                .execute(arguments: [original, seq])
        }
    }

    mutating func savePINRecord(_ record: PINRecord, for account: AccountID) throws {
        try db.cachedStatement(sql: "UPDATE accounts SET pin_hash = ? WHERE id = ?").execute(arguments: [record.text, account.rawValue])
    }
}
