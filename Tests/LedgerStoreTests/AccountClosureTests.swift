import LedgerCore
import LedgerPersistence
@testable import LedgerStore
import Testing

@Suite("Closing accounts")
struct AccountClosureTests {
    static func close(_ id: String, reason: String = "moved away") throws -> LedgerRequest {
        Make.request(.closeAccount(account: try AccountID(id), reason: reason))
    }

    @Test("closing a resident forfeits what is left to sys:forfeit in the same entry, and the account earns nothing more")
    func residentForfeits() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "2", ref: "k-1")) // 36.00
        let dropoff = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "k-2")).entry // 18.00
        let closure = try ledger.store.submit(Self.close("R-1")).entry
        #expect(closure.kind == .accountClosed)
        #expect(try closure.body.debit == AccountID("R-1") && closure.body.credit == .forfeit)
        #expect(try closure.body.amount == Make.points("54"))
        #expect(closure.body.ref == nil && closure.body["reason"] == "moved away")
        let account = try #require(try ledger.store.account(AccountID("R-1")))
        #expect(account.closed && account.balance == .zero)
        #expect(try ledger.store.balance("sys:forfeit") == Make.points("54"))
        #expect(try ledger.store.history(of: AccountID("R-1")).first?.seq == closure.seq, "the forfeiture is in the resident's history")
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "k-3")) }
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.request(.changePIN(account: AccountID("R-1"), pin: Make.pin("9999")))) }
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.reverse(dropoff.seq, ref: "rev-1")) }
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Self.close("R-1", reason: "again")) }
        #expect(try ledger.store.head().seq == closure.seq, "nothing refused was written")
        guard case .success = try ledger.store.verify() else { Issue.record("must verify"); return }
    }

    @Test("a merchant is closed only once settled to zero; then it takes no redemptions and no new tokens")
    func merchantMustBeSettled() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "10", ref: "k-1"))
        _ = try ledger.store.submit(Make.redeem("R-1", "20", ref: "pos-1"))
        let refused = expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Self.close("M-1")) }
        #expect(refused?.message.contains("M-1 still holds 20.00 points; settle it first") == true, "\(refused?.message ?? "")")
        _ = try ledger.store.submit(Make.settle("M-1", "20", ref: "set-1"))
        let closure = try ledger.store.submit(Self.close("M-1", reason: "shop closed")).entry
        #expect(closure.body.debit == nil && closure.body.amount == .zero, "nothing to forfeit")
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.redeem("R-1", "5", ref: "pos-2")) }
        expectLedgerError("CONFLICT") {
            _ = try ledger.store.submit(Make.request(.issueToken(id: TokenID("tok-m1"), role: .merchant, point: nil,
                                                                 merchant: AccountID("M-1"), secretHash: .zero)))
        }
        #expect(try ledger.store.balance("R-1") == Make.points("160"), "the refused redemption took nothing")
        guard case .success = try ledger.store.verify() else { Issue.record("must verify"); return }
    }

    @Test("system accounts cannot be closed and unknown accounts are NOT_FOUND")
    func systemAndUnknown() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        expectLedgerError("FORBIDDEN") { _ = try ledger.store.submit(Self.close("sys:forfeit")) }
        expectLedgerError("NOT_FOUND") { _ = try ledger.store.submit(Self.close("R-NOPE")) }
    }

    @Test("an audit refuses a closure that forfeits less than the balance, or a payment into a closed account")
    func auditJudgesClosures() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "2", ref: "k-1")) // 36.00
        let closure = try ledger.store.submit(Self.close("R-1")).entry
        // The same journal, replayed with the closure's amount changed: Effects, shared by writer
        // and audit, refuses it at that entry.
        var snapshot = try ledger.store.replayed(through: closure.seq - 1)
        let short = EntryBody(kind: .accountClosed, debit: closure.body.debit, credit: .forfeit, amount: try Make.points("1"),
                              actor: closure.body.actor, attributes: closure.body.attributes)
        let shortError = #expect(throws: LedgerError.self) {
            _ = try Effects.changes(of: Entry(seq: closure.seq, timeMs: closure.timeMs, body: short, prevHash: closure.prevHash, hash: closure.hash), in: snapshot)
        }
        #expect(shortError?.message.contains("must forfeit its 36.00 points") == true, "\(shortError?.message ?? "")")
        for change in try Effects.changes(of: closure, in: snapshot) { snapshot.apply(change, seq: closure.seq) }
        let credit = EntryBody(kind: .dropoff, debit: .issuance, credit: try AccountID("R-1"), amount: try Make.points("18"),
                               actor: closure.body.actor, ref: try ClientRef("late"),
                               attributes: ["point": "CP-1", "material": "PET", "grams": "1000", "rate": "1800"])
        let creditError = #expect(throws: LedgerError.self) {
            _ = try Effects.changes(of: Entry(seq: closure.seq + 1, timeMs: closure.timeMs, body: credit, prevHash: closure.hash, hash: .zero), in: snapshot)
        }
        #expect(creditError?.message == "account R-1 is closed", "\(creditError?.message ?? "")")

        // And the audit itself, of files forged that way and fully rehashed (so that only the
        // replay can tell): a closure forfeiting 1.00 of 36.00, and a drop-off after the closure.
        let forgedShort = try TemporaryLedger()
        try forgedShort.store.seedCatalogue()
        _ = try forgedShort.store.submit(Make.dropoff("R-1", kg: "2", ref: "k-1"))
        let shortClosure = try forgedShort.store.submit(Self.close("R-1")).entry
        try forgedShort.store.tamperJournal("UPDATE journal SET amount = 100 WHERE seq = \(shortClosure.seq)")
        try forgedShort.store.rehashJournal(from: shortClosure.seq)
        try TamperDetectionTests().expectFailure(forgedShort, atSeq: shortClosure.seq, mentioning: "must forfeit its 36.00 points")

        let late = try TemporaryLedger()
        try late.store.seedCatalogue()
        _ = try late.store.submit(Make.dropoff("R-1", kg: "2", ref: "k-1"))
        let lateClosure = try late.store.submit(Self.close("R-1")).entry
        try late.store.tamperJournal("""
            INSERT INTO journal (seq, time_ms, kind, debit, credit, amount, actor, ref, attrs, prev_hash, hash)
            SELECT seq + 1, time_ms, 'dropoff', 'sys:issuance', 'R-1', 1800, actor, 'late',
                   '{"grams":"1000","material":"PET","point":"CP-1","rate":"1800"}', hash, hash FROM journal WHERE seq = \(lateClosure.seq);
            UPDATE accounts SET balance = 1800 WHERE id = 'R-1';
            UPDATE accounts SET balance = balance - 1800 WHERE id = 'sys:issuance';
            """)
        try late.store.rehashJournal(from: lateClosure.seq + 1)
        try TamperDetectionTests().expectFailure(late, atSeq: lateClosure.seq + 1, mentioning: "account R-1 is closed")
    }
}
