import Foundation
import GRDB
import LedgerCore
import LedgerCrypto

/// A passed audit.
public struct AuditReport: Sendable, Equatable {
    public let entries: Int64
    public let head: ChainHead
}

/// The expected head recorded outside the ledger (a receipt, a published checkpoint), which
/// is what lets an audit notice a truncated tail.
public struct ExpectedHead: Sendable, Equatable {
    public let seq: Int64
    public let hash: Hash256

    public init(seq: Int64, hash: Hash256) {
        self.seq = seq
        self.hash = hash
    }

    /// Parses `SEQ:HASH` (hash in hex).
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let seq = Int64(parts[0]), seq >= 0, let hash = Hash256(hex: String(parts[1])) else { return nil }
        self.init(seq: seq, hash: hash)
    }
}

extension LedgerStore {
    /// Verifies the whole ledger from genesis on one consistent snapshot:
    /// 1. every entry in seq order: continuity, prev-hash, recomputed hash, time order, and
    ///    that it could have been appended (replayed through the same rules as the store);
    /// 2. refs are unique;
    /// 3. the stored head and, when given, the expected head;
    /// 4. every projection table equals the replay, and the invariants hold.
    ///
    /// Entries are streamed, so memory grows with the projections, not the journal.
    /// `progress` is called with (entries checked, total) every `progressEvery` entries.
    public func verify(expecting expected: ExpectedHead? = nil, progressEvery: Int64 = 50_000,
                       progress: ((Int64, Int64) -> Void)? = nil) throws -> Result<AuditReport, AuditFailure> {
        try withSnapshot { db in
            do {
                return .success(try LedgerAuditor(db: db).run(expected: expected, progressEvery: progressEvery, progress: progress))
            } catch let failure as AuditFailure {
                return .failure(failure)
            }
        }
    }
}

/// The steps of `LedgerStore.verify`, on one read transaction.
struct LedgerAuditor {
    let db: Database

    func run(expected: ExpectedHead?, progressEvery: Int64, progress: ((Int64, Int64) -> Void)?) throws -> AuditReport {
        let storage = SQLLedgerStorage(db: db)
        let total = try Int64.fetchOne(db, sql: "SELECT count(*) FROM journal") ?? 0
        var replayer = try ChainReplayer(lookup: LedgerSnapshot.EntryLookup(
            bySeq: { seq in try storage.entry(seq: seq) },
            byRef: { ref in try storage.entry(ref: ref) }))
        let rows = try Row.fetchCursor(db, sql: "SELECT \(RowDecoding.journalColumns) FROM journal ORDER BY seq")
        var count: Int64 = 0
        while let row = try rows.next() {
            let entry: Entry
            do {
                entry = try RowDecoding.entry(row)
            } catch let error as StoreError {
                let seq: Int64? = try? RowDecoding.value(row, 0)
                throw AuditFailure(seq: seq ?? replayer.head.seq + 1, reason: error.description)
            }
            try replayer.feed(entry)
            count += 1
            if let progress, count % progressEvery == 0 { progress(count, total) }
        }
        progress?(count, total)
        let head = replayer.head
        try checkRefsAreUnique()
        try checkStoredHead(head)
        if let expected { try check(head, against: expected, storage: storage) }
        try compareProjections(with: replayer.snapshot)
        if let violation = replayer.snapshot.invariantViolation() {
            throw AuditFailure(seq: head.seq, reason: violation)
        }
        return AuditReport(entries: count, head: head)
    }

    /// The UNIQUE index makes duplicates impossible unless someone removed it.
    func checkRefsAreUnique() throws {
        if let row = try Row.fetchOne(db, sql: """
            SELECT ref, max(seq) AS seq FROM journal WHERE ref IS NOT NULL GROUP BY ref HAVING count(*) > 1 ORDER BY 2 LIMIT 1
            """) {
            let ref: String = try RowDecoding.value(row, 0)
            throw AuditFailure(seq: try RowDecoding.value(row, 1), reason: "ref \(ref.debugDescription) is used by more than one entry")
        }
    }

    func checkStoredHead(_ head: ChainHead) throws {
        let stored: ChainHead
        do {
            stored = try SQLLedgerStorage(db: db).head()
        } catch let error as StoreError {
            throw AuditFailure(seq: head.seq, reason: error.description)
        }
        guard stored == head else {
            // A head beyond the journal means entries are missing after it; otherwise the row
            // is wrong, and the last entry is the one that should have written it.
            throw AuditFailure(seq: stored.seq > head.seq ? head.seq + 1 : head.seq,
                               reason: "chain_head says seq \(stored.seq) hash \(stored.hash.hex) time_ms \(stored.timeMs), but the journal ends at seq \(head.seq) hash \(head.hash.hex) time_ms \(head.timeMs)")
        }
    }

    func check(_ head: ChainHead, against expected: ExpectedHead, storage: SQLLedgerStorage) throws {
        guard head.seq >= expected.seq else {
            throw AuditFailure(seq: head.seq + 1, reason: "the journal is truncated: it ends at seq \(head.seq), but the expected head is seq \(expected.seq)")
        }
        let actual = expected.seq == 0 ? Hash256.zero : try storage.entry(seq: expected.seq)?.hash
        guard actual == expected.hash else {
            throw AuditFailure(seq: expected.seq, reason: "entry \(expected.seq) has hash \(actual?.hex ?? "none"), but the expected head is \(expected.hash.hex)")
        }
    }

    func compareProjections(with snapshot: LedgerSnapshot) throws {
        try compare("account", sql: "SELECT \(RowDecoding.accountColumns) FROM accounts ORDER BY id", decode: RowDecoding.account, key: \.id,
                    expected: snapshot.accounts, lastSeq: \.lastSeq)
        try compare("point", sql: "SELECT \(RowDecoding.pointColumns) FROM points ORDER BY id", decode: RowDecoding.point, key: \.id,
                    expected: snapshot.points, lastSeq: \.lastSeq)
        try compare("material", sql: "SELECT \(RowDecoding.materialColumns) FROM materials ORDER BY code", decode: RowDecoding.material, key: \.code,
                    expected: snapshot.materials, lastSeq: \.lastSeq)
        try compare("token", sql: "SELECT \(RowDecoding.tokenColumns) FROM tokens ORDER BY id", decode: RowDecoding.token, key: \.id,
                    expected: snapshot.tokens, lastSeq: \.lastSeq)
        struct Reversal: Equatable { let original: Int64, by: Int64 }
        try compare("reversal of entry", sql: "SELECT original_seq, reversal_seq, reversal_seq AS last_seq FROM reversals ORDER BY original_seq",
                    decode: { row in Reversal(original: try RowDecoding.value(row, 0), by: try RowDecoding.value(row, 1)) },
                    key: \.original, expected: Dictionary(uniqueKeysWithValues: snapshot.reversals.map { ($0, Reversal(original: $0, by: $1)) }),
                    lastSeq: \.by)
    }

    /// Streams a projection table and compares each row with the replayed value; the failure
    /// names the last entry that should have written the row.
    func compare<Key: Hashable & CustomStringConvertible, Value: Equatable>(
        _ what: String, sql: String, decode: (Row) throws -> Value, key: KeyPath<Value, Key>,
        expected: [Key: Value], lastSeq: KeyPath<Value, Int64>
    ) throws {
        var seen: Set<Key> = []
        let rows = try Row.fetchCursor(db, sql: sql)
        while let row = try rows.next() {
            let stored: Value
            do {
                stored = try decode(row)
            } catch {
                let seq: Int64 = (try? row.decode(Int64.self, forColumn: "last_seq")) ?? 0
                throw AuditFailure(seq: seq, reason: "a \(what) row is malformed: \(error)")
            }
            let id = stored[keyPath: key]
            guard let replayed = expected[id] else {
                throw AuditFailure(seq: stored[keyPath: lastSeq], reason: "\(what) \(id) is in the table but no entry created it")
            }
            guard replayed == stored else {
                throw AuditFailure(seq: replayed[keyPath: lastSeq],
                                   reason: "\(what) \(id) differs from the journal's replay: \(Differences.describe(stored: stored, replayed: replayed))")
            }
            seen.insert(id)
        }
        let missing = expected.filter { !seen.contains($0.key) }
        if let (id, value) = missing.min(by: { $0.value[keyPath: lastSeq] < $1.value[keyPath: lastSeq] }) {
            throw AuditFailure(seq: value[keyPath: lastSeq], reason: "\(what) \(id) is missing from the table (\(missing.count) missing)")
        }
    }
}

/// Names the fields where a stored projection row and its replay differ.
enum Differences {
    static func describe<Value>(stored: Value, replayed: Value) -> String {
        let storedFields = Mirror(reflecting: stored).children
        let replayedFields = Array(Mirror(reflecting: replayed).children)
        var parts: [String] = []
        for (index, field) in storedFields.enumerated() {
            let a = "\(field.value)", b = "\(replayedFields[index].value)"
            if a != b { parts.append("\(field.label ?? "?") stored \(a), journal says \(b)") }
        }
        return parts.isEmpty ? "rows differ" : parts.joined(separator: "; ")
    }
}
