/// Every table of a ledger and its columns, the same in every engine's schema: what a copy
/// moves from one engine to another, row by row and value by value, and what both engines'
/// schema files must make (the copy tests compare them).
package enum LedgerTables {
    package struct Table: Sendable {
        package let name: String
        package let columns: [String]
        /// The primary key's columns: rows are copied in this order, and a row the new ledger
        /// already holds (its genesis rows: the format, the head, the system accounts) is replaced.
        package let key: [String]
    }

    /// In an order that satisfies every foreign key.
    package static let all: [Table] = [
        Table(name: "ledger_meta", columns: ["key", "value"], key: ["key"]),
        Table(name: "journal", columns: ["seq", "time_ms", "kind", "debit", "credit", "amount", "actor", "ref", "attrs", "prev_hash", "hash"],
              key: ["seq"]),
        Table(name: "chain_head", columns: ["id", "seq", "hash", "time_ms"], key: ["id"]),
        Table(name: "accounts", columns: ["id", "kind", "name", "district", "balance", "min_redeem", "pin_hash", "pin_failures", "locked",
                                          "last_seq", "closed", "pending", "erased"], key: ["id"]),
        Table(name: "profiles", columns: ["account", "salt", "name", "district"], key: ["account"]),
        Table(name: "points", columns: ["id", "name", "district", "active", "last_seq"], key: ["id"]),
        Table(name: "materials", columns: ["code", "name", "rate", "min_grams", "max_grams", "last_seq", "hold_ms"], key: ["code"]),
        Table(name: "tokens", columns: ["id", "role", "point", "merchant", "secret_hash", "revoked", "last_seq"], key: ["id"]),
        Table(name: "reversals", columns: ["original_seq", "reversal_seq"], key: ["original_seq"]),
        Table(name: "scheme", columns: ["id", "utc_offset_minutes", "daily_cap", "monthly_cap", "last_seq", "expiry_ms", "hold_action",
                                        "alert_weight_factor", "alert_points", "alert_repeats", "alert_surge_factor"], key: ["id"]),
        Table(name: "holds", columns: ["dropoff_seq", "account", "amount", "credited_ms", "until_ms", "decision", "last_seq"],
              key: ["dropoff_seq"]),
        Table(name: "tree_hashes", columns: ["position", "hash"], key: ["position"]),
        Table(name: "checkpoints", columns: ["size", "root", "note", "time_ms"], key: ["size"]),
        Table(name: "cosignatures", columns: ["size", "witness", "line"], key: ["size", "witness"]),
    ]
}

/// A ledger read table by table on one snapshot, each value as stored.
package protocol LedgerRowSource {
    /// Calls `body` with every row of `table`, in key order, values in `table.columns` order.
    func forEachRow(of table: LedgerTables.Table, _ body: ([StoredValue]) throws -> Void) throws
}

/// A ledger that can be read table by table (both engines): what `copy` and `export` read.
package protocol LedgerRowReading {
    /// Runs `body` with every table readable on one snapshot.
    func withRowSource<T>(_ body: (any LedgerRowSource) throws -> T) throws -> T
}

/// A new ledger written table by table, in one transaction.
package protocol LedgerRowSink {
    /// Inserts `rows` into `table` (replacing a genesis row with the same key).
    func insert(_ rows: [[StoredValue]], into table: LedgerTables.Table) throws
}

/// Moves every row of a ledger to another engine's new, empty ledger, unchanged.
package enum LedgerCopy {
    /// Rows handed to the sink at a time.
    static let chunk = 5_000

    /// Copies `source` into `sink`; `progress` gets (table, rows copied so far) after each chunk.
    package static func copy(from source: some LedgerRowSource, to sink: some LedgerRowSink,
                             progress: (String, Int) -> Void = { _, _ in }) throws {
        for table in LedgerTables.all {
            var rows: [[StoredValue]] = []
            var copied = 0
            try source.forEachRow(of: table) { row in
                rows.append(row)
                if rows.count == chunk {
                    try sink.insert(rows, into: table)
                    copied += rows.count
                    rows.removeAll(keepingCapacity: true)
                    progress(table.name, copied)
                }
            }
            if !rows.isEmpty {
                try sink.insert(rows, into: table)
                copied += rows.count
                progress(table.name, copied)
            }
        }
    }
}
