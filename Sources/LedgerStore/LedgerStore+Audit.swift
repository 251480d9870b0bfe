import Foundation
import GRDB
import GRDBSQLite
import LedgerCore
import LedgerCrypto
import LedgerPersistence
import LedgerTransparency

extension LedgerStore {
    /// Verifies the whole ledger from genesis on one consistent snapshot (`LedgerAuditor` says how).
    /// `progress` is called with (entries checked, total) every `progressEvery` entries.
    public func verify(expecting expected: ExpectedHead? = nil, logKey: NoteKey? = nil, anchor: Checkpoint? = nil,
                       witnessKeys: [NoteKey] = [], progressEvery: Int64 = 50_000,
                       progress: ((Int64, Int64) -> Void)? = nil) throws -> Result<AuditReport, AuditFailure> {
        try withSnapshot { db in
            // A file no writer of this version has opened yet cannot be read as this version reads,
            // unless all it lacks is indexes.
            let applied = try Schema.migrator.appliedIdentifiers(db)
            if let missing = Schema.migrations.map(\.name).first(where: { !applied.contains($0) && !Schema.indexesOnly.contains($0) }) {
                throw StoreError.needsUpgrade(path: path, migration: missing)
            }
            do {
                let auditor = LedgerAuditor(source: SQLAuditSource(db: db), logKey: logKey, anchor: anchor, witnessKeys: witnessKeys)
                return .success(try auditor.run(expected: expected, progressEvery: progressEvery, progress: progress))
            } catch let failure as AuditFailure {
                return .failure(failure)
            }
        }
    }
}

extension LedgerStore: LedgerAuditing {}

/// The audit's reads of a file, on one read transaction: statements stepped through SQLite's
/// C API, each value read as SQLite stores it, so a value of the wrong storage class is found.
struct SQLAuditSource: AuditSource {
    let db: Database

    func tableExists(_ name: String) throws -> Bool { try db.tableExists(name) }

    var refsToCompare: String { "SELECT ref, seq FROM journal WHERE ref IS NOT NULL ORDER BY ref COLLATE BINARY" }

    var accountColumns: String { RowDecoding.accountColumns }

    func cursor(_ sql: String) throws -> SQLiteCursor { SQLiteCursor(try db.makeStatement(sql: sql)) }

    func entry(seq: Int64) throws -> Entry? { try SQLReads(db: db).entry(seq: seq) }

    func entry(ref: ClientRef) throws -> Entry? { try SQLReads(db: db).entry(ref: ref) }
}

/// One statement, stepped; on a row, its columns are read in place, and a value of another
/// storage class reads as nil.
final class SQLiteCursor: AuditCursor {
    /// Held, not only its handle: the statement is finalized when the cursor goes.
    private let statement: Statement
    private let handle: SQLiteStatement
    /// Stepped past its last row (SQLite would start the statement again on the next step).
    private var done = false

    init(_ statement: Statement) {
        self.statement = statement
        handle = statement.sqliteStatement
    }

    func next() throws -> SQLiteCursor? {
        guard !done else { return nil }
        let code = sqlite3_step(handle)
        guard code == SQLITE_ROW else {
            guard code == SQLITE_DONE else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
            done = true
            return nil
        }
        return self
    }

    // Each value is fetched once with `sqlite3_column_value` and read with the `sqlite3_value_*`
    // calls: one call into the statement per column instead of two or three (every
    // `sqlite3_column_*` call takes the connection's mutex and checks for a malloc failure, about
    // a sixth of the audit's scan). SQLite calls such a value unprotected: its `sqlite3_value_*`
    // readers must not race another thread's use of the connection. None can: the auditor uses
    // its connection from one thread at a time (`JournalScan` holds a lock around it), and a
    // value is read before the statement is stepped again.
    @inline(__always)
    private func value(_ index: Int32) -> OpaquePointer? { sqlite3_column_value(handle, index) }

    func isNull(_ index: Int32) -> Bool { sqlite3_value_type(value(index)) == SQLITE_NULL }

    func int64(_ index: Int32) -> Int64? {
        let value = value(index)
        return sqlite3_value_type(value) == SQLITE_INTEGER ? sqlite3_value_int64(value) : nil
    }

    func text(_ index: Int32) -> UnsafeRawBufferPointer? {
        let value = value(index)
        guard sqlite3_value_type(value) == SQLITE_TEXT, let start = sqlite3_value_text(value) else { return nil }
        return UnsafeRawBufferPointer(start: start, count: Int(sqlite3_value_bytes(value)))
    }

    func appendText(_ index: Int32, to bytes: inout [UInt8]) -> Int? {
        guard let raw = text(index) else { return nil }
        bytes.append(contentsOf: raw)
        return raw.count
    }

    func hash(_ index: Int32) -> Hash256? {
        blob(index).flatMap(Hash256.init(raw:))
    }

    func blob(_ index: Int32) -> UnsafeRawBufferPointer? {
        let value = value(index)
        guard sqlite3_value_type(value) == SQLITE_BLOB else { return nil }
        let start = sqlite3_value_blob(value)
        return UnsafeRawBufferPointer(start: start, count: start == nil ? 0 : Int(sqlite3_value_bytes(value)))
    }

    /// Text is read as its stored bytes (a NUL byte included), which must be UTF-8.
    func storedValue(at index: Int) -> StoredValue {
        let column = Int32(index)
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT: return .real(sqlite3_column_double(handle, column))
        case SQLITE_TEXT: return .text(text(column).flatMap { String(validating: $0, as: UTF8.self) } ?? (sqlite3_column_bytes(handle, column) == 0 ? "" : nil))
        case SQLITE_BLOB: return .blob(blob(column).map { Array($0) } ?? [])
        default: return .null
        }
    }
}
