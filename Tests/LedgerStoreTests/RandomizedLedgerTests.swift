import GRDB
import LedgerPersistence
import LedgerCore
@testable import LedgerStore
import LedgerTestSupport
import Testing

@Suite("Randomised operations")
struct RandomizedLedgerTests {
    @Test("thousands of random operations keep every invariant, and the ledger verifies", arguments: [UInt64(1), 2, 3])
    func randomOperations(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        // A minute passes per entry, so caps, days, months and expiry all come into play.
        let clock = SteppingClock(start: 1_767_225_600_000, step: 60_000)
        let ledger = try TemporaryLedger(clock: clock.read)
        let store = ledger.store
        try store.seedCatalogue()
        let residents = (1...12).map { "R-\($0)" }
        for id in residents.dropFirst(2) {
            _ = try store.submit(Make.request(.openAccount(.init(id: AccountID(id), kind: .resident, name: "Resident \(id)",
                                                                  pin: Make.pin("1234")))))
        }
        // Points last twenty minutes at first (scheme changes below may change that), so they
        // expire while residents keep earning and spending.
        _ = try store.submit(Make.request(.setScheme(offsetMinutes: nil, dailyCap: nil, monthlyCap: nil, expiryMs: 20 * 60_000)))
        let merchants = ["M-1", "M-BILL"]
        // The model: balances computed only from the receipts the store returned.
        var model: [String: Int64] = [:]
        var transfers: [Entry] = []
        var held: [Int64] = []
        var outcomes: [String: Int] = [:]
        var leavers: [AccountID] = []
        var usedRefs: [String] = []
        var sent: [LedgerRequest] = []

        for step in 0..<2_500 {
            let resident = residents.randomElement(using: &random)!
            let merchant = merchants.randomElement(using: &random)!
            let ref: String
            if !usedRefs.isEmpty, Int.random(in: 0..<20, using: &random) == 0 {
                ref = usedRefs.randomElement(using: &random)! // a reused ref, most likely with other arguments
            } else {
                ref = "ref-\(seed)-\(step)"
            }
            let amount = "\(Int.random(in: 0...250, using: &random)).\(Int.random(in: 0...99, using: &random))"
            var request: LedgerRequest
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<45:
                let material = ["PET", "SACHET", "ALU"].randomElement(using: &random)!
                request = try Make.dropoff(resident, kg: "\(Int.random(in: 0...60, using: &random)).\(Int.random(in: 0...999, using: &random))",
                                           material: material, ref: ref)
            case 45..<65:
                let pin = Int.random(in: 0..<8, using: &random) == 0 ? "9999" : "1234"
                request = try Make.redeem(resident, amount, at: merchant, pin: pin, ref: ref)
            case 65..<72:
                request = try Make.donate(resident, amount, ref: ref)
            case 72..<80:
                request = try Make.settle(merchant, amount, ref: ref)
            case 80..<88 where !transfers.isEmpty:
                request = try Make.reverse(transfers.randomElement(using: &random)!.seq, ref: ref)
            case 88..<91:
                request = Make.request(.unlock(account: try AccountID(resident)))
            case 94 where Int.random(in: 0..<4, using: &random) == 0:
                // Rare: a resident leaves (the remainder forfeited), or a merchant that may still hold
                // points; or a resident's profile is erased (refused unless closed).
                let account = Bool.random(using: &random) ? resident : merchant
                request = Int.random(in: 0..<3, using: &random) == 0
                    ? Make.request(.eraseAccount(account: try AccountID(resident), reason: "resident's request")) // refused unless closed
                    : Make.request(.closeAccount(account: try AccountID(account), reason: "leaving"))
            case 95 where Int.random(in: 0..<3, using: &random) == 0:
                // Rare: the scheme's caps change (sometimes tight enough to refuse drop-offs).
                let cap: Points?? = Bool.random(using: &random) ? .some(nil) : .some(Points(centipoints: Int64.random(in: 1_000...500_000, using: &random)))
                let expiry = Int64.random(in: 600_000...(6 * 3_600_000), using: &random)
                request = Make.request(.setScheme(offsetMinutes: Int.random(in: -720...840, using: &random), dailyCap: cap, monthlyCap: nil,
                                                  expiryMs: expiry))
            case 96:
                // The expiry sweep for one resident, as of now.
                request = Make.request(.expire(account: try AccountID(resident), asOf: clock.current))
            case 97:
                // Cans are held for a while, or not.
                let hold: Int64?? = Bool.random(using: &random) ? .some(Int64.random(in: 600_000...7_200_000, using: &random)) : .some(nil)
                request = Make.request(.setMaterial(code: try MaterialCode("ALU"), rate: Rate(perKilogram: try Make.points("12.5")),
                                                    name: nil, minGrams: nil, maxGrams: nil, holdMs: hold))
            case 98..<100 where !transfers.isEmpty:
                // Post or void some drop-off: a held one, or one that is not (NOT_FOUND), or decided already (CONFLICT).
                let seq = !held.isEmpty && Bool.random(using: &random) ? held.randomElement(using: &random)! : transfers.randomElement(using: &random)!.seq
                request = Make.request(Bool.random(using: &random) ? .postHold(dropoff: seq) : .voidHold(dropoff: seq, reason: "checked"))
            case 91..<94:
                request = Make.request(.setMaterial(code: try MaterialCode("PET"),
                                                    rate: Rate(perKilogram: Points(centipoints: Int64.random(in: 1...5_000, using: &random))),
                                                    name: nil, minGrams: nil, maxGrams: nil))
            default:
                request = try Make.dropoff(resident, kg: "1.5", material: "ALU", ref: ref)
            }
            if !sent.isEmpty, Int.random(in: 0..<10, using: &random) == 0 {
                request = sent.randomElement(using: &random)! // a kiosk's retry of an earlier request, exactly
            }
            // Now and then a resident joins, brings PET once and leaves (then asks to be erased).
            let leaver = try AccountID("R-L\(step / 500)")
            switch step % 500 {
            case 250: request = Make.request(.openAccount(.init(id: leaver, kind: .resident, name: "Leaver \(step / 500)", district: "Payatas")))
            case 251: request = try Make.dropoff(leaver.rawValue, kg: "2", ref: "leaver-\(step)")
            case 252: request = Make.request(.closeAccount(account: leaver, reason: "moved away"))
            default: break
            }
            if let leaver = leavers.popLast() {
                // A resident who left asks for their personal data to be erased.
                request = Make.request(.eraseAccount(account: leaver, reason: "resident's request"))
            }
            sent.append(request)
            do {
                let receipt = try store.submit(request)
                outcomes[receipt.replayed ? "replayed" : "ok", default: 0] += 1
                if let ref = receipt.entry.body.ref?.rawValue, !receipt.replayed { usedRefs.append(ref) }
                if receipt.entry.kind.movesPointsWithoutRef, !receipt.replayed, let debit = receipt.entry.body.debit,
                   let credit = receipt.entry.body.credit {
                    model[debit.rawValue, default: 0] -= receipt.entry.body.amount.centipoints
                    model[credit.rawValue, default: 0] += receipt.entry.body.amount.centipoints
                    outcomes[receipt.entry.kind.rawValue, default: 0] += 1
                }
                if receipt.entry.kind == .accountClosed, !receipt.replayed, let id = receipt.entry.body["account"], id.hasPrefix("R-") {
                    leavers.append(try AccountID(id))
                }
                if receipt.entry.kind == .accountErased { outcomes["account_erased", default: 0] += 1 }
                if receipt.entry.kind == .dropoff, !receipt.replayed, try store.hold(receipt.entry.seq) != nil { held.append(receipt.entry.seq) }
                if receipt.entry.kind.isTransfer, !receipt.replayed {
                    let body = receipt.entry.body
                    model[body.debit!.rawValue, default: 0] -= body.amount.centipoints
                    model[body.credit!.rawValue, default: 0] += body.amount.centipoints
                    if body.kind.isReversible { transfers.append(receipt.entry) }
                }
            } catch let error as LedgerError {
                outcomes[error.code, default: 0] += 1
            }
        }

        // Every kind of outcome happened, so the run exercised the rules, not just the happy path.
        for code in ["ok", "replayed", "CONFLICT", "INSUFFICIENT_POINTS", "LIMIT_EXCEEDED", "WRONG_PIN", "expiry", "hold_voided"] {
            #expect(outcomes[code, default: 0] > 0, "no \(code) in \(outcomes)")
        }
        // Each resident who left was erased the step after, and only they were.
        let (closedResidents, erasures) = try store.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM accounts WHERE kind = 'resident' AND closed = 1")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM journal WHERE kind = 'account_erased'")!)
        }
        #expect(erasures == closedResidents && erasures == outcomes["account_erased", default: 0], "\(outcomes)")
        #expect(erasures > 0)
        // Invariants, read straight from the stored table.
        let (sum, negatives) = try store.pool.read { db in
            (try Int64.fetchOne(db, sql: "SELECT sum(balance) FROM accounts")!,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM accounts WHERE kind != 'system' AND balance < 0")!)
        }
        #expect(sum == 0)
        #expect(negatives == 0)
        // The stored balances equal the model built from receipts alone.
        for (id, expected) in model {
            #expect(try store.balance(id).centipoints == expected, "balance of \(id)")
        }
        guard case .success(let report) = try store.verify() else { Issue.record("the ledger should verify"); return }
        #expect(report.head == (try store.head()))
    }

    @Test("thousands of tiny drop-offs neither create nor lose a centipoint in rounding")
    func tinyDropoffs() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.request(.setMaterial(code: MaterialCode("TINY"), rate: Rate(perKilogram: Make.points("0.07")),
                                                              name: "Tiny", minGrams: nil, maxGrams: nil)))
        var expected: Int64 = 0
        for n in 0..<2_000 {
            let grams = Int64(143 + n % 50) // 143 g × 7 c/kg = 1.001 c → 1 c
            expected += grams * 7 / 1000
            _ = try ledger.store.submit(Make.dropoff("R-\(1 + n % 2)", kg: Grams(grams).kilograms, material: "TINY", ref: "t-\(n)"))
        }
        let total = try ledger.store.balance("R-1").centipoints + ledger.store.balance("R-2").centipoints
        #expect(total == expected)
        #expect(try ledger.store.balance("sys:issuance").centipoints == -expected)
        guard case .success = try ledger.store.verify() else { Issue.record("should verify"); return }
    }
}
