import LedgerCore
import LedgerCrypto

/// What the audit (`LedgerAuditor`) reads of one engine, all on one consistent snapshot. The
/// audit is written once, over this: SQLite steps its statements through the C API, PostgreSQL
/// streams a server-side cursor, and both are judged by the same code. Its SQL is plain enough
/// to mean the same on both engines.
package protocol AuditSource {
    associatedtype Cursor: AuditCursor

    func tableExists(_ name: String) throws -> Bool
    /// A SELECT of (ref, seq) rows of the journal that holds every row whose ref is used more
    /// than once, ordered so that byte-equal refs are next to each other whatever the column's own
    /// collation or type. SQLite steps all the refs in byte order (in the process, cheaper than
    /// grouping them); PostgreSQL groups them on the server and sends only the repeated ones.
    var refsToCompare: String { get }
    /// The columns `RowDecoding.account` reads, as this engine selects them from
    /// `RowDecoding.accountSource`.
    var accountColumns: String { get }
    /// The rows of one SELECT, in its order.
    func cursor(_ sql: String) throws -> Cursor
    /// The replay's lookups (the entry a reversal undoes) and the expected head's entry.
    func entry(seq: Int64) throws -> Entry?
    func entry(ref: ClientRef) throws -> Entry?
}

/// The rows of one SELECT, one at a time. `next` moves to the next row and answers the cursor
/// itself as that row's columns, valid until the next call: the audit's scan, generic over the
/// engine, then holds only a reference per row, and asks for no type metadata to hold it.
package protocol AuditCursor: AuditColumns, AnyObject {
    /// The cursor on the next row, or nil after the last.
    func next() throws -> Self?
}

/// One row of an `AuditCursor`, read in place. A typed reader answers nil for a value of
/// another type, so a damaged row is reported as such rather than misread.
package protocol AuditColumns: StoredColumns, SendableMetatype {
    func isNull(_ index: Int32) -> Bool
    func int64(_ index: Int32) -> Int64?
    /// Appends a text value's bytes to `bytes` and returns how many; nil, and nothing appended,
    /// when the value is not text.
    func appendText(_ index: Int32, to bytes: inout [UInt8]) -> Int?
    /// A blob of exactly 32 bytes, as a hash; nil for anything else.
    func hash(_ index: Int32) -> Hash256?
}
