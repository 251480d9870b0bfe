import LedgerCore
import LedgerPersistence
@testable import LedgerStore
import Testing

@Suite("Reversals")
struct ReversalTests {
    @Test("a reversal moves the original amount back, referencing the original, at most once")
    func reverseOnce() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        let dropoff = try ledger.store.submit(Make.dropoff("R-1", kg: "2", ref: "k-1")).entry
        let reversal = try ledger.store.submit(Make.reverse(dropoff.seq, reason: "scale was wrong", ref: "rev-1")).entry
        #expect(reversal.body.debit == dropoff.body.credit)
        #expect(reversal.body.credit == dropoff.body.debit)
        #expect(reversal.body.amount == dropoff.body.amount)
        #expect(reversal.body["reverses"] == String(dropoff.seq))
        #expect(try ledger.store.balance("R-1") == .zero)
        #expect(try ledger.store.balance("sys:issuance") == .zero)
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.reverse(dropoff.seq, ref: "rev-2")) }
        expectLedgerError("BAD_ARGUMENT") { _ = try ledger.store.submit(Make.reverse(reversal.seq, ref: "rev-3")) }
    }

    @Test("a reversal that would make a resident's balance negative is INSUFFICIENT_POINTS")
    func reverseSpent() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        let dropoff = try ledger.store.submit(Make.dropoff("R-1", kg: "10", ref: "k-1")).entry
        _ = try ledger.store.submit(Make.redeem("R-1", "100", ref: "pos-1"))
        expectLedgerError("INSUFFICIENT_POINTS") { _ = try ledger.store.submit(Make.reverse(dropoff.seq, ref: "rev-1")) }
        #expect(try ledger.store.balance("R-1") == Make.points("80"))
    }

    @Test("only transfers can be reversed; unknown entries are NOT_FOUND")
    func reverseNonTransfer() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        let refused = expectLedgerError("BAD_ARGUMENT") { _ = try ledger.store.submit(Make.reverse(1, ref: "rev-1")) }
        #expect(refused?.message == "seq: entry 1 is not a transfer that can be reversed (its kind is material_set); "
                + "only drop-offs, redemptions, donations and settlements can be reversed", "\(String(describing: refused))")
        let missing = expectLedgerError("NOT_FOUND") { _ = try ledger.store.submit(Make.reverse(999, ref: "rev-2")) }
        #expect(missing?.message == "no entry 999")
    }

    @Test("redemptions, donations and settlements reverse too")
    func reverseEachKind() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "20", ref: "k-1"))
        let redemption = try ledger.store.submit(Make.redeem("R-1", "50", ref: "p-1")).entry
        let donation = try ledger.store.submit(Make.donate("R-1", "10", ref: "d-1")).entry
        let settlement = try ledger.store.submit(Make.settle("M-1", "20", ref: "s-1")).entry
        for (index, seq) in [settlement.seq, redemption.seq, donation.seq].enumerated() {
            _ = try ledger.store.submit(Make.reverse(seq, ref: "rev-\(index)"))
        }
        #expect(try ledger.store.balance("R-1") == Make.points("360"))
        #expect(try ledger.store.balance("M-1") == .zero)
        #expect(try ledger.store.balance("sys:settlement") == .zero)
        guard case .success = try ledger.store.verify() else { Issue.record("should verify"); return }
    }
}
