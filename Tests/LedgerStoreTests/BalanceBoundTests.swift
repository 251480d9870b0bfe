import LedgerCore
import LedgerPersistence
@testable import LedgerStore
import Testing

/// The bound of a balance (`Points.limit`, ±(2⁶³ − 1) centipoints), decided once: the writer
/// refuses an entry beyond it, the audit judges the same file the same way every time, and a
/// report works on any ledger the writer accepted.
@Suite("Balances at the bound")
struct BalanceBoundTests {
    /// A ledger whose sys:issuance is driven to exactly −(2⁶³ − 1) centipoints by absurd rates
    /// (each gram at the highest rate issues ⌊(2⁶³ − 1) ÷ 1000⌋ centipoints), over two residents.
    static func atTheBound() throws -> TemporaryLedger {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.request(.setMaterial(code: MaterialCode("GOLD"), rate: Rate(perKilogram: Points.limit), name: "Gold",
                                                              minGrams: Grams(1), maxGrams: nil)))
        let requests = try (0..<1000).map { n in try Make.dropoff(n % 2 == 0 ? "R-1" : "R-2", kg: "0.001", material: "GOLD", ref: "g-\(n)") }
        for result in try ledger.store.submitBatch(requests) { _ = try result.get() }
        // What is left below the bound (807 centipoints), as 1 kg of a material worth exactly that.
        let left = Int64.max + (try ledger.store.balance("sys:issuance")).centipoints
        #expect(left == Int64.max - 1000 * (Int64.max / 1000))
        _ = try ledger.store.submit(Make.request(.setMaterial(code: MaterialCode("DUST"), rate: Rate(perKilogram: Points(centipoints: left)),
                                                              name: "Dust", minGrams: Grams(1), maxGrams: nil)))
        _ = try ledger.store.submit(Make.dropoff("R-2", kg: "1", material: "DUST", ref: "dust"))
        return ledger
    }

    @Test("the writer takes sys:issuance down to −(2⁶³ − 1) centipoints and refuses one centipoint more, with LIMIT_EXCEEDED")
    func writerRefusesBeyondTheBound() throws {
        let ledger = try Self.atTheBound()
        #expect(try ledger.store.balance("sys:issuance").centipoints == -Int64.max)
        let head = try ledger.store.head()
        _ = try ledger.store.submit(Make.request(.setMaterial(code: MaterialCode("CRUMB"), rate: Rate(perKilogram: Points(centipoints: 1)),
                                                              name: "Crumbs", minGrams: Grams(1000), maxGrams: nil)))
        let refused = expectLedgerError("LIMIT_EXCEEDED") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", material: "CRUMB", ref: "one-more")) }
        #expect(refused?.message.contains("does not fit in a balance") == true, "\(String(describing: refused))")
        #expect(try ledger.store.head().seq == head.seq + 1, "nothing refused was written")
        #expect(try ledger.store.balance("sys:issuance").centipoints == -Int64.max)
    }

    @Test("a ledger at the bound audits OK every time, and its report's figures are exact")
    func auditAndReportAtTheBound() throws {
        let ledger = try Self.atTheBound()
        for _ in 0..<20 {
            guard case .success = try ledger.store.verify() else { Issue.record("a ledger the writer accepted must verify"); return }
        }
        let report = try ledger.store.report(fromMs: nil, toMs: nil)
        #expect(report.total.issued.centipoints == Int64.max)
        #expect(report.total.outstanding?.centipoints == Int64.max)
        #expect(report.total.dropoffs == 1001)
    }

    @Test("the balance check's verdict does not depend on the order accounts are visited, and never overflows")
    func invariantIsDeterministic() throws {
        // A forged state: sys:issuance at −2⁶³ (beyond the bound) against two residents whose
        // balances sum past Int64.max: summing them first in 64 bits would overflow.
        func snapshot(_ order: [Int]) throws -> LedgerSnapshot {
            var snapshot = LedgerSnapshot(lookup: .init(bySeq: { _ in nil }, byRef: { _ in nil }))
            let accounts = try [
                AccountState(id: .issuance, kind: .system, name: nil, balance: Points(centipoints: .min)),
                AccountState(id: AccountID("R-1"), kind: .resident, name: nil, balance: Points(centipoints: .max)),
                AccountState(id: AccountID("R-2"), kind: .resident, name: nil, balance: Points(centipoints: 1)),
            ]
            for index in order { snapshot.accounts[accounts[index].id] = accounts[index] }
            return snapshot
        }
        let verdicts = try Set([[0, 1, 2], [1, 2, 0], [2, 1, 0], [1, 0, 2], [0, 2, 1], [2, 0, 1]].flatMap { order in
            try (0..<5).map { _ in try snapshot(order).invariantViolation() }
        })
        #expect(verdicts == ["account sys:issuance has a balance beyond ±\(Points.limit)"])
        // Within the bound, no order overflows either: Σ = 0.
        var fine = try snapshot([0, 1, 2])
        fine.accounts[.issuance] = AccountState(id: .issuance, kind: .system, name: nil, balance: Points(centipoints: -Int64.max))
        fine.accounts[try AccountID("R-2")] = nil
        #expect(fine.invariantViolation() == nil)
    }
}
