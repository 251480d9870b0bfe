import LedgerCore
import LedgerPersistence
@testable import LedgerStore
import Testing

@Suite("Redemptions, donations and settlements")
struct SpendingTests {
    func funded() throws -> TemporaryLedger {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "20", ref: "fund")) // 360.00 points
        return ledger
    }

    @Test("a redemption with the right PIN moves points from the resident to the merchant")
    func redeem() throws {
        let ledger = try funded()
        let receipt = try ledger.store.submit(Make.redeem("R-1", "100.5", ref: "pos-1"))
        #expect(receipt.entry.kind == .redemption)
        #expect(try ledger.store.balance("R-1") == Make.points("259.50"))
        #expect(try ledger.store.balance("M-1") == Make.points("100.50"))
    }

    @Test("a redemption above the balance is INSUFFICIENT_POINTS; below a biller's minimum is LIMIT_EXCEEDED")
    func redeemLimits() throws {
        let ledger = try funded()
        expectLedgerError("INSUFFICIENT_POINTS") { _ = try ledger.store.submit(Make.redeem("R-1", "360.01", ref: "a")) }
        expectLedgerError("LIMIT_EXCEEDED") { _ = try ledger.store.submit(Make.redeem("R-1", "199.99", at: "M-BILL", ref: "b")) }
        _ = try ledger.store.submit(Make.redeem("R-1", "200", at: "M-BILL", ref: "c"))
        expectLedgerError("BAD_ARGUMENT") { _ = try ledger.store.submit(Make.redeem("R-1", "1", at: "B-1", ref: "d")) }
        expectLedgerError("NOT_FOUND") { _ = try ledger.store.submit(Make.redeem("R-1", "1", at: "M-404", ref: "e")) }
        expectLedgerError("BAD_ARGUMENT") { _ = try ledger.store.submit(Make.redeem("R-1", "0", ref: "f")) }
        #expect(try ledger.store.balance("R-1") == Make.points("160"))
    }

    @Test("wrong PINs are journaled and the fifth in a row locks redemptions until an administrator unlocks")
    func pinLock() throws {
        let ledger = try funded()
        for attempt in 1...4 {
            let error = expectLedgerError("WRONG_PIN") { _ = try ledger.store.submit(Make.redeem("R-1", "1", pin: "9999", ref: "x\(attempt)")) }
            #expect(error == .wrongPIN(account: "R-1", remaining: 5 - attempt))
        }
        // A correct PIN ends the run of failures.
        _ = try ledger.store.submit(Make.redeem("R-1", "1", ref: "ok-1"))
        #expect(try ledger.store.account(AccountID("R-1"))?.pinFailures == 0)
        for attempt in 1...5 {
            expectLedgerError("WRONG_PIN") { _ = try ledger.store.submit(Make.redeem("R-1", "1", pin: "0000", ref: "y\(attempt)")) }
        }
        let account = try #require(try ledger.store.account(AccountID("R-1")))
        #expect(account.locked)
        expectLedgerError("LOCKED") { _ = try ledger.store.submit(Make.redeem("R-1", "1", ref: "z-1")) }
        expectLedgerError("LOCKED") { _ = try ledger.store.submit(Make.donate("R-1", "1", ref: "z-2")) }
        // Drop-offs still credit a locked resident.
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "z-3"))
        _ = try ledger.store.submit(Make.request(.unlock(account: AccountID("R-1"))))
        _ = try ledger.store.submit(Make.redeem("R-1", "1", ref: "z-4"))
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.request(.unlock(account: AccountID("R-1")))) }
        // 4 + 5 rejected PINs were journaled as entries of their own.
        let rejected = try (1...(try ledger.store.head().seq)).compactMap { try ledger.store.entry(seq: $0) }.filter { $0.kind == .pinRejected }
        #expect(rejected.count == 9)
        if case .success = try ledger.store.verify() {} else { Issue.record("the ledger should verify") }
    }

    @Test("a changed PIN replaces the old one; residents without a PIN cannot spend")
    func pinChange() throws {
        let ledger = try funded()
        _ = try ledger.store.submit(Make.request(.changePIN(account: AccountID("R-1"), pin: Make.pin("87654321"))))
        expectLedgerError("WRONG_PIN") { _ = try ledger.store.submit(Make.redeem("R-1", "1", ref: "a")) }
        _ = try ledger.store.submit(Make.redeem("R-1", "1", pin: "87654321", ref: "b"))
        _ = try ledger.store.submit(Make.request(.openAccount(.init(id: AccountID("R-NOPIN"), kind: .resident, name: "No PIN"))))
        _ = try ledger.store.submit(Make.dropoff("R-NOPIN", kg: "1", ref: "c"))
        expectLedgerError("FORBIDDEN") { _ = try ledger.store.submit(Make.redeem("R-NOPIN", "1", ref: "d")) }
        expectLedgerError("BAD_ARGUMENT") {
            _ = try ledger.store.submit(Make.request(.changePIN(account: AccountID("M-1"), pin: Make.pin("1234"))))
        }
    }

    @Test("donations go from a resident to a beneficiary pool only")
    func donate() throws {
        let ledger = try funded()
        _ = try ledger.store.submit(Make.donate("R-1", "60", ref: "d-1"))
        #expect(try ledger.store.balance("B-1") == Make.points("60"))
        expectLedgerError("BAD_ARGUMENT") { _ = try ledger.store.submit(Make.donate("R-1", "1", to: "M-1", ref: "d-2")) }
        expectLedgerError("INSUFFICIENT_POINTS") { _ = try ledger.store.submit(Make.donate("R-1", "300.01", ref: "d-3")) }
        expectLedgerError("WRONG_PIN") { _ = try ledger.store.submit(Make.donate("R-1", "1", pin: "1111", ref: "d-4")) }
    }

    @Test("a settlement retires a merchant's points into sys:settlement, never more than it holds")
    func settle() throws {
        let ledger = try funded()
        _ = try ledger.store.submit(Make.redeem("R-1", "100", ref: "pos-1"))
        expectLedgerError("INSUFFICIENT_POINTS") { _ = try ledger.store.submit(Make.settle("M-1", "100.01", ref: "s-1")) }
        expectLedgerError("BAD_ARGUMENT") { _ = try ledger.store.submit(Make.settle("R-1", "1", ref: "s-2")) }
        _ = try ledger.store.submit(Make.settle("M-1", "100", ref: "s-3"))
        #expect(try ledger.store.balance("M-1") == .zero)
        #expect(try ledger.store.balance("sys:settlement") == Make.points("100"))
        #expect(try ledger.store.balance("sys:issuance") == Make.points("-360"))
    }
}

@Suite("PIN checks done before the writer")
struct PINCheckTests {
    func funded() throws -> TemporaryLedger {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "20", ref: "fund"))
        return ledger
    }

    func spend(_ pin: String, _ check: LedgerCommand.PINCheck, ref: String) throws -> LedgerRequest {
        Make.request(.redeem(.init(account: try AccountID("R-1"), payee: try AccountID("M-1"), amount: try Make.points("1"),
                                   pin: try PIN(pin), ref: try ClientRef(ref), pinCheck: check)))
    }

    @Test("a check against the current record is used as is: matched pays, rejected is a journaled WRONG_PIN")
    func currentRecord() throws {
        let ledger = try funded()
        let record = try #require(try ledger.store.pinRecord(AccountID("R-1"))).text
        _ = try ledger.store.submit(spend("1234", .matched(recordText: record), ref: "a"))
        expectLedgerError("WRONG_PIN") { _ = try ledger.store.submit(spend("9999", .rejected(recordText: record), ref: "b")) }
        #expect(try ledger.store.account(AccountID("R-1"))?.pinFailures == 1)
    }

    @Test("a check against a record that has since changed is ignored and the PIN is checked again")
    func staleRecord() throws {
        let ledger = try funded()
        let old = try #require(try ledger.store.pinRecord(AccountID("R-1"))).text
        _ = try ledger.store.submit(Make.request(.changePIN(account: AccountID("R-1"), pin: Make.pin("5678"))))
        // The old PIN, "matched" against the old record: the writer sees the record changed and refuses.
        expectLedgerError("WRONG_PIN") { _ = try ledger.store.submit(spend("1234", .matched(recordText: old), ref: "c")) }
        // The new PIN, "rejected" against the old record: checked again, it pays.
        _ = try ledger.store.submit(spend("5678", .rejected(recordText: old), ref: "d"))
    }
}
