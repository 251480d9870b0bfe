import LedgerPersistence
import PostgresNIO

/// The database's tables row by row, for copying a ledger to or from another engine (`LedgerCopy`).
extension PostgresLedger: LedgerRowReading {
    /// Runs `body` with every table readable on one REPEATABLE READ snapshot.
    package func withRowSource<T>(_ body: (any LedgerRowSource) throws -> T) throws -> T {
        let connection = try connectWritable()
        defer { connection.close() }
        return try connection.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
            try body(PGRowSource(connection: connection))
        }
    }

    /// Runs `body` with every table writable in one transaction: all of it is committed, or none.
    /// Only for a new, empty ledger: its genesis rows are removed first, so that afterwards it
    /// holds exactly the rows copied in.
    package func withRowSink<T>(_ body: (any LedgerRowSink) throws -> T) throws -> T {
        let connection = try connectWritable()
        defer { connection.close() }
        return try connection.transaction {
            guard try PGReads(connection: connection).head().seq == 0 else { throw StoreError.alreadyExists(path: url.description) }
            for table in ["ledger_meta", "chain_head", "accounts"] { try connection.query("DELETE FROM \(table)") }
            return try body(PGRowSink(connection: connection))
        }
    }
}

struct PGRowSource: LedgerRowSource {
    let connection: PGConnection

    func forEachRow(of table: LedgerTables.Table, _ body: ([StoredValue]) throws -> Void) throws {
        try connection.forEach("SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name) ORDER BY \(table.key.joined(separator: ", "))") { row in
            try body((0..<table.columns.count).map(row.storedValue(at:)))
            return true
        }
    }
}

struct PGRowSink: LedgerRowSink {
    let connection: PGConnection

    /// Bind parameters per statement: PostgreSQL's limit is 65,535.
    static let parameterLimit = 60_000

    /// Many rows per statement (as many as the parameter limit allows): a copy of a large
    /// ledger is millions of rows, and one round trip each would dominate it.
    func insert(_ rows: [[StoredValue]], into table: LedgerTables.Table) throws {
        let others = table.columns.filter { !table.key.contains($0) }
        let update = others.isEmpty ? "DO NOTHING" : "DO UPDATE SET " + others.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        let width = table.columns.count
        let perStatement = max(1, Self.parameterLimit / width)
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + perStatement)]
            start += chunk.count
            let values = (0..<chunk.count).map { row in
                "(" + (1...width).map { "$\(row * width + $0)" }.joined(separator: ", ") + ")"
            }
            var binds = PostgresBindings(capacity: chunk.count * width)
            for row in chunk {
                for value in row {
                    switch value {
                    case .null: binds.appendNull()
                    case .integer(let number): binds.append(number)
                    case .real: throw StoreError.corrupt("\(table.name): a REAL value, which no ledger column holds")
                    case .text(let text?): binds.append(text)
                    case .text(nil): throw StoreError.corrupt("\(table.name): a text value is not UTF-8")
                    case .blob(let bytes): binds.append(ByteBuffer(bytes: bytes))
                    }
                }
            }
            try connection.query("""
                INSERT INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES \(values.joined(separator: ", "))
                ON CONFLICT (\(table.key.joined(separator: ", "))) \(update)
                """, binds)
        }
    }
}
