import LedgerCore
import LedgerPersistence
@testable import LedgerStore
import Testing

@Suite("Idempotent retries")
struct IdempotencyTests {
    @Test("repeating a request with the same ref returns the original entry and changes nothing")
    func sequentialRetry() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        let first = try ledger.store.submit(Make.dropoff("R-1", kg: "2", ref: "kiosk-1-42"))
        let head = try ledger.store.head()
        for _ in 1...3 {
            let again = try ledger.store.submit(Make.dropoff("R-1", kg: "2", ref: "kiosk-1-42"))
            #expect(again.replayed)
            #expect(again.entry == first.entry)
        }
        #expect(try ledger.store.head() == head)
        #expect(try ledger.store.balance("R-1") == Make.points("36"))
    }

    @Test("every kind of transfer replays on retry", arguments: ["redeem", "donate", "settle", "reverse"])
    func everyKindReplays(kind: String) throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "20", ref: "fund"))
        let purchase = try ledger.store.submit(Make.redeem("R-1", "50", ref: "setup-redeem")).entry
        let request: LedgerRequest = switch kind {
        case "redeem": try Make.redeem("R-1", "10", ref: "r")
        case "donate": try Make.donate("R-1", "10", ref: "r")
        case "settle": try Make.settle("M-1", "10", ref: "r")
        default: try Make.reverse(purchase.seq, reason: "undo", ref: "r")
        }
        let first = try ledger.store.submit(request)
        let head = try ledger.store.head()
        let again = try ledger.store.submit(request)
        #expect(again.replayed && again.entry == first.entry)
        #expect(try ledger.store.head() == head)
    }

    @Test("the same ref with other arguments is a CONFLICT and changes nothing")
    func conflictingRetry() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "2", ref: "k-1"))
        let head = try ledger.store.head()
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "2.001", ref: "k-1")) }
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.dropoff("R-2", kg: "2", ref: "k-1")) }
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "3", material: "SACHET", ref: "k-1")) }
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Make.redeem("R-1", "1", ref: "k-1")) }
        #expect(try ledger.store.head() == head)
    }

    @Test("a retry after a rate change still finds its original drop-off")
    func retryAfterRateChange() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        let first = try ledger.store.submit(Make.dropoff("R-1", kg: "2", ref: "k-1"))
        _ = try ledger.store.submit(Make.request(.setMaterial(code: MaterialCode("PET"), rate: Rate(perKilogram: Make.points("25")),
                                                              name: nil, minGrams: nil, maxGrams: nil)))
        let again = try ledger.store.submit(Make.dropoff("R-1", kg: "2", ref: "k-1"))
        #expect(again.replayed && again.entry.seq == first.entry.seq && again.entry.hash == first.entry.hash)
    }

    @Test("a retried redemption after a wrong PIN is not blocked by the rejected attempt")
    func retryAfterWrongPIN() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "10", ref: "fund"))
        expectLedgerError("WRONG_PIN") { _ = try ledger.store.submit(Make.redeem("R-1", "5", pin: "4321", ref: "pos-9")) }
        let ok = try ledger.store.submit(Make.redeem("R-1", "5", ref: "pos-9"))
        #expect(!ok.replayed)
    }

    @Test("the same drop-off retried concurrently from many tasks is credited exactly once")
    func racingRetries() async throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        let store = ledger.store
        let request = try Make.dropoff("R-1", kg: "3", ref: "flaky-kiosk-1")
        let receipts = try await withThrowingTaskGroup(of: WriteReceipt.self) { group in
            for _ in 0..<32 {
                group.addTask { try store.submit(request) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(receipts.count == 32)
        #expect(Set(receipts.map(\.entry.seq)).count == 1)
        #expect(Set(receipts.map(\.entry.hash)).count == 1)
        #expect(receipts.filter { !$0.replayed }.count == 1)
        #expect(try store.balance("R-1") == Make.points("54"))
        #expect(try store.head().seq == 10)
    }

    @Test("many different racing drop-offs each land once, in one gap-free chain")
    func racingDistinct() async throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        let store = ledger.store
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for _ in 0..<3 { // every request sent three times, as a retrying kiosk would
                        for n in 0..<25 { _ = try store.submit(Make.dropoff("R-\(1 + task % 2)", kg: "1", ref: "t\(task)-\(n)")) }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try store.head().seq == 9 + 200)
        #expect(try store.balance("R-1") + store.balance("R-2") == Make.points("3600"))
        guard case .success(let report) = try store.verify() else { Issue.record("should verify"); return }
        #expect(report.entries == 209)
    }
}

extension Points {
    static func + (lhs: Points, rhs: Points) throws -> Points { try lhs.adding(rhs) }
}
