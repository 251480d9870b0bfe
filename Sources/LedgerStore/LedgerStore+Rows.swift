import Foundation
import GRDB
import LedgerPersistence

/// The file's tables row by row, for copying a ledger to or from another engine (`LedgerCopy`).
extension LedgerStore: LedgerRowReading {
    /// Runs `body` with every table readable on one snapshot of the file.
    package func withRowSource<T>(_ body: (any LedgerRowSource) throws -> T) throws -> T {
        try pool.read { db in try body(SQLRowSource(db: db)) }
    }

    /// Runs `body` with every table writable in one transaction: all of it is committed, or none.
    /// Only for a new, empty ledger: its genesis rows (the format, the head, the system
    /// accounts) are removed first, so that afterwards it holds exactly the rows copied in.
    package func withRowSink<T>(_ body: (any LedgerRowSink) throws -> T) throws -> T {
        try pool.write { db in
            guard try SQLReads(db: db).head().seq == 0 else { throw StoreError.alreadyExists(path: path) }
            try db.execute(sql: "DELETE FROM ledger_meta; DELETE FROM chain_head; DELETE FROM accounts")
            return try body(SQLRowSink(db: db))
        }
    }
}

/// Each value exactly as stored: its storage class (`typeof`) and its bytes (`CAST … AS BLOB`),
/// so text holding a NUL byte is copied whole, and whatever refuses it downstream says so.
struct SQLRowSource: LedgerRowSource {
    let db: Database

    func forEachRow(of table: LedgerTables.Table, _ body: ([StoredValue]) throws -> Void) throws {
        let selected = table.columns.map { "typeof(\($0)), CAST(\($0) AS BLOB)" }.joined(separator: ", ")
        let rows = try Row.fetchCursor(db, sql: "SELECT \(selected) FROM \(table.name) ORDER BY \(table.key.joined(separator: ", "))")
        while let row = try rows.next() {
            var values: [StoredValue] = []
            values.reserveCapacity(table.columns.count)
            for (index, column) in table.columns.enumerated() {
                let storage: String = row[2 * index]
                let bytes: [UInt8] = (row[2 * index + 1] as Data?).map(Array.init) ?? []
                let text = String(decoding: bytes, as: UTF8.self)
                switch storage {
                case "null": values.append(.null)
                case "integer":
                    guard let value = Int64(text) else { throw StoreError.corrupt("\(table.name).\(column): integer \(text) cannot be read") }
                    values.append(.integer(value))
                case "real": values.append(.real(Double(text) ?? .nan))
                case "text": values.append(.text(String(validating: bytes, as: UTF8.self)))
                default: values.append(.blob(bytes))
                }
            }
            try body(values)
        }
    }
}

struct SQLRowSink: LedgerRowSink {
    let db: Database

    func insert(_ rows: [[StoredValue]], into table: LedgerTables.Table) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO \(table.name) (\(table.columns.joined(separator: ", ")))
            VALUES (\(table.columns.map { _ in "?" }.joined(separator: ", ")))
            """)
        for row in rows {
            try statement.execute(arguments: StatementArguments(try row.map { value -> DatabaseValue in
                switch value {
                case .null: return .null
                case .integer(let number): return number.databaseValue
                case .real(let number): return number.databaseValue
                case .text(let text?): return text.databaseValue
                case .text(nil): throw StoreError.corrupt("\(table.name): a text value is not UTF-8")
                case .blob(let bytes): return Data(bytes).databaseValue
                }
            }))
        }
    }
}
