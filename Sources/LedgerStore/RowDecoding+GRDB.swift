import Foundation
import GRDB
import LedgerCore
import LedgerCrypto
import LedgerPersistence

/// GRDB's rows for `RowDecoding`: the journal's columns through GRDB's fast path, and any row
/// as `StoredColumns`.
extension RowDecoding {
    static func entry(_ row: Row) throws -> Entry {
        try entry(seq: try value(row, 0), timeMs: try value(row, 1), kind: try optionalValue(row, 2),
                  debit: try optionalValue(row, 3), credit: try optionalValue(row, 4), amount: try value(row, 5),
                  actor: try optionalValue(row, 6), ref: try optionalValue(row, 7), attrs: try optionalValue(row, 8),
                  prevHash: Hash256(blob: try value(row, 9) as Data), hash: Hash256(blob: try value(row, 10) as Data))
    }

    /// A column's value, read straight from the statement's column (GRDB's fast path for the
    /// types SQLite stores natively: integers, text, blobs), or `corrupt` when it is NULL where a
    /// value is required or of the wrong type.
    static func value<T: DatabaseValueConvertible & StatementColumnConvertible>(_ row: Row, _ index: Int) throws -> T {
        do {
            return try row.decode(T.self, atIndex: index)
        } catch {
            throw StoreError.corrupt("column \(index): \(error)")
        }
    }

    /// An optional column's value through the same fast path; nil for NULL.
    static func optionalValue<T: DatabaseValueConvertible & StatementColumnConvertible>(_ row: Row, _ index: Int) throws -> T? {
        row.hasNull(atIndex: index) ? nil : try value(row, index) as T
    }

    /// A column's value, or `corrupt` when it is NULL where a value is required or of the wrong type.
    static func value<T: DatabaseValueConvertible>(_ row: Row, _ index: Int) throws -> T {
        do {
            return try row.decode(T.self, atIndex: index)
        } catch {
            throw StoreError.corrupt("column \(index): \(error)")
        }
    }
}

extension Row: StoredColumns {
    /// GRDB reads TEXT as a C string (up to a NUL byte), so exact bytes need `CAST(… AS BLOB)`.
    package func storedValue(at index: Int) -> StoredValue {
        switch (self[index] as DatabaseValue).storage {
        case .null: .null
        case .int64(let value): .integer(value)
        case .double(let value): .real(value)
        case .string(let value): .text(value)
        case .blob(let value): .blob(Array(value))
        }
    }
}
