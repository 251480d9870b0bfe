import Foundation
import LedgerCore
import LedgerCrypto
import LedgerTransparency

/// The audit of a whole ledger, from genesis, on one consistent snapshot of either engine
/// (`AuditSource`): what `ecoledger verify` and the server's AUDIT run.
/// 1. every entry in seq order: continuity, prev-hash, recomputed hash, time order, and
///    that it could have been appended (replayed through the same rules as the store);
/// 2. refs are unique;
/// 3. the stored head and, when given, the expected head;
/// 4. every projection table equals the replay, and the invariants hold;
/// 5. the Merkle tree: every stored hash, recomputed as the entries are replayed; every stored
///    checkpoint's signature (with `logKey`, or the key the server recorded) and that the
///    journal's tree at its size has its root; and `anchor`, a checkpoint kept elsewhere;
/// 6. witnesses' cosignatures: every one's form, and the signatures of those whose witness
///    has a key in `witnessKeys`.
///
/// Entries are streamed, so memory grows with the projections, not the journal.
package struct LedgerAuditor<Source: AuditSource> {
    let source: Source
    var logKey: NoteKey? = nil
    var anchor: Checkpoint? = nil
    var witnessKeys: [NoteKey] = []

    package init(source: Source, logKey: NoteKey?, anchor: Checkpoint?, witnessKeys: [NoteKey]) {
        (self.source, self.logKey, self.anchor, self.witnessKeys) = (source, logKey, anchor, witnessKeys)
    }

    /// The audit in three stages on the two cores: `JournalScan` (the rows' bytes) and
    /// `ChainCheck` (chain and tree) on threads of their own, and the replay here; then the
    /// whole-table checks.
    /// An `AuditFailure` is the ledger's fault; any other error is the audit's (it could not read).
    package func run(expected: ExpectedHead?, progressEvery: Int64, progress: ((Int64, Int64) -> Void)?) throws -> AuditReport {
        // Every table the files of `schema/` make (the ones a copy moves); the audit reads each,
        // so one that is missing fails it before anything else.
        for table in LedgerTables.all.map(\.name) where try !source.tableExists(table) {
            throw AuditFailure(seq: 0, reason: "the table \(table) is missing")
        }
        // For the progress only: the last seq, read from the key's index (a count would read
        // every row's entry in an index before the audit starts: 0.3 s for a million entries
        // not yet in memory). For an honest journal it is the number of entries.
        let total = try source.cursor("SELECT max(seq) FROM journal").next()?.int64(0) ?? 0
        let (roots, cosignatures) = try signedRoots()
        let journal = try source.cursor("SELECT \(RowDecoding.journalColumns) FROM journal ORDER BY seq")
        let treeRows = try source.cursor("SELECT position, hash FROM tree_hashes ORDER BY position")
        // The scan thread steps the source's cursors; the replay's rare lookups (the entry a
        // reversal undoes) take the same lock, as one connection serves both.
        let connection = NSLock()
        let source = self.source
        var replayer = try ChainReplayer(lookup: LedgerSnapshot.EntryLookup(
            bySeq: { seq in try connection.withLock { try source.entry(seq: seq) } },
            byRef: { ref in try connection.withLock { try source.entry(ref: ref) } }))
        // Prepared here, stepped on the scan's thread once the journal is read (a statement is
        // prepared on the connection's own queue).
        let repeatedRefs = try source.cursor(source.refsToCompare)
        let scan = JournalScan(journal: journal, tree: treeRows, connection: connection) { try Self.checkRefsAreUnique(repeatedRefs) }
        let chain = ChainCheck(input: scan.handoff, tree: try TreeAudit(roots: roots))
        let finished = DispatchSemaphore(value: 0)
        // Unowned: this function keeps the scan (and the statements it holds) until both threads
        // have signalled, so they are finalized here, on the connection's own queue.
        Thread { [unowned scan] in
            scan.run()
            finished.signal()
        }.start()
        Thread { [unowned chain] in
            chain.run()
            finished.signal()
        }.start()
        var count: Int64 = 0
        do {
            // However the replay ends, the stages stop and are waited for; the statements the
            // scan steps are held by `scan`, and finalized with it.
            defer {
                chain.handoff.cancel()
                scan.handoff.cancel()
                finished.wait()
                finished.wait()
            }
            scanning: while true {
                // Only this thread cancels the chain's handoff, and not while it waits here.
                let chunk = chain.handoff.take()!
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
        // Checked by the scan once it had read the whole journal, while the replay caught up.
        if let outcome = scan.afterwardsOutcome { try outcome.get() } else { try Self.checkRefsAreUnique(repeatedRefs) }
        try checkStoredHead(head)
        if let expected { try check(head, against: expected) }
        try chain.finishTree(head: head.seq)
        try compareProjections(with: replayer.snapshot, head: head.seq)
        if let violation = replayer.snapshot.invariantViolation() {
            throw AuditFailure(seq: head.seq, reason: violation)
        }
        var report = AuditReport(entries: count, head: head)
        (report.cosignatures, report.cosignaturesVerified) = cosignatures
        return report
    }

    /// Reads `AuditSource.refsToCompare`: of the refs used more than once, the one whose last use comes first
    /// is reported, at that use. (The UNIQUE index makes a repeat impossible unless someone
    /// rebuilt or relabelled it.)
    static func checkRefsAreUnique(_ rows: Source.Cursor) throws {
        var groups = RefGroups()
        while let row = try rows.next() {
            let seq = try row.integer(1, "seq")
            groups.current.removeAll(keepingCapacity: true)
            guard row.appendText(0, to: &groups.current) != nil else { throw AuditFailure(seq: seq, reason: "the ref of entry \(seq) is not text") }
            groups.add(seq: seq)
        }
        groups.close()
        if let worst = groups.worst {
            throw AuditFailure(seq: worst.seq, reason: "ref \(String(decoding: worst.ref, as: UTF8.self).debugDescription) is used by more than one entry")
        }
    }

    func checkStoredHead(_ head: ChainHead) throws {
        let stored: ChainHead
        do {
            stored = try storedHead()
        } catch let error as StoreError {
            guard case .corrupt(let why) = error else { throw error }
            throw AuditFailure(seq: head.seq, reason: "the chain_head row is malformed: \(why)")
        }
        guard stored == head else {
            // A head beyond the journal means entries are missing after it; otherwise the row
            // is wrong, and the last entry is the one that should have written it.
            throw AuditFailure(seq: stored.seq > head.seq ? head.seq + 1 : head.seq,
                               reason: "chain_head says seq \(stored.seq) hash \(stored.hash.hex) time_ms \(stored.timeMs), but the journal ends at seq \(head.seq) hash \(head.hash.hex) time_ms \(head.timeMs)")
        }
    }

    /// The one `chain_head` row, id 1, read strictly.
    func storedHead() throws -> ChainHead {
        let rows = try source.cursor("SELECT id, seq, hash, time_ms FROM chain_head ORDER BY id")
        guard let row = try rows.next() else { throw StoreError.corrupt("there is none") }
        guard try row.integer(0, "id") == 1 else { throw StoreError.corrupt("its id is not 1") }
        guard let hash = Hash256(bytes: try row.blob(2, "hash")) else { throw StoreError.corrupt("hash is not 32 bytes") }
        let head = ChainHead(seq: try row.integer(1, "seq", atLeast: 0), hash: hash, timeMs: try row.integer(3, "time_ms", atLeast: 0))
        guard try rows.next() == nil else { throw StoreError.corrupt("there is more than one") }
        return head
    }

    func check(_ head: ChainHead, against expected: ExpectedHead) throws {
        guard head.seq >= expected.seq else {
            throw AuditFailure(seq: head.seq + 1, reason: "the journal is truncated: it ends at seq \(head.seq), but the expected head is seq \(expected.seq)")
        }
        let actual = expected.seq == 0 ? Hash256.zero : try source.entry(seq: expected.seq)?.hash
        guard actual == expected.hash else {
            throw AuditFailure(seq: expected.seq, reason: "entry \(expected.seq) has hash \(actual?.hex ?? "none"), but the expected head is \(expected.hash.hex)")
        }
    }

    func compareProjections(with snapshot: LedgerSnapshot, head: Int64) throws {
        // Each account's profile digest is recomputed from its stored profile, so this also
        // checks every profile against the journal, and that erased ones are gone.
        try compare("account", sql: "SELECT \(source.accountColumns) FROM \(RowDecoding.accountSource) ORDER BY accounts.id",
                    lastSeqColumn: 9, decode: RowDecoding.account, key: \.id, expected: snapshot.accounts, lastSeq: \.lastSeq)
        try compare("point", sql: "SELECT \(RowDecoding.pointColumns) FROM points ORDER BY id", lastSeqColumn: 4,
                    decode: RowDecoding.point, key: \.id, expected: snapshot.points, lastSeq: \.lastSeq)
        try compare("material", sql: "SELECT \(RowDecoding.materialColumns) FROM materials ORDER BY code", lastSeqColumn: 5,
                    decode: RowDecoding.material, key: \.code, expected: snapshot.materials, lastSeq: \.lastSeq)
        try compare("token", sql: "SELECT \(RowDecoding.tokenColumns) FROM tokens ORDER BY id", lastSeqColumn: 6,
                    decode: RowDecoding.token, key: \.id, expected: snapshot.tokens, lastSeq: \.lastSeq)
        try compare("scheme", sql: "SELECT id, \(RowDecoding.schemeColumns) FROM scheme ORDER BY id", lastSeqColumn: 5,
                    decode: { row in
                        let id = try RowDecoding.decoding("scheme") { try row.integer(0, "id") }
                        guard id == 1 else { throw StoreError.corrupt("scheme: id \(id) is not 1") }
                        let state = try RowDecoding.scheme(row, from: 1)
                        return StoredScheme(id: id, state: state, lastSeq: state.lastSeq)
                    }, key: \.id,
                    expected: snapshot.schemeState.lastSeq == 0 ? [:] : [1: StoredScheme(id: 1, state: snapshot.schemeState, lastSeq: snapshot.schemeState.lastSeq)],
                    lastSeq: \.lastSeq)
        try compare("hold of entry", sql: "SELECT \(RowDecoding.holdColumns) FROM holds ORDER BY dropoff_seq", lastSeqColumn: 5,
                    decode: RowDecoding.hold, key: \.dropoff, expected: snapshot.holds, lastSeq: \.lastSeq)
        try compare("reversal of entry", sql: "SELECT original_seq, reversal_seq FROM reversals ORDER BY original_seq", lastSeqColumn: 1,
                    decode: { row in
                        try RowDecoding.decoding("reversal") {
                            StoredReversal(original: try row.integer(0, "original_seq", atLeast: 1), by: try row.integer(1, "reversal_seq", atLeast: 1))
                        }
                    },
                    key: \.original, expected: Dictionary(uniqueKeysWithValues: snapshot.reversals.map { ($0, StoredReversal(original: $0, by: $1)) }),
                    lastSeq: \.by)
        // A profile joins its account's row; one without an account is found after every table.
        let orphans = try source.cursor("SELECT account FROM profiles WHERE account NOT IN (SELECT id FROM accounts) ORDER BY account LIMIT 1")
        if let row = try orphans.next() {
            let reason: String
            do {
                reason = "profile of \(try row.text(0, "account").debugDescription) belongs to no account"
            } catch {
                reason = "a profiles row is malformed: \(error)"
            }
            throw AuditFailure(seq: head, reason: reason)
        }
    }

    /// Streams a projection table and compares each row with the replayed value; the failure
    /// names the last entry that should have written the row. Rows are read from the statement's
    /// columns as the engine holds them, as the journal's are.
    func compare<Key: Hashable & CustomStringConvertible, Value: Equatable>(
        _ what: String, sql: String, lastSeqColumn: Int, decode: (Source.Cursor) throws -> Value, key: KeyPath<Value, Key>,
        expected: [Key: Value], lastSeq: KeyPath<Value, Int64>
    ) throws {
        var seen: Set<Key> = []
        let rows = try source.cursor(sql)
        while let row = try rows.next() {
            let stored: Value
            do {
                stored = try decode(row)
            } catch {
                throw AuditFailure(seq: row.reportedSeq(lastSeqColumn), reason: "a \(what) row is malformed: \(error)")
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

/// The `scheme` table's one row, as the audit compares it.
private struct StoredScheme: Equatable {
    let id: Int64, state: SchemeState, lastSeq: Int64
}

/// A `reversals` row, as the audit compares it.
private struct StoredReversal: Equatable {
    let original: Int64, by: Int64
}

/// The runs of equal refs in `AuditSource.refsToCompare`, and the repeated one to report.
private struct RefGroups {
    /// The ref just read, filled by the caller before `add`.
    var current: [UInt8] = []
    private var previous: [UInt8] = []
    private var count = 0
    private var lastSeq: Int64 = 0
    /// Of the refs used more than once, the one whose last use comes first.
    private(set) var worst: (ref: [UInt8], seq: Int64)?

    mutating func add(seq: Int64) {
        if count > 0, current == previous {
            count += 1
            lastSeq = max(lastSeq, seq)
        } else {
            close()
            swap(&previous, &current)
            (count, lastSeq) = (1, seq)
        }
    }

    /// Ends the current run.
    mutating func close() {
        guard count > 1, worst.map({ lastSeq < $0.seq }) ?? true else { return }
        worst = (previous, lastSeq)
    }
}
