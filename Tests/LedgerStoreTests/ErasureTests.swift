import Foundation
import LedgerPersistence
import GRDB
import LedgerCore
import LedgerCrypto
@testable import LedgerStore
import Testing

/// Residents' personal data in the store: kept in `profiles`, never in the journal, erased
/// for good by `account_erased`, and checked by the audit either way.
@Suite("Profiles and erasure in the store")
struct ErasureTests {
    static let name = "Perpetua Magdangal-Villanueva"

    /// A ledger with resident R-9 (named `name`, district Payatas) opened, credited and closed.
    static func closedResident() throws -> TemporaryLedger {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.request(.openAccount(.init(id: AccountID("R-9"), kind: .resident, name: name, district: "Payatas"))))
        _ = try ledger.store.submit(Make.dropoff("R-9", kg: "2", ref: "k-9"))
        _ = try ledger.store.submit(Make.request(.closeAccount(account: AccountID("R-9"), reason: "moved away")))
        return ledger
    }

    static func erase(_ store: LedgerStore, _ id: String = "R-9") throws -> Entry {
        try store.submit(Make.request(.eraseAccount(account: AccountID(id), reason: "erasure request 2026-41"))).entry
    }

    static func fileContains(_ path: String, _ text: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        return data.range(of: Data(text.utf8)) != nil
    }

    @Test("a resident's name and district are in the profile table only: not in the journal, its export or the projection")
    func nameOutsideJournal() throws {
        let ledger = try Self.closedResident()
        let store = ledger.store
        let profile = try #require(try store.profile(AccountID("R-9")))
        #expect(profile.name == Self.name && profile.district == "Payatas")
        var exported = ""
        try store.withRowSource { try JournalExport.export(from: $0, .jsonl) { exported += $0 } }
        #expect(!exported.contains(Self.name) && !exported.contains("Payatas"))
        #expect(exported.contains(try profile.digest.hex), "the journal holds the digest")
        let row = try store.pool.read { db in try String?.fetchOne(db, sql: "SELECT name FROM accounts WHERE id = 'R-9'") }
        #expect(row == .some(nil), "the projection holds no name for it either")
        let account = try #require(try store.account(AccountID("R-9")))
        let digest = try profile.digest
        #expect(account.name == nil && account.profileDigest == digest)
        guard case .success = try store.verify() else { Issue.record("must verify"); return }
    }

    @Test("erasing deletes the profile, the audit accepts its absence, and the name's bytes leave the database and its log")
    func erasure() throws {
        let ledger = try Self.closedResident()
        let store = ledger.store
        #expect(Self.fileContains(ledger.path, Self.name) || Self.fileContains(ledger.path + "-wal", Self.name), "stored before")
        let erasure = try Self.erase(store)
        #expect(erasure.kind == .accountErased)
        #expect(try store.profile(AccountID("R-9")) == nil)
        let account = try #require(try store.account(AccountID("R-9")))
        #expect(account.erased && account.profileDigest == nil && account.lastSeq == erasure.seq)
        guard case .success = try store.verify() else { Issue.record("must verify after erasure"); return }
        #expect(!Self.fileContains(ledger.path, Self.name), "secure_delete overwrote the row")
        #expect(!Self.fileContains(ledger.path + "-wal", Self.name), "the log was checkpointed and truncated")
        // Once erased, nothing more: no second erasure, and the points stay verifiable.
        expectLedgerError("CONFLICT") { _ = try Self.erase(store) }
        #expect(try store.history(of: AccountID("R-9")).map(\.kind) == [.accountClosed, .dropoff], "its points' history stays")
    }

    @Test("a reader's older snapshot holds the scrub up; it is tried again, and then the name leaves the files")
    func scrubAfterReader() throws {
        let ledger = try TemporaryLedger(clock: SteppingClock(start: 1_767_225_600_000, step: 100).read)
        let store = ledger.store
        try store.seedCatalogue()
        _ = try store.submit(Make.request(.openAccount(.init(id: AccountID("R-9"), kind: .resident, name: Self.name, district: "Payatas"))))
        _ = try store.submit(Make.request(.closeAccount(account: AccountID("R-9"), reason: "moved away")))
        // Another connection (an audit, a backup) reads from a snapshot taken before the erasure.
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true // the read transaction spans several accesses
        let reader = try DatabaseQueue(path: ledger.path, configuration: configuration)
        try reader.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN DEFERRED")
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM profiles")
        }
        _ = try Self.erase(store)
        #expect(store.scrubPending, "the checkpoint could not complete under the reader")
        #expect(Self.fileContains(ledger.path, Self.name) || Self.fileContains(ledger.path + "-wal", Self.name))
        store.retryPendingScrub()
        #expect(store.scrubPending, "still held up")
        try reader.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
        try reader.close()
        for _ in 0..<10 { store.retryPendingScrub() } // the clock moves 0.1 s a read: a retry is due within a second
        #expect(!store.scrubPending)
        #expect(!Self.fileContains(ledger.path, Self.name) && !Self.fileContains(ledger.path + "-wal", Self.name))
        guard case .success = try store.verify() else { Issue.record("must verify"); return }
    }

    @Test("only a closed resident with a profile is erased; refusals write nothing")
    func refusals() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        let head = try ledger.store.head().seq
        expectLedgerError("CONFLICT") { _ = try Self.erase(ledger.store, "R-1") }
        expectLedgerError("BAD_ARGUMENT") { _ = try Self.erase(ledger.store, "M-1") }
        expectLedgerError("NOT_FOUND") { _ = try Self.erase(ledger.store, "R-NOPE") }
        #expect(try ledger.store.head().seq == head)
        #expect(try ledger.store.profile(AccountID("R-1"))?.name == "Juan dela Cruz")
    }

    @Test("the audit catches a profile edited (even behind a NUL byte), deleted without erasure, put back after erasure, or left without an account")
    func auditChecksProfiles() throws {
        let cases: [(String, Bool, String)] = [
            ("UPDATE profiles SET name = 'Someone Else' WHERE account = 'R-9'", false, "account R-9 differs"),
            ("UPDATE profiles SET district = NULL WHERE account = 'R-9'", false, "account R-9 differs"),
            ("UPDATE profiles SET salt = '000102030405060708090a0b0c0d0e0f' WHERE account = 'R-9'", false, "account R-9 differs"),
            ("DELETE FROM profiles WHERE account = 'R-9'", false, "account R-9 differs"),
            ("UPDATE accounts SET erased = 1 WHERE id = 'R-9'", false, "account R-9 differs"),
            // Text after a NUL byte is invisible to a C-string read: the audit reads the bytes.
            ("UPDATE profiles SET name = name || char(0) || 'hidden' WHERE account = 'R-9'", false, "row is malformed"),
            ("INSERT INTO profiles VALUES ('R-9', '101112131415161718191a1b1c1d1e1f', 'Back Again', NULL)", true, "account R-9 differs"),
            ("PRAGMA foreign_keys = OFF; INSERT INTO profiles VALUES ('R-GHOST', '101112131415161718191a1b1c1d1e1f', 'Ghost', NULL)", false,
             "profile of \"R-GHOST\" belongs to no account"),
        ]
        for (sql, afterErasure, reason) in cases {
            let ledger = try Self.closedResident()
            let last = afterErasure ? try Self.erase(ledger.store).seq : try ledger.store.account(AccountID("R-9"))!.lastSeq
            try ledger.store.tamper(sql)
            switch try ledger.store.verify() {
            case .success:
                Issue.record("not caught: \(sql)")
            case .failure(let failure):
                #expect(failure.reason.contains(reason), "\(sql) → \(failure)")
                if !reason.hasPrefix("profile of") { #expect(failure.seq == last, "\(sql) → \(failure)") }
            }
        }
    }
}
