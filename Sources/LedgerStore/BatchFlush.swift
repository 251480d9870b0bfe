import GRDB
import LedgerPersistence
import GRDBSQLite
import LedgerCore
import LedgerCrypto
import LedgerTransparency

/// Writes one batch's changes inside its transaction: each entry, each changed row once (a
/// hundred drop-offs move `sys:issuance` once, not a hundred times), the PIN records and
/// profiles, the reversals, the tree's new hashes and the head.
///
/// The statements are GRDB's cached ones, but their parameters are bound and stepped through
/// SQLite's C API: no `StatementArguments`, no `DatabaseValue` per column.
struct BatchFlush {
    let db: Database

    func write(_ changes: WriteBatch.Changes, tree frontier: inout MerkleFrontier) throws {
        let journal = try DirectStatement(db, """
            INSERT INTO journal (seq, time_ms, kind, debit, credit, amount, actor, ref, attrs, prev_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for entry in changes.entries {
            let body = entry.body
            try journal.run { bind in
                bind(1, entry.seq)
                bind(2, entry.timeMs)
                bind(3, body.kind.rawValue)
                bind(4, body.debit?.rawValue)
                bind(5, body.credit?.rawValue)
                bind(6, body.amount.centipoints)
                bind(7, body.actor.rawValue)
                bind(8, body.ref?.rawValue)
                bind(9, AttributesJSON.encode(body.attributes))
                bind(10, entry.prevHash)
                bind(11, entry.hash)
            }
        }
        if !changes.projections.accounts.isEmpty {
            let upsert = try DirectStatement(db, """
                INSERT INTO accounts (id, kind, name, district, balance, min_redeem, pin_failures, locked, last_seq, closed, pending, erased)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, district = excluded.district,
                    balance = excluded.balance, min_redeem = excluded.min_redeem, pin_failures = excluded.pin_failures,
                    locked = excluded.locked, last_seq = excluded.last_seq, closed = excluded.closed, pending = excluded.pending,
                    erased = excluded.erased
                """)
            for account in changes.projections.accounts.values {
                try upsert.run { bind in
                    bind(1, account.id.rawValue)
                    bind(2, account.kind.rawValue)
                    bind(3, account.name)
                    bind(4, account.district)
                    bind(5, account.balance.centipoints)
                    bind(6, account.minRedeem?.centipoints)
                    bind(7, Int64(account.pinFailures))
                    bind(8, account.locked)
                    bind(9, account.lastSeq)
                    bind(10, account.closed)
                    bind(11, account.pending.centipoints)
                    bind(12, account.erased)
                }
            }
        }
        // After the accounts, so a PIN set by the entry that opened its account has a row to go in.
        for (id, record) in changes.projections.pinRecords {
            try DirectStatement(db, "UPDATE accounts SET pin_hash = ? WHERE id = ?").run { bind in
                bind(1, record.text)
                bind(2, id.rawValue)
            }
        }
        // Also after the accounts (a profile's row refers to its account's). An erased profile's
        // row is deleted; the connection's secure_delete overwrites its bytes in the file.
        for (id, profile) in changes.projections.profiles {
            if let profile {
                try DirectStatement(db, "INSERT INTO profiles (account, salt, name, district) VALUES (?, ?, ?, ?)").run { bind in
                    bind(1, id.rawValue)
                    bind(2, Hex.encode(profile.salt))
                    bind(3, profile.name)
                    bind(4, profile.district)
                }
            } else {
                try DirectStatement(db, "DELETE FROM profiles WHERE account = ?").run { bind in bind(1, id.rawValue) }
            }
        }
        for point in changes.projections.points.values {
            try DirectStatement(db, "INSERT OR REPLACE INTO points (id, name, district, active, last_seq) VALUES (?, ?, ?, ?, ?)").run { bind in
                bind(1, point.id.rawValue)
                bind(2, point.name)
                bind(3, point.district)
                bind(4, point.active)
                bind(5, point.lastSeq)
            }
        }
        for material in changes.projections.materials.values {
            try DirectStatement(db, """
                INSERT OR REPLACE INTO materials (code, name, rate, min_grams, max_grams, last_seq, hold_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
                """).run { bind in
                bind(7, material.holdMs)
                bind(1, material.code.rawValue)
                bind(2, material.name)
                bind(3, material.rate.perKilogram.centipoints)
                bind(4, material.minGrams?.value)
                bind(5, material.maxGrams?.value)
                bind(6, material.lastSeq)
            }
        }
        for token in changes.projections.tokens.values {
            try DirectStatement(db, """
                INSERT OR REPLACE INTO tokens (id, role, point, merchant, secret_hash, revoked, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?)
                """).run { bind in
                bind(1, token.id.rawValue)
                bind(2, token.role.rawValue)
                bind(3, token.point?.rawValue)
                bind(4, token.merchant?.rawValue)
                bind(5, token.secretHash)
                bind(6, token.revoked)
                bind(7, token.lastSeq)
            }
        }
        if let scheme = changes.projections.scheme {
            try DirectStatement(db, """
                INSERT OR REPLACE INTO scheme (id, utc_offset_minutes, daily_cap, monthly_cap, expiry_ms, last_seq, hold_action,
                    alert_weight_factor, alert_points, alert_repeats, alert_surge_factor)
                VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).run { bind in
                for (index, setting) in AlertThresholds.Setting.allCases.enumerated() {
                    bind(Int32(7 + index), scheme.alerts[setting])
                }
                bind(6, scheme.holdAction.action)
                bind(1, Int64(scheme.offsetMinutes))
                bind(2, scheme.dailyCap?.centipoints)
                bind(3, scheme.monthlyCap?.centipoints)
                bind(4, scheme.expiryMs)
                bind(5, scheme.lastSeq)
            }
        }
        for hold in changes.projections.holds.values {
            try DirectStatement(db, """
                INSERT OR REPLACE INTO holds (dropoff_seq, account, amount, until_ms, decision, last_seq, credited_ms) VALUES (?, ?, ?, ?, ?, ?, ?)
                """).run { bind in
                bind(7, hold.creditedMs)
                bind(1, hold.dropoff)
                bind(2, hold.account.rawValue)
                bind(3, hold.amount.centipoints)
                bind(4, hold.untilMs)
                bind(5, hold.decision?.rawValue)
                bind(6, hold.lastSeq)
            }
        }
        for (original, by) in changes.projections.reversals {
            try DirectStatement(db, "INSERT INTO reversals (original_seq, reversal_seq) VALUES (?, ?)").run { bind in
                bind(1, original)
                bind(2, by)
            }
        }
        // The entries' leaves: the tree always covers exactly the journal.
        try MerkleTreeStore(db: db).append(changes.entries.lazy.map(\.hash), to: &frontier)
        let head = changes.head
        try DirectStatement(db, "UPDATE chain_head SET seq = ?, hash = ?, time_ms = ? WHERE id = 1").run { bind in
            bind(1, head.seq)
            bind(2, head.hash)
            bind(3, head.timeMs)
        }
    }
}

/// A cached statement run with its parameters bound straight through SQLite's C API.
struct DirectStatement {
    private let handle: SQLiteStatement
    private let db: Database
    private let sql: String

    init(_ db: Database, _ sql: String) throws {
        handle = try db.cachedStatement(sql: sql).sqliteStatement
        self.db = db
        self.sql = sql
    }

    /// Binds every parameter with `bind`, steps the statement once and resets it.
    func run(_ bind: (inout Binder) -> Void) throws {
        var binder = Binder(handle: handle)
        bind(&binder)
        let code = binder.failure == SQLITE_OK ? sqlite3_step(handle) : binder.failure
        sqlite3_reset(handle)
        // The statement stays cached: it must not keep the values (a resident's name) meanwhile.
        sqlite3_clear_bindings(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code),
                                message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
        }
    }

    /// Binds one parameter (1-based) by its Swift type; nil binds NULL. The first failure (a
    /// value too big, say) is kept and stops the statement before it runs.
    struct Binder {
        let handle: SQLiteStatement
        private(set) var failure = SQLITE_OK
        /// SQLite copies the bytes before the call returns.
        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        init(handle: SQLiteStatement) {
            self.handle = handle
        }

        private mutating func check(_ code: Int32) {
            if failure == SQLITE_OK, code != SQLITE_OK { failure = code }
        }

        mutating func callAsFunction(_ index: Int32, _ value: Int64?) {
            guard let value else { check(sqlite3_bind_null(handle, index)); return }
            check(sqlite3_bind_int64(handle, index, value))
        }

        mutating func callAsFunction(_ index: Int32, _ value: Bool) {
            check(sqlite3_bind_int64(handle, index, value ? 1 : 0))
        }

        mutating func callAsFunction(_ index: Int32, _ value: String?) {
            guard var value else { check(sqlite3_bind_null(handle, index)); return }
            let code = value.withUTF8 { utf8 -> Int32 in
                // An empty buffer may have no address, which SQLite would take for NULL.
                guard let base = utf8.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, Self.transient) }
                return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) { text in
                    sqlite3_bind_text(handle, index, text, Int32(utf8.count), Self.transient)
                }
            }
            check(code)
        }

        mutating func callAsFunction(_ index: Int32, _ value: Hash256) {
            check(value.withUnsafeBytes { bytes in
                sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), Self.transient)
            })
        }
    }
}
