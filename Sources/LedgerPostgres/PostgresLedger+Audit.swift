import LedgerCore
import LedgerCrypto
import LedgerPersistence
import LedgerTransparency
import NIOCore
import PostgresNIO

/// The audit of a PostgreSQL ledger is the file's audit (`LedgerAuditor`, written once), reading
/// one REPEATABLE READ snapshot through server-side cursors: the journal and the tree stream
/// through the audit's three stages (reading the rows, the chain and tree checks, the replay),
/// and each projection table is compared with the replay row by row. Nothing is copied on the
/// way.
extension PostgresLedger {
    public func verify(expecting expected: ExpectedHead? = nil, logKey: NoteKey? = nil, anchor: Checkpoint? = nil,
                       witnessKeys: [NoteKey] = [], progressEvery: Int64 = 50_000,
                       progress: ((Int64, Int64) -> Void)? = nil) throws -> Result<AuditReport, AuditFailure> {
        let connection = try connectWritable()
        defer { connection.close() }
        return try connection.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
            do {
                let auditor = LedgerAuditor(source: PGAuditSource(connection: connection), logKey: logKey, anchor: anchor,
                                            witnessKeys: witnessKeys)
                return .success(try auditor.run(expected: expected, progressEvery: progressEvery, progress: progress))
            } catch let failure as AuditFailure {
                return .failure(failure)
            }
        }
    }

    public func audit(witnessKeys: [NoteKey]) throws -> Result<AuditReport, AuditFailure> {
        try verify(witnessKeys: witnessKeys)
    }
}

extension PostgresLedger: LedgerDatabase, LedgerAuditing {}

/// The audit's reads of PostgreSQL, on one connection inside the caller's snapshot: each SELECT
/// becomes a server-side cursor fetched in batches, so no table is held in memory whole.
final class PGAuditSource: AuditSource {
    let connection: PGConnection
    private var cursors = 0

    init(connection: PGConnection) {
        self.connection = connection
    }

    func tableExists(_ name: String) throws -> Bool {
        guard case .integer(1)? = try connection.one("SELECT to_regclass($1) IS NOT NULL", [.text(name)])?.storedValue(at: 0) else { return false }
        return true
    }

    /// Compared as text in bytes' order (`"C"`), so a column someone retyped or gave another
    /// collation is still read (its rows then fail the scan as not text, at their seq).
    var refsToCompare: String {
        """
        SELECT ref::text COLLATE "C" AS r, seq FROM journal
        WHERE ref::text COLLATE "C" IN (SELECT ref::text COLLATE "C" FROM journal WHERE ref IS NOT NULL GROUP BY 1 HAVING count(*) > 1)
        ORDER BY r
        """
    }

    var accountColumns: String { PGReads.accountColumns }

    func cursor(_ sql: String) throws -> PGCursor {
        cursors += 1
        return try PGCursor(connection: connection, name: "ecoledger_audit_\(cursors)", sql: sql)
    }

    func entry(seq: Int64) throws -> Entry? { try PGReads(connection: connection).entry(seq: seq) }

    func entry(ref: ClientRef) throws -> Entry? { try PGReads(connection: connection).entry(ref: ref) }
}

/// One SELECT as a server-side cursor, fetched `batch` rows at a time; closed after its last row
/// (or with the transaction, if the audit stops before).
final class PGCursor: AuditCursor {
    static let batch = 10_000

    private let connection: PGConnection
    private let name: String
    private var rows: [PGRow] = []
    private var index = 0
    private var exhausted = false
    /// The row `next` moved to.
    private var current: PGRow?

    init(connection: PGConnection, name: String, sql: String) throws {
        self.connection = connection
        self.name = name
        try connection.query("DECLARE \(name) NO SCROLL CURSOR FOR \(sql)")
    }

    func next() throws -> PGCursor? {
        current = nil
        if index == rows.count {
            guard !exhausted else { return nil }
            rows = try connection.query("FETCH FORWARD \(Self.batch) FROM \(name)")
            index = 0
            if rows.count < Self.batch {
                exhausted = true
                try connection.query("CLOSE \(name)")
            }
            guard !rows.isEmpty else { return nil }
        }
        current = rows[index]
        index += 1
        return self
    }

    /// The current row (the audit reads columns only after `next` answered a row).
    private var row: PGRow {
        guard let current else { preconditionFailure("a column read with no current row") }
        return current
    }

    func isNull(_ index: Int32) -> Bool { row.isNull(index) }
    func int64(_ index: Int32) -> Int64? { row.int64(index) }
    func appendText(_ index: Int32, to bytes: inout [UInt8]) -> Int? { row.appendText(index, to: &bytes) }
    func hash(_ index: Int32) -> Hash256? { row.hash(index) }
    func storedValue(at index: Int) -> StoredValue { row.storedValue(at: index) }
}

/// The audit reads PostgreSQL's typed values as they arrive (binary), and a value of another
/// type than the column's reader expects reads as nil, as SQLite's storage classes do.
extension PGRow: AuditColumns {
    func isNull(_ index: Int32) -> Bool { row[Int(index)].bytes == nil }

    func int64(_ index: Int32) -> Int64? {
        let cell = row[Int(index)]
        guard cell.bytes != nil else { return nil }
        switch cell.dataType {
        case .int2, .int4, .int8: return try? cell.decode(Int64.self)
        default: return nil
        }
    }

    func appendText(_ index: Int32, to bytes: inout [UInt8]) -> Int? {
        let cell = row[Int(index)]
        guard let value = cell.bytes, cell.dataType == .text || cell.dataType == .varchar else { return nil }
        bytes.append(contentsOf: value.readableBytesView)
        return value.readableBytes
    }

    func hash(_ index: Int32) -> Hash256? {
        let cell = row[Int(index)]
        guard let value = cell.bytes, cell.dataType == .bytea, value.readableBytes == Hash256.byteCount else { return nil }
        return value.withUnsafeReadableBytes(Hash256.init(raw:))
    }
}
