import LedgerFixtures
import Foundation
import LedgerPersistence
import LedgerCore
import LedgerCrypto
import LedgerTransparency
@testable import LedgerStore
import Testing

/// Each test tampers with a real SQLite ledger file the way someone with the file (and the
/// sqlite3 shell) could, then checks that verify names the first bad seq.
@Suite("Tamper detection")
struct TamperDetectionTests {
    /// The example ledger: 14 entries covering every table (entry 8 is a PET drop-off, 9 a
    /// sachet drop-off reversed by 13, 14 an auditor token).
    func exampleLedger() throws -> TemporaryLedger {
        let ledger = try TemporaryLedger(clock: ExampleLedger.clock())
        try ExampleLedger.populate(ledger.store)
        return ledger
    }

    func expectFailure(_ ledger: TemporaryLedger, atSeq seq: Int64, mentioning text: String? = nil,
                       expecting expected: ExpectedHead? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        switch try ledger.store.verify(expecting: expected) {
        case .success(let report):
            Issue.record("tampering was not detected (verified \(report.entries) entries)", sourceLocation: sourceLocation)
        case .failure(let failure):
            #expect(failure.seq == seq, "\(failure)", sourceLocation: sourceLocation)
            if let text { #expect(failure.reason.contains(text), "\(failure)", sourceLocation: sourceLocation) }
        }
    }

    @Test("the untouched example verifies")
    func untouched() throws {
        let ledger = try exampleLedger()
        guard case .success(let report) = try ledger.store.verify() else { Issue.record("should verify"); return }
        #expect(report.entries == 14)
    }

    @Test("the journal refuses UPDATE and DELETE while its triggers are in place")
    func appendOnly() throws {
        let ledger = try exampleLedger()
        for sql in ["UPDATE journal SET amount = 1 WHERE seq = 8", "DELETE FROM journal WHERE seq = 14"] {
            let error = #expect(throws: DatabaseError.self) { try ledger.store.tamper(sql) }
            #expect(error?.message == "the journal is append-only: undo an entry with a reversal", "\(String(describing: error))")
        }
        guard case .success = try ledger.store.verify() else { Issue.record("the refused edits changed nothing"); return }
    }

    static let fieldEdits: [(column: String, sql: String, reason: String)] = [
        ("time_ms", "time_ms = time_ms + 1", "hash does not match"),
        ("kind", "kind = 'donation'", "hash does not match"),
        ("debit", "debit = 'sys:forfeit'", "hash does not match"),
        ("credit", "credit = 'R-9999'", "hash does not match"),
        ("amount", "amount = amount + 1", "hash does not match"),
        ("actor", "actor = 'someone-else'", "hash does not match"),
        ("ref", "ref = 'kiosk-1-9999'", "hash does not match"),
        ("attrs", "attrs = replace(attrs, '2345', '2346')", "hash does not match"),
        ("attrs (not JSON)", "attrs = 'garbage'", "attrs"),
        ("prev_hash", "prev_hash = zeroblob(32)", "prev_hash"),
        ("hash", "hash = zeroblob(32)", "hash does not match"),
        ("seq", "seq = 99", "entry 8 is missing"),
    ]

    @Test("an edited field of any entry is caught at that entry", arguments: fieldEdits.indices)
    func editedField(index: Int) throws {
        let edit = Self.fieldEdits[index]
        let ledger = try exampleLedger()
        try ledger.store.tamperJournal("UPDATE journal SET \(edit.sql) WHERE seq = 8")
        try expectFailure(ledger, atSeq: 8, mentioning: edit.reason)
    }

    @Test("a deleted entry is caught where the gap starts")
    func deletedEntry() throws {
        let ledger = try exampleLedger()
        try ledger.store.tamperJournal("DELETE FROM journal WHERE seq = 5")
        try expectFailure(ledger, atSeq: 5, mentioning: "missing")
    }

    @Test("two swapped entries are caught at the first of them")
    func swappedEntries() throws {
        let ledger = try exampleLedger()
        try ledger.store.tamperJournal("""
            CREATE TEMP TABLE pair AS SELECT * FROM journal WHERE seq IN (8, 9);
            DELETE FROM journal WHERE seq IN (8, 9);
            INSERT INTO journal SELECT CASE seq WHEN 8 THEN 9 ELSE 8 END, time_ms, kind, debit, credit, amount, actor, ref,
                attrs, prev_hash, hash FROM pair;
            """)
        try expectFailure(ledger, atSeq: 8)
    }

    @Test("a rewritten and fully rehashed history passes the chain but fails replay or the expected head")
    func rehashedHistory() throws {
        let ledger = try exampleLedger()
        let realHead = try ledger.store.head()
        // Rewrite entry 8's weight and amount consistently, then rehash every entry after it
        // and fix the head and the balances, as a careful forger would.
        try ledger.store.tamperJournal("""
            UPDATE journal SET attrs = replace(attrs, '"2345"', '"3345"'), amount = 6021 WHERE seq = 8;
            UPDATE accounts SET balance = balance + 1800 WHERE id = 'R-0001';
            UPDATE accounts SET balance = balance - 1800 WHERE id = 'sys:issuance';
            """)
        try ledger.store.rehashJournal(from: 8)
        // The chain and the projections are now self-consistent: only an anchor kept elsewhere can tell.
        guard case .success = try ledger.store.verify() else { Issue.record("a consistent forgery verifies without an anchor"); return }
        try expectFailure(ledger, atSeq: realHead.seq, mentioning: "expected head",
                          expecting: ExpectedHead(seq: realHead.seq, hash: realHead.hash))
    }

    @Test("an entry rewritten to a revoked or never-issued actor, fully rehashed, fails replay at that entry")
    func actorOfRevokedToken() throws {
        for forged in ["tok-op", "tok-never-issued"] {
            let ledger = try TemporaryLedger()
            try ledger.store.seedCatalogue()
            try ActorTests.issue("tok-op", in: ledger.store)
            _ = try ledger.store.submit(Make.request(.revokeToken(id: TokenID("tok-op"))))
            let seq = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "late")).entry.seq
            _ = try ledger.store.submit(Make.dropoff("R-1", kg: "2", ref: "later"))
            try ledger.store.tamperJournal("UPDATE journal SET actor = '\(forged)' WHERE seq = \(seq)")
            try ledger.store.rehashJournal(from: seq)
            try expectFailure(ledger, atSeq: seq, mentioning: "actor \(forged) is not an active token")
        }
    }

    @Test("attrs respelled (a space, a repeated key) but meaning the same is refused at that entry", arguments: [
        "replace(attrs, '\":\"', '\": \"')", "replace(attrs, '}', ',\"rate\":\"1800\"}')",
    ])
    func respelledAttributes(sql: String) throws {
        let ledger = try exampleLedger()
        try ledger.store.tamperJournal("UPDATE journal SET attrs = \(sql) WHERE seq = 8")
        try expectFailure(ledger, atSeq: 8, mentioning: "attrs is not in the canonical form")
    }

    @Test("a ref used twice is caught at its second use: in a journal rebuilt without its unique index, or under an index relabelled unique")
    func repeatedRef() throws {
        // The grouping reads the index on ref whatever its schema says: a plain index relabelled
        // UNIQUE in sqlite_schema keeps the duplicate, and an audit that trusted the label would
        // miss it.
        for relabel in [false, true] {
            let ledger = try exampleLedger()
            try ledger.store.rebuildJournal(refIndex: "CREATE INDEX journal_by_ref ON journal (ref)")
            guard case .success = try ledger.store.verify() else { Issue.record("the rebuilt journal should verify"); return }
            try ledger.store.tamper("UPDATE journal SET ref = (SELECT ref FROM journal WHERE seq = 8) WHERE seq = 9")
            try ledger.store.rehashJournal(from: 9)
            if relabel {
                try ledger.store.tamper("""
                    PRAGMA writable_schema = ON;
                    UPDATE sqlite_schema SET sql = 'CREATE UNIQUE INDEX journal_by_ref ON journal (ref)' WHERE name = 'journal_by_ref';
                    PRAGMA writable_schema = OFF;
                    """)
            }
            let labelled = try ledger.store.pool.read { db in
                try Bool.fetchOne(db, sql: "SELECT \"unique\" FROM pragma_index_list('journal') WHERE name = 'journal_by_ref'")
            }
            #expect(labelled == relabel, "the index reads as unique exactly when relabelled")
            let ref = try ledger.store.read { try $0.entry(seq: 8)?.body.ref?.rawValue } ?? ""
            try expectFailure(ledger, atSeq: 9, mentioning: "ref \(ref.debugDescription) is used by more than one entry")
        }
    }

    @Test("of several repeated refs, the one whose last use comes first is reported, at that use")
    func severalRepeatedRefs() throws {
        let ledger = try exampleLedger()
        try ledger.store.rebuildJournal(refIndex: "CREATE INDEX journal_by_ref ON journal (ref)")
        let seqs = try ledger.store.pool.read { db in try Int64.fetchAll(db, sql: "SELECT seq FROM journal WHERE ref IS NOT NULL ORDER BY seq") }
        try #require(seqs.count >= 4)
        let (s1, s2, s3, s4) = (seqs[0], seqs[1], seqs[2], seqs[3])
        // s4 repeats s1's ref (last use s4), s3 repeats s2's (last use s3, first).
        try ledger.store.tamper("""
            UPDATE journal SET ref = (SELECT ref FROM journal WHERE seq = \(s1)) WHERE seq = \(s4);
            UPDATE journal SET ref = (SELECT ref FROM journal WHERE seq = \(s2)) WHERE seq = \(s3);
            """)
        try ledger.store.rehashJournal(from: s3)
        let ref = try ledger.store.read { try $0.entry(seq: s2)?.body.ref?.rawValue } ?? ""
        try expectFailure(ledger, atSeq: s3, mentioning: "ref \(ref.debugDescription) is used by more than one entry")
    }

    @Test("a truncated tail is caught when the expected head is given")
    func truncatedTail() throws {
        let full = try exampleLedger()
        let head = try full.store.head()
        // An old copy of the file: the same ledger, three entries shorter, consistent in itself.
        let old = try TemporaryLedger(clock: ExampleLedger.clock())
        for request in try ExampleLedger.requests().dropLast(3) { _ = try old.store.submit(request) }
        guard case .success = try old.store.verify() else { Issue.record("a shorter ledger is consistent by itself"); return }
        try expectFailure(old, atSeq: 12, mentioning: "truncated", expecting: ExpectedHead(seq: head.seq, hash: head.hash))
        // Deleting the tail in place also leaves the stored head and projections behind.
        try full.store.tamperJournal("DELETE FROM journal WHERE seq > 11")
        try expectFailure(full, atSeq: 12, mentioning: "chain_head")
    }

    static let projectionEdits: [(name: String, sql: String, seq: Int64, reason: String)] = [
        ("a balance", "UPDATE accounts SET balance = balance + 100 WHERE id = 'R-0001'", 13, "balance"),
        ("a system balance", "UPDATE accounts SET balance = balance - 100 WHERE id = 'sys:issuance'", 13, "balance"),
        ("a rate", "UPDATE materials SET rate = 1900 WHERE code = 'PET'", 1, "rate"),
        ("a weight limit", "UPDATE materials SET max_grams = 1 WHERE code = 'SACHET'", 2, "maxGrams"),
        ("an account name", "UPDATE accounts SET name = 'Someone Else' WHERE id = 'M-SARISARI'", 12, "name"),
        ("a lock", "UPDATE accounts SET locked = 1 WHERE id = 'R-0001'", 13, "locked"),
        ("a PIN record", "UPDATE accounts SET pin_hash = 'pbkdf2-sha256$1$00$' || hex(zeroblob(32)) WHERE id = 'R-0001'", 13, "pinDigest"),
        ("a minimum redemption", "UPDATE accounts SET min_redeem = NULL WHERE id = 'M-MERALCO'", 6, "minRedeem"),
        ("a closed point", "UPDATE points SET active = 0 WHERE id = 'CP-BATASAN'", 3, "active"),
        ("a token's role", "UPDATE tokens SET role = 'admin' WHERE id = 'tok-audit-1'", 14, "role"),
        ("a token's secret", "UPDATE tokens SET secret_hash = zeroblob(32) WHERE id = 'tok-audit-1'", 14, "secretHash"),
        ("a revocation", "UPDATE tokens SET revoked = 1 WHERE id = 'tok-audit-1'", 14, "revoked"),
        ("a deleted account", "DELETE FROM accounts WHERE id = 'B-BATASAN'", 11, "missing"),
        ("an invented account", "INSERT INTO accounts (id, kind, name, last_seq) VALUES ('R-GHOST', 'resident', 'Ghost', 5)", 5, "no entry created it"),
        ("an invented token", "INSERT INTO tokens VALUES ('tok-evil', 'admin', NULL, NULL, zeroblob(32), 0, 14)", 14, "no entry created it"),
        ("a deleted reversal mark", "DELETE FROM reversals", 13, "missing"),
        ("the stored head", "UPDATE chain_head SET seq = 13", 14, "chain_head"),
    ]

    @Test("an edited projection row is caught and blamed on the entry that last wrote it", arguments: projectionEdits.indices)
    func editedProjection(index: Int) throws {
        let edit = Self.projectionEdits[index]
        let ledger = try exampleLedger()
        try ledger.store.tamperJournal(edit.sql)
        try expectFailure(ledger, atSeq: edit.seq, mentioning: edit.reason)
    }
}

extension LedgerStore {
    /// Drops and rebuilds tree_hashes from the journal as it now stands.
    func rebuildTree() throws {
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS tree_hashes_append_only_delete; DELETE FROM tree_hashes")
            var frontier = MerkleFrontier()
            for data in try Data.fetchAll(db, sql: "SELECT hash FROM journal ORDER BY seq") {
                for (position, hash) in try frontier.append(leaf: MerkleHash.leaf(Hash256(bytes: data)!)) {
                    try db.execute(sql: "INSERT INTO tree_hashes (position, hash) VALUES (?, ?)", arguments: [position, hash.blob])
                }
            }
        }
    }

    /// Rebuilds the journal as its owner could, without the schema's UNIQUE on ref (and so
    /// without its triggers and indexes), then runs `refIndex`.
    func rebuildJournal(refIndex: String) throws {
        try tamper("""
            PRAGMA foreign_keys = OFF;
            CREATE TABLE journal_copy (seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL, kind TEXT NOT NULL, debit TEXT,
                                       credit TEXT, amount INTEGER NOT NULL, actor TEXT NOT NULL, ref TEXT,
                                       attrs TEXT NOT NULL, prev_hash BLOB NOT NULL, hash BLOB NOT NULL);
            INSERT INTO journal_copy SELECT seq, time_ms, kind, debit, credit, amount, actor, ref, attrs, prev_hash, hash FROM journal;
            DROP TABLE journal;
            ALTER TABLE journal_copy RENAME TO journal;
            \(refIndex);
            """)
    }

    /// Tampers with the file as its owner could: foreign keys off and the journal's triggers dropped.
    func tamperJournal(_ sql: String) throws {
        try tamper("""
            PRAGMA foreign_keys = OFF;
            DROP TRIGGER IF EXISTS journal_is_append_only_update;
            DROP TRIGGER IF EXISTS journal_is_append_only_delete;
            \(sql)
            """)
    }

    /// Recomputes every hash from `seq` on, the stored head and the whole Merkle tree: what a
    /// forger with the spec would do (only the log's signatures cannot be redone without its key).
    func rehashJournal(from seq: Int64) throws {
        defer { try? rebuildTree() }
        try pool.writeWithoutTransaction { db in
            let hasher = try SHA256.Hasher()
            var prev = try seq == 1 ? Hash256.zero
                : Hash256(bytes: Data.fetchOne(db, sql: "SELECT hash FROM journal WHERE seq = ?", arguments: [seq - 1])!)!
            for row in try Row.fetchAll(db, sql: "SELECT \(RowDecoding.journalColumns) FROM journal WHERE seq >= ? ORDER BY seq", arguments: [seq]) {
                let entry = try RowDecoding.entry(row)
                let hash = try hasher.digest(prev.bytes, CanonicalEncoding.encode(seq: entry.seq, timeMs: entry.timeMs, body: entry.body, prevHash: prev))
                try db.execute(sql: "UPDATE journal SET prev_hash = ?, hash = ? WHERE seq = ?", arguments: [prev.blob, hash.blob, entry.seq])
                try db.execute(sql: "UPDATE chain_head SET seq = ?, hash = ?", arguments: [entry.seq, hash.blob])
                prev = hash
            }
        }
    }
}

import GRDB
