import LedgerCore
import LedgerPersistence
import GRDB
@testable import LedgerStore
import Testing

@Suite("Held credits")
struct HoldTests {
    static let hour: Int64 = 3_600_000

    static func holdCans(_ ms: Int64?) throws -> LedgerRequest {
        Make.request(.setMaterial(code: try MaterialCode("ALU"), rate: Rate(perKilogram: try Make.points("12.5")), name: nil,
                                  minGrams: nil, maxGrams: nil, holdMs: .some(ms)))
    }

    @Test("a held drop-off credits the resident as pending, not spendable, until posted; each decision happens once")
    func pendingThenPosted() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Self.holdCans(7 * 24 * Self.hour))
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "free"))                  // 18.00, PET: no hold
        let held = try ledger.store.submit(Make.dropoff("R-1", kg: "4", material: "ALU", ref: "held")).entry // 50.00 held
        let account = try #require(try ledger.store.account(AccountID("R-1")))
        let (sixtyEight, fifty) = (try Make.points("68"), try Make.points("50"))
        #expect(account.balance == sixtyEight && account.pending == fifty)
        let hold = try #require(try ledger.store.hold(held.seq))
        #expect(hold.untilMs == held.timeMs + 7 * 24 * Self.hour && hold.decision == nil)
        let refused = expectLedgerError("INSUFFICIENT_POINTS") { _ = try ledger.store.submit(Make.redeem("R-1", "20", ref: "too-soon")) }
        #expect(refused?.message == "R-1 has 18.00 points available (50.00 pending), 20.00 needed")
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.reverse(held.seq, ref: "rev-held")) }
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.request(.closeAccount(account: AccountID("R-1"), reason: "x"))) }
        let posted = try ledger.store.submit(Make.request(.postHold(dropoff: held.seq))).entry
        #expect(posted.kind == .holdPosted && posted.body.debit == nil)
        #expect(try ledger.store.account(AccountID("R-1"))?.pending == .zero)
        _ = try ledger.store.submit(Make.redeem("R-1", "20", ref: "now"))
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.request(.postHold(dropoff: held.seq))) }
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.request(.voidHold(dropoff: held.seq, reason: "late"))) }
        expectLedgerError("NOT_FOUND") { _ = try ledger.store.submit(Make.request(.postHold(dropoff: 10))) }
        guard case .success = try ledger.store.verify() else { Issue.record("must verify"); return }
    }

    @Test("voiding a hold takes its points back to sys:issuance; a voided drop-off cannot be reversed")
    func voided() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Self.holdCans(Self.hour))
        let held = try ledger.store.submit(Make.dropoff("R-1", kg: "4", material: "ALU", ref: "held")).entry
        let voided = try ledger.store.submit(Make.request(.voidHold(dropoff: held.seq, reason: "stones in the bag"))).entry
        let (resident, fifty) = (try AccountID("R-1"), try Make.points("50"))
        #expect(voided.kind == .holdVoided && voided.body.debit == resident && voided.body.credit == .issuance)
        #expect(voided.body.amount == fifty && voided.body.ref == nil)
        let account = try #require(try ledger.store.account(AccountID("R-1")))
        #expect(account.balance == .zero && account.pending == .zero)
        #expect(try ledger.store.balance("sys:issuance") == .zero, "the points were never issued in the end")
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.reverse(held.seq, ref: "rev")) }
        #expect(try ledger.store.holdsDue(asOf: .max).isEmpty)
        _ = try ledger.store.submit(Self.holdCans(nil))
        let free = try ledger.store.submit(Make.dropoff("R-1", kg: "4", material: "ALU", ref: "after")).entry
        #expect(try ledger.store.hold(free.seq) == nil, "hold=0 lifts the hold for later drop-offs")
        guard case .success = try ledger.store.verify() else { Issue.record("must verify"); return }
    }

    @Test("holds come due at their time, and the audit refuses a void of the wrong amount")
    func dueAndJudged() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Self.holdCans(Self.hour))
        let held = try ledger.store.submit(Make.dropoff("R-1", kg: "4", material: "ALU", ref: "held")).entry
        #expect(try ledger.store.holdsDue(asOf: held.timeMs + Self.hour - 1).isEmpty)
        #expect(try ledger.store.holdsDue(asOf: held.timeMs + Self.hour) == [held.seq])
        let snapshot = try ledger.store.replayed(through: held.seq)
        let wrong = EntryBody(kind: .holdVoided, debit: try AccountID("R-1"), credit: .issuance, amount: try Make.points("49"),
                              actor: held.body.actor, attributes: ["dropoff": String(held.seq), "reason": "x"])
        #expect(throws: LedgerError.self) {
            _ = try Effects.changes(of: Entry(seq: held.seq + 1, timeMs: held.timeMs, body: wrong, prevHash: held.hash, hash: .zero), in: snapshot)
        }
    }

    @Test("expiry counts lots only: a pending lot neither expires nor lets newer points expire, a voided one shields nothing")
    func holdsAndExpiry() throws {
        let minute: Int64 = 60_000, t0: Int64 = 1_767_225_600_000
        let clock = SchemeCapTests.TestClock(t0)
        let ledger = try TemporaryLedger(clock: clock.read)
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.request(.setScheme(offsetMinutes: nil, dailyCap: nil, monthlyCap: nil, expiryMs: 30 * minute)))
        _ = try ledger.store.submit(Self.holdCans(Self.hour))
        let pending = try ledger.store.submit(Make.dropoff("R-1", kg: "4", material: "ALU", ref: "pending")).entry // 50.00 held at t0
        clock.set(t0 + 40 * minute)
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "fresh"))                                   // 18.00 at 40 min
        #expect(try ledger.store.residentsWithExpiredPoints(asOf: t0 + 40 * minute).isEmpty, "the fresh 18.00 must not expire")
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(ExpiryTests.expire("R-1", at: t0 + 40 * minute)) }
        let next = try #require(try ledger.store.nextExpiring(AccountID("R-1")))
        #expect(next.points == (try Make.points("18")) && next.expiresMs == t0 + 70 * minute, "the pending lot is not the next to expire")
        // BALANCE takes all that was credited as the balance plus the debits: the pending lot is
        // in the balance, so it is counted once, as its credit is.
        let account = try #require(try ledger.store.account(AccountID("R-1")))
        #expect(account.pending == (try Make.points("50")))
        let (credited, debited) = try ledger.store.pool.read { db in
            (try Int64.fetchOne(db, sql: "SELECT sum(amount) FROM journal WHERE credit = 'R-1'")!,
             try Int64.fetchOne(db, sql: CreditQueries.debited, arguments: ["R-1"])!)
        }
        #expect(try ExpiryRules.totalCredited(to: account, totalDebited: Points(centipoints: debited)) == Points(centipoints: credited))
        // Voided: those points never were a lot, so the fresh 18.00 expires on time.
        _ = try ledger.store.submit(Make.request(.voidHold(dropoff: pending.seq, reason: "stones")))
        clock.set(t0 + 70 * minute)
        #expect(try ledger.store.residentsWithExpiredPoints(asOf: t0 + 70 * minute) == [AccountID("R-1")])
        #expect(try ledger.store.submit(ExpiryTests.expire("R-1", at: t0 + 70 * minute)).entry.body.amount == (try Make.points("18")))
        guard case .success = try ledger.store.verify() else { Issue.record("must verify"); return }
    }

    @Test("once a hold has run out, only the scheme's hold_action may decide it")
    func ranOut() throws {
        let t0: Int64 = 1_767_225_600_000
        let clock = SchemeCapTests.TestClock(t0)
        let ledger = try TemporaryLedger(clock: clock.read)
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Self.holdCans(Self.hour))
        let first = try ledger.store.submit(Make.dropoff("R-1", kg: "4", material: "ALU", ref: "a")).entry
        let second = try ledger.store.submit(Make.dropoff("R-1", kg: "4", material: "ALU", ref: "b")).entry
        clock.set(t0 + Self.hour)
        let refused = expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.request(.postHold(dropoff: first.seq))) }
        #expect(refused?.message.contains("it can only be voided now, as hold_action says") == true, "\(refused?.message ?? "")")
        _ = try ledger.store.submit(Make.request(.voidHold(dropoff: first.seq, reason: "ran out")))
        _ = try ledger.store.submit(Make.request(.setScheme(offsetMinutes: nil, dailyCap: nil, monthlyCap: nil, holdAction: .posted)))
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.request(.voidHold(dropoff: second.seq, reason: "late"))) }
        _ = try ledger.store.submit(Make.request(.postHold(dropoff: second.seq)))
        guard case .success = try ledger.store.verify() else { Issue.record("must verify"); return }
    }
}
