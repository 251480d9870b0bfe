import LedgerFixtures
import Foundation
import LedgerPersistence
import LedgerCore
import LedgerCrypto
@testable import LedgerStore
import LedgerTransparency
import Testing

/// What docs/LEDGER.md left out, decided (issue 18, item 18): a journal row before entry 1, a
/// table that is missing, a stored note that carries more than the log's signature, and the
/// witnesses' cosignatures (their form always; their signatures with the witnesses' keys).
@Suite("The audit where the spec was silent")
struct AuditCoverageTests {
    static let witness = try! NoteSigner(name: "witness.test/w1", kind: .cosignatureV1, seed: Array(repeating: 9, count: 32))
    static let otherWitness = try! NoteSigner(name: "witness.test/w2", kind: .cosignatureV1, seed: Array(repeating: 10, count: 32))

    func exampleLedger() throws -> TemporaryLedger {
        let ledger = try TemporaryLedger(clock: ExampleLedger.clock())
        try ExampleLedger.populate(ledger.store)
        return ledger
    }

    /// The example ledger with its checkpoint of size 14 signed and cosigned by `witness`, as
    /// the server records them.
    func cosignedLedger() throws -> (ledger: TemporaryLedger, line: SignedNote.Signature) {
        let ledger = try exampleLedger()
        let checkpoint = try TransparencyStoreTests.sign(ledger.store)
        let signature = try Cosignature.sign(SignedNote(text: checkpoint.text), by: Self.witness, time: 1_767_225_600)
        try ledger.store.recordCosignature(size: 14, witness: Self.witness.key.name, line: signature.line)
        return (ledger, signature)
    }

    // MARK: The journal and the tables

    @Test("a journal row with seq 0 (or below) is no entry: reported at its seq, as one before entry 1")
    func rowBeforeEntryOne() throws {
        for seq in [0, -5] {
            let ledger = try exampleLedger()
            try ledger.store.tamperJournal("""
                PRAGMA ignore_check_constraints = ON;
                INSERT INTO journal SELECT \(seq), time_ms, kind, debit, credit, amount, actor, ref, attrs, prev_hash, hash FROM journal WHERE seq = 1;
                """)
            expectAuditFailure(try ledger.store.verify(), atSeq: Int64(seq), mentioning: "seq \(seq) is below 1, where the journal starts")
        }
    }

    @Test("a missing table, the tree's among them, fails the audit before anything else, at seq 0", arguments: [
        "tree_hashes", "checkpoints", "cosignatures", "holds", "profiles", "chain_head",
    ])
    func missingTable(table: String) throws {
        let ledger = try exampleLedger()
        try ledger.store.tamperJournal("DROP TABLE \(table)")
        expectAuditFailure(try ledger.store.verify(), atSeq: 0, mentioning: "the table \(table) is missing")
    }

    @Test("an empty ledger without its tree table fails the audit too")
    func emptyLedgerWithoutTree() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.tamper("DROP TABLE tree_hashes")
        expectAuditFailure(try ledger.store.verify(), atSeq: 0, mentioning: "the table tree_hashes is missing")
    }

    @Test("the list of tables the audit requires is the schema's")
    func tablesAreTheSchemas() throws {
        let ledger = try TemporaryLedger()
        let tables = try ledger.store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'grdb_migrations'")
        }
        #expect(Set(tables) == Set(LedgerTables.all.map(\.name)))
    }

    // MARK: Checkpoints' notes

    @Test("a stored note that carries more than the log's signature fails at its size")
    func noteWithMoreThanTheLogsSignature() throws {
        let (ledger, line) = try cosignedLedger()
        try ledger.store.tamper("""
            DROP TRIGGER checkpoints_append_only_update;
            UPDATE checkpoints SET note = note || '\(line.line)';
            DELETE FROM cosignatures;
            """)
        expectAuditFailure(try ledger.store.verify(), atSeq: 14, mentioning: "checkpoint 14's note carries 2 signature lines")
    }

    // MARK: Cosignatures

    @Test("a well-formed cosignature passes; checked for form only without the witness's key, and its signature with it")
    func cosignatureChecked() throws {
        let (ledger, _) = try cosignedLedger()
        guard case .success(let unchecked) = try ledger.store.verify() else { Issue.record("a good cosignature passes"); return }
        #expect(unchecked.cosignatures == 1 && unchecked.cosignaturesVerified == 0)
        guard case .success(let checked) = try ledger.store.verify(witnessKeys: [Self.witness.key, Self.otherWitness.key]) else {
            Issue.record("a good cosignature passes with its witness's key"); return
        }
        #expect(checked.cosignatures == 1 && checked.cosignaturesVerified == 1)
    }

    @Test("a cosignature kept under another witness's name than its line's fails at its checkpoint's size")
    func witnessColumnMatchesLine() throws {
        let (ledger, _) = try cosignedLedger()
        try ledger.store.tamper("UPDATE cosignatures SET witness = '\(Self.otherWitness.key.name)'")
        expectAuditFailure(try ledger.store.verify(), atSeq: 14, mentioning: "is a line of \"witness.test/w1\"")
    }

    @Test("a forged cosignature fails with the witness's key (and passes on form without it)")
    func forgedCosignature() throws {
        let (ledger, line) = try cosignedLedger()
        var forged = line.payload
        forged[20] ^= 1
        let forgedLine = SignedNote.Signature(name: line.name, keyID: line.keyID, payload: forged).line
        try ledger.store.tamper("UPDATE cosignatures SET line = '\(forgedLine)'")
        guard case .success = try ledger.store.verify() else { Issue.record("form alone cannot tell a forgery"); return }
        expectAuditFailure(try ledger.store.verify(witnessKeys: [Self.witness.key]), atSeq: 14, mentioning: "does not verify")
    }

    @Test("a cosignature by a key the given witness keys do not have fails, when that witness has a key given")
    func cosignatureByAnotherKey() throws {
        let (ledger, _) = try cosignedLedger()
        let impostor = try NoteSigner(name: Self.witness.key.name, kind: .cosignatureV1, seed: Array(repeating: 11, count: 32))
        expectAuditFailure(try ledger.store.verify(witnessKeys: [impostor.key]), atSeq: 14, mentioning: "none of the witness keys given for it has")
    }

    @Test("a cosignature line that is not 76 bytes of key ID, time and signature fails at its checkpoint's size")
    func cosignatureOfTheWrongLength() throws {
        let (ledger, line) = try cosignedLedger()
        let short = SignedNote.Signature(name: line.name, keyID: line.keyID, payload: Array(line.payload.prefix(8))).line
        try ledger.store.tamper("UPDATE cosignatures SET line = '\(short)'")
        expectAuditFailure(try ledger.store.verify(), atSeq: 14, mentioning: "is not a cosignature/v1 line")
    }

    @Test("a cosignature of a size that has no checkpoint fails, even when the ledger has no checkpoint at all")
    func orphanCosignature() throws {
        let ledger = try exampleLedger()
        let checkpoint = Checkpoint(origin: TransparencyStoreTests.logSigner.key.name, size: 14, root: try ledger.store.treeHead().root)
        let line = try Cosignature.sign(SignedNote(text: checkpoint.text), by: Self.witness, time: 1_767_225_600).line
        try ledger.store.tamper("PRAGMA foreign_keys = OFF; INSERT INTO cosignatures VALUES (14, '\(Self.witness.key.name)', '\(line)')")
        expectAuditFailure(try ledger.store.verify(), atSeq: 14, mentioning: "a cosignature of size 14 has no checkpoint")
    }
}
