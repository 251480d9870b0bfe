import LedgerFixtures
import Foundation
import LedgerPersistence
import LedgerCore
import LedgerCrypto
@testable import LedgerStore
import LedgerTransparency
import Testing

/// The audit reads every stored value as strictly as the journal's columns: its SQLite storage
/// class, its range as the schema's CHECK constraints give it, booleans 0 or 1 only. A value
/// that breaks this is malformed, reported at the row's own `last_seq` (0 when that is not an
/// integer), never read as whatever SQLite would make of it. Each tampering here passed, was
/// misreported or stopped the audit without a seq before (issue 18, item 17).
@Suite("Strict reading of stored values")
struct StrictProjectionTests {
    /// The example ledger (entries 1–14), then resident R-0002 opened (15), closed (16) and
    /// erased (17), and point CP-OLD added (18) and closed (19).
    static func ledger() throws -> TemporaryLedger {
        let ledger = try TemporaryLedger(clock: ExampleLedger.clock())
        try ExampleLedger.populate(ledger.store)
        let commands: [LedgerCommand] = try [
            .openAccount(.init(id: AccountID("R-0002"), kind: .resident, name: "Maria Clara", district: "Payatas")),
            .closeAccount(account: AccountID("R-0002"), reason: "moved away"),
            .eraseAccount(account: AccountID("R-0002"), reason: "resident's request"),
            .addPoint(id: PointID("CP-OLD"), name: "Old hall", district: nil),
            .closePoint(id: PointID("CP-OLD")),
        ]
        for command in commands { _ = try ledger.store.submit(Make.request(command)) }
        guard case .success = try ledger.store.verify() else { throw StoreError.corrupt("the untouched ledger must verify") }
        return ledger
    }

    /// Tampers as the file's owner could, CHECK constraints and the journal's triggers off.
    static func tamper(_ store: LedgerStore, _ sql: String) throws {
        try store.tamperJournal("PRAGMA ignore_check_constraints = ON;\n\(sql)")
    }

    static func expectFailure(_ store: LedgerStore, atSeq seq: Int64, mentioning texts: [String],
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        switch try store.verify() {
        case .success(let report):
            Issue.record("the tampering passed the audit (\(report.entries) entries)", sourceLocation: sourceLocation)
        case .failure(let failure):
            #expect(failure.seq == seq, "\(failure)", sourceLocation: sourceLocation)
            for text in texts { #expect(failure.reason.contains(text), "\(failure)", sourceLocation: sourceLocation) }
        }
    }

    static let tamperings: [(sql: String, seq: Int64, reason: [String])] = [
        // A number followed by letters was read as the number.
        ("UPDATE accounts SET balance = CAST(balance AS TEXT) || 'x' WHERE id = 'R-0001'", 13,
         ["account row is malformed", "balance is not an integer (it is TEXT)"]),
        // A boolean other than 0 or 1 was read as true.
        ("UPDATE accounts SET erased = 2 WHERE id = 'R-0002'", 17, ["account row is malformed", "erased 2 is neither 0 nor 1"]),
        ("UPDATE accounts SET closed = 2 WHERE id = 'R-0002'", 17, ["account row is malformed", "closed 2 is neither 0 nor 1"]),
        ("UPDATE points SET active = -1 WHERE id = 'CP-BATASAN'", 3, ["point row is malformed", "active -1 is neither 0 nor 1"]),
        // A last_seq that is no integer was read as 0 and reported as a difference at the replay's seq.
        ("UPDATE materials SET last_seq = 'x' WHERE code = 'PET'", 0, ["material row is malformed", "last_seq is not an integer"]),
        ("UPDATE tokens SET last_seq = -3 WHERE id = 'tok-audit-1'", 0, ["token row is malformed", "last_seq -3 is out of range"]),
        // A profile's text stored as a BLOB was read as text.
        ("UPDATE profiles SET name = CAST(name AS BLOB) WHERE account = 'R-0001'", 13,
         ["account row is malformed", "profile name is not text (it is blob)"]),
        // A REAL was truncated to an integer.
        ("UPDATE materials SET rate = 1800.5 WHERE code = 'PET'", 1, ["material row is malformed", "rate is not an integer (it is REAL)"]),
        // Outside the schema's CHECK ranges.
        ("UPDATE accounts SET balance = -1 WHERE id = 'M-MERALCO'", 6, ["account row is malformed", "balance -1 is out of range"]),
        ("UPDATE materials SET hold_ms = 5 WHERE code = 'SACHET'", 2, ["material row is malformed", "hold_ms is out of range"]),
        ("UPDATE tokens SET role = 'resident' WHERE id = 'tok-audit-1'", 14, ["token row is malformed", "role is not a token's role"]),
        ("UPDATE tokens SET secret_hash = hex(secret_hash) WHERE id = 'tok-audit-1'", 14,
         ["token row is malformed", "secret_hash is not a blob (it is TEXT)"]),
        ("UPDATE reversals SET reversal_seq = '13x'", 0, ["reversal of entry row is malformed", "reversal_seq is not an integer"]),
        // The stored head: text that starts with the right number.
        ("UPDATE chain_head SET seq = '19x'", 19, ["chain_head row is malformed", "seq is not an integer"]),
        ("INSERT INTO chain_head (id, seq, hash, time_ms) SELECT 2, seq, hash, time_ms FROM chain_head", 19,
         ["chain_head row is malformed", "more than one"]),
    ]

    @Test("a value of the wrong storage class or outside its range is malformed, at the row's own last_seq", arguments: tamperings.indices)
    func malformedValue(index: Int) throws {
        let (sql, seq, reason) = Self.tamperings[index]
        let ledger = try Self.ledger()
        try Self.tamper(ledger.store, sql)
        try Self.expectFailure(ledger.store, atSeq: seq, mentioning: reason)
    }

    @Test("text is read as its stored bytes: a name with a NUL byte differs from the journal's")
    func textBehindNUL() throws {
        let ledger = try Self.ledger()
        try Self.tamper(ledger.store, "UPDATE points SET name = name || char(0) || 'hidden' WHERE id = 'CP-BATASAN'")
        try Self.expectFailure(ledger.store, atSeq: 3, mentioning: ["point CP-BATASAN differs"])
    }

    @Test("a scheme row with an id other than 1, or a cap of 0, is malformed")
    func schemeRow() throws {
        for sql in ["UPDATE scheme SET id = 2", "UPDATE scheme SET daily_cap = 0"] {
            let ledger = try Self.ledger()
            let seq = try ledger.store.submit(Make.request(.setScheme(offsetMinutes: 480, dailyCap: .some(Points(centipoints: 5000)),
                                                                     monthlyCap: nil))).entry.seq
            try Self.tamper(ledger.store, sql)
            try Self.expectFailure(ledger.store, atSeq: seq, mentioning: ["scheme row is malformed"])
        }
    }

    @Test("a checkpoint row whose root is TEXT is reported at its size, not as an error without a seq")
    func checkpointRootAsText() throws {
        let ledger = try Self.ledger()
        let checkpoint = try TransparencyStoreTests.sign(ledger.store)
        try Self.tamper(ledger.store, """
            DROP TRIGGER checkpoints_append_only_update;
            UPDATE checkpoints SET root = hex(root);
            """)
        try Self.expectFailure(ledger.store, atSeq: checkpoint.size, mentioning: ["checkpoint 19 is malformed", "root is not a blob (it is TEXT)"])
    }

    @Test("readers go by the same rules: a boolean of 2 or a profile name stored as a BLOB is refused, not read as true or as text")
    func readersAreStrict() throws {
        let ledger = try Self.ledger()
        try Self.tamper(ledger.store, "UPDATE accounts SET erased = 2 WHERE id = 'R-0002'")
        #expect(throws: StoreError.self) { try ledger.store.account(AccountID("R-0002")) }
        try Self.tamper(ledger.store, "UPDATE profiles SET name = CAST(name AS BLOB) WHERE account = 'R-0001'")
        #expect(throws: StoreError.self) { try ledger.store.profile(AccountID("R-0001")) }
    }
}
