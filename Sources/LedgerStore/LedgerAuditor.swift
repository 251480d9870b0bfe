import Foundation
import GRDB
import LedgerCore
import LedgerCrypto
import LedgerTransparency
import GRDBSQLite

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
    /// 4. every projection table equals the replay, and the invariants hold;
    /// 5. the Merkle tree: every stored hash, recomputed as the entries are replayed; every stored
    ///    checkpoint's signature (with `logKey`, or the key the server recorded) and that the
    ///    journal's tree at its size has its root; and `anchor`, a checkpoint kept elsewhere.
    ///
    /// Entries are streamed, so memory grows with the projections, not the journal.
    /// `progress` is called with (entries checked, total) every `progressEvery` entries.
    public func verify(expecting expected: ExpectedHead? = nil, logKey: NoteKey? = nil, anchor: Checkpoint? = nil,
                       progressEvery: Int64 = 50_000,
                       progress: ((Int64, Int64) -> Void)? = nil) throws -> Result<AuditReport, AuditFailure> {
        try withSnapshot { db in
            // A file no writer of this version has opened yet cannot be read as this version reads.
            let applied = try Schema.migrator.appliedIdentifiers(db)
            if let missing = Schema.migrations.map(\.name).first(where: { !applied.contains($0) }) {
                throw StoreError.needsUpgrade(path: path, migration: missing)
            }
            do {
                let auditor = LedgerAuditor(db: db, logKey: logKey, anchor: anchor)
                return .success(try auditor.run(expected: expected, progressEvery: progressEvery, progress: progress))
            } catch let failure as AuditFailure {
                return .failure(failure)
            }
        }
    }
}

/// The steps of `LedgerStore.verify`, on one read transaction.
struct LedgerAuditor {
    let db: Database
    var logKey: NoteKey? = nil
    var anchor: Checkpoint? = nil

    /// The audit in two stages on the two cores: `JournalScan` (chain and tree, from the column
    /// bytes) on a thread of its own, and the replay here; then the whole-table checks.
    func run(expected: ExpectedHead?, progressEvery: Int64, progress: ((Int64, Int64) -> Void)?) throws -> AuditReport {
        let reads = SQLReads(db: db)
        let journal = try db.makeStatement(sql: "SELECT \(RowDecoding.journalColumns) FROM journal ORDER BY seq")
        let treeRows = try db.makeStatement(sql: "SELECT position, hash FROM tree_hashes ORDER BY position", ifTableExists: "tree_hashes")
        let tree = try TreeAudit(rows: treeRows, roots: try signedRoots())
        let total = try Int64.fetchOne(db, sql: "SELECT count(*) FROM journal") ?? 0
        // The scan thread steps this connection's statements; the replay's rare lookups (the
        // entry a reversal undoes) take the same lock.
        let connection = NSLock()
        var replayer = try ChainReplayer(lookup: LedgerSnapshot.EntryLookup(
            bySeq: { seq in try connection.withLock { try reads.entry(seq: seq) } },
            byRef: { ref in try connection.withLock { try reads.entry(ref: ref) } }))
        let scan = JournalScan(journal: journal, tree: tree, connection: connection)
        let finished = DispatchSemaphore(value: 0)
        // Unowned: this function keeps the scan (and the statements it holds) until the thread
        // has signalled, so they are finalized here, on the connection's own queue.
        Thread { [unowned scan] in
            scan.run()
            finished.signal()
        }.start()
        var count: Int64 = 0
        do {
            // However the replay ends, the scan stops and is waited for; the statements it steps
            // are held by `scan` and `tree`, and finalized with them.
            defer {
                scan.handoff.cancel()
                finished.wait()
            }
            scanning: while true {
                let chunk = scan.handoff.take()
                try chunk.bytes.withUnsafeBytes { bytes in
                    for row in chunk.rows {
                        let entry: Entry
                        do {
                            entry = try row.entry(in: bytes)
                        } catch let error as StoreError {
                            throw AuditFailure(seq: row.seq, reason: error.description)
                        }
                        try replayer.replay(entry)
                        count += 1
                        if let progress, count % progressEvery == 0 { progress(count, total) }
                    }
                }
                switch chunk.end {
                case nil: continue
                case .complete: break scanning
                case .failed(let failure): throw failure
                }
            }
        }
        progress?(count, total)
        let head = replayer.head
        try checkRefsAreUnique()
        try checkStoredHead(head)
        if let expected { try check(head, against: expected, storage: reads) }
        try scan.finishTree(head: head.seq)
        try compareProjections(with: replayer.snapshot)
        if let violation = replayer.snapshot.invariantViolation() {
            throw AuditFailure(seq: head.seq, reason: violation)
        }
        return AuditReport(entries: count, head: head)
    }

    /// The roots the journal's tree must have: each stored checkpoint's, once its signature
    /// checks, and the anchor's.
    func signedRoots() throws -> [Int64: [(root: Hash256, what: String)]] {
        var roots: [Int64: [(root: Hash256, what: String)]] = [:]
        if let anchor { roots[anchor.size, default: []].append((anchor.root, "the given checkpoint (size \(anchor.size))")) }
        // A ledger made before checkpoints existed has none (and no tree: TreeAudit says so).
        guard try db.tableExists("checkpoints") else { return roots }
        let stored = try LedgerStore.checkpoints(db, sql: "ORDER BY size")
        let recorded = try String.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'log_key'")
        if !stored.isEmpty {
            let key: NoteKey
            do {
                guard let known = try logKey ?? recorded.map({ try NoteKey(verifierKey: $0) }) else {
                    throw AuditFailure(seq: stored[0].size, reason: "the ledger has signed checkpoints but no log key to check them with")
                }
                key = known
            } catch let error as NoteError {
                throw AuditFailure(seq: stored[0].size, reason: "the recorded log key is malformed: \(error)")
            }
            for checkpoint in stored {
                do {
                    let (signed, _) = try Checkpoint.open(checkpoint.note, logKey: key)
                    guard signed.size == checkpoint.size, signed.root == checkpoint.root else {
                        throw NoteError.unverified("its note says size \(signed.size), not the row's")
                    }
                } catch let error as NoteError {
                    throw AuditFailure(seq: checkpoint.size, reason: "checkpoint \(checkpoint.size) is not signed by \(key.verifierKey): \(error)")
                }
                roots[checkpoint.size, default: []].append((checkpoint.root, "the log signed checkpoint \(checkpoint.size)"))
                // Cosignature lines are served inside the note: each must be one well-formed
                // signature line of its witness (their signatures need the witnesses' keys).
                for line in checkpoint.cosignatures {
                    guard let parsed = try? SignedNote(parsing: "c\n\n" + line), parsed.signatures.count == 1 else {
                        throw AuditFailure(seq: checkpoint.size, reason: "checkpoint \(checkpoint.size) has a malformed cosignature line")
                    }
                }
            }
            let orphans = try Int64.fetchOne(db, sql: "SELECT min(size) FROM cosignatures WHERE size NOT IN (SELECT size FROM checkpoints)")
            if let orphans { throw AuditFailure(seq: orphans, reason: "a cosignature of size \(orphans) has no checkpoint") }
        }
        return roots
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
            stored = try SQLReads(db: db).head()
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

    func check(_ head: ChainHead, against expected: ExpectedHead, storage: SQLReads) throws {
        guard head.seq >= expected.seq else {
            throw AuditFailure(seq: head.seq + 1, reason: "the journal is truncated: it ends at seq \(head.seq), but the expected head is seq \(expected.seq)")
        }
        let actual = expected.seq == 0 ? Hash256.zero : try storage.entry(seq: expected.seq)?.hash
        guard actual == expected.hash else {
            throw AuditFailure(seq: expected.seq, reason: "entry \(expected.seq) has hash \(actual?.hex ?? "none"), but the expected head is \(expected.hash.hex)")
        }
    }

    func compareProjections(with snapshot: LedgerSnapshot) throws {
        // Each account's profile digest is recomputed from its stored profile, so this also
        // checks every profile against the journal, and that erased ones are gone.
        try compare("account", sql: "SELECT \(RowDecoding.accountColumns) FROM \(RowDecoding.accountSource) ORDER BY accounts.id",
                    decode: RowDecoding.account, key: \.id, expected: snapshot.accounts, lastSeq: \.lastSeq)
        try compare("point", sql: "SELECT \(RowDecoding.pointColumns) FROM points ORDER BY id", decode: RowDecoding.point, key: \.id,
                    expected: snapshot.points, lastSeq: \.lastSeq)
        try compare("material", sql: "SELECT \(RowDecoding.materialColumns) FROM materials ORDER BY code", decode: RowDecoding.material, key: \.code,
                    expected: snapshot.materials, lastSeq: \.lastSeq)
        try compare("token", sql: "SELECT \(RowDecoding.tokenColumns) FROM tokens ORDER BY id", decode: RowDecoding.token, key: \.id,
                    expected: snapshot.tokens, lastSeq: \.lastSeq)
        struct Scheme: Equatable { let id: Int64, state: SchemeState, lastSeq: Int64 }
        try compare("scheme", sql: "SELECT id, \(RowDecoding.schemeColumns) FROM scheme ORDER BY id",
                    decode: { row in
                        let id: Int64 = try RowDecoding.value(row, 0)
                        let state = try RowDecoding.scheme(row, from: 1)
                        return Scheme(id: id, state: state, lastSeq: state.lastSeq)
                    }, key: \.id,
                    expected: snapshot.schemeState.lastSeq == 0 ? [:] : [1: Scheme(id: 1, state: snapshot.schemeState, lastSeq: snapshot.schemeState.lastSeq)],
                    lastSeq: \.lastSeq)
        try compare("hold of entry", sql: "SELECT \(RowDecoding.holdColumns) FROM holds ORDER BY dropoff_seq", decode: RowDecoding.hold,
                    key: \.dropoff, expected: snapshot.holds, lastSeq: \.lastSeq)
        struct Reversal: Equatable { let original: Int64, by: Int64 }
        try compare("reversal of entry", sql: "SELECT original_seq, reversal_seq, reversal_seq AS last_seq FROM reversals ORDER BY original_seq",
                    decode: { row in Reversal(original: try RowDecoding.value(row, 0), by: try RowDecoding.value(row, 1)) },
                    key: \.original, expected: Dictionary(uniqueKeysWithValues: snapshot.reversals.map { ($0, Reversal(original: $0, by: $1)) }),
                    lastSeq: \.by)
        // A profile joins its account's row; one without an account is found after every table.
        if let orphan = try String.fetchOne(db, sql: "SELECT min(account) FROM profiles WHERE account NOT IN (SELECT id FROM accounts)") {
            throw AuditFailure(seq: try SQLReads(db: db).head().seq, reason: "profile of \(orphan.debugDescription) belongs to no account")
        }
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

/// The audit of the Merkle tree, beside the chain: every hash the entries should have created,
/// compared with the stored rows in position order, and the root at each signed size. Runs on
/// `JournalScan`'s thread, stepping its statement through SQLite's C API.
struct TreeAudit {
    private var frontier = MerkleFrontier()
    /// Held, not only its handle: the statement is finalized when the object goes.
    private let statement: Statement?
    private let rows: SQLiteStatement?
    private let roots: [Int64: [(root: Hash256, what: String)]]

    /// `rows` selects (position, hash) in position order; nil when the table does not exist.
    init(rows: Statement?, roots: [Int64: [(root: Hash256, what: String)]]) throws {
        statement = rows
        self.rows = rows?.sqliteStatement
        self.roots = roots
        try checkRoot(seq: 0)
    }

    private func nextRow(seq: Int64) throws -> (position: Int64, hash: Hash256?)? {
        guard let rows else {
            throw AuditFailure(seq: seq, reason: "the ledger has no Merkle tree yet (it was made before the tree existed): open it once with ecoledgerd")
        }
        let code = sqlite3_step(rows)
        guard code == SQLITE_ROW else {
            guard code == SQLITE_DONE else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
            return nil
        }
        let columns = RawColumns(handle: rows)
        guard let position = columns.int64(0) else { throw AuditFailure(seq: seq, reason: "a tree_hashes row has no integer position") }
        return (position, columns.blob(1).flatMap(Hash256.init(raw:)))
    }

    mutating func append(entryHash: Hash256, seq: Int64) throws {
        let created: [(position: Int64, hash: Hash256)]
        do {
            created = try frontier.append(leaf: MerkleHash.leaf(entryHash))
        } catch {
            throw AuditFailure(seq: seq, reason: "could not hash the tree: \(error)")
        }
        for (position, hash) in created {
            guard let row = try nextRow(seq: seq) else {
                throw AuditFailure(seq: seq, reason: "the Merkle tree ends before entry \(seq) (no hash at position \(position))")
            }
            guard row.position == position, row.hash == hash else {
                throw AuditFailure(seq: seq, reason: "the Merkle tree's hash at position \(position) is not the one entry \(seq) makes")
            }
        }
        try checkRoot(seq: seq)
    }

    private func checkRoot(seq: Int64) throws {
        guard let signed = roots[seq] else { return }
        let root: Hash256
        do { root = try frontier.root() } catch { throw AuditFailure(seq: seq, reason: "could not hash the tree: \(error)") }
        for expected in signed where root != expected.root {
            throw AuditFailure(seq: seq, reason: "the journal's tree of \(seq) entries has another root than \(expected.what): history was rewritten after it was signed")
        }
    }

    func finish(head: Int64) throws {
        if rows != nil, let row = try nextRow(seq: head + 1) {
            throw AuditFailure(seq: head + 1, reason: "the Merkle tree has hashes beyond the journal (position \(row.position))")
        }
        if let beyond = roots.keys.filter({ $0 > head }).min() {
            throw AuditFailure(seq: head + 1, reason: "\(roots[beyond]![0].what) covers \(beyond) entries, but the journal ends at \(head): it is truncated")
        }
    }
}

extension Database {
    /// A statement over `table`, or nil when the table does not exist (a ledger from before it).
    func makeStatement(sql: String, ifTableExists table: String) throws -> Statement? {
        try tableExists(table) ? makeStatement(sql: sql) : nil
    }
}

extension ScannedRow {
    /// The entry, decoded and validated by `RowDecoding.entry` (on the replay's thread).
    func entry(in bytes: UnsafeRawBufferPointer) throws -> Entry {
        func string(_ span: Span) -> String? { span.in(bytes).map { String(decoding: $0, as: UTF8.self) } }
        // The scan hashed the stored bytes as they are, so a repaired reading here would judge
        // something other than what was hashed: attrs must be valid UTF-8. (Ids and kinds need
        // no such check: a replacement character is never a valid id or kind.)
        let attrs = try self.attrs.in(bytes).map { raw in
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw StoreError.corrupt("journal entry \(seq): attrs is not valid UTF-8")
            }
            return text
        }
        return try RowDecoding.entry(seq: seq, timeMs: timeMs, kind: string(kind), debit: string(debit), credit: string(credit),
                                     amount: amount, actor: string(actor), ref: string(ref), attrs: attrs,
                                     prevHash: prevHash, hash: hash)
    }
}
