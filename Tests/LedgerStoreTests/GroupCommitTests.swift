import LedgerFixtures
import LedgerCore
import LedgerPersistence
@testable import LedgerStore
import Testing

@Suite("Group commit")
struct GroupCommitTests {
    /// A mixed workload with failures in it: refused, conflicting, replayed and wrong-PIN requests.
    static func workload() throws -> [LedgerRequest] {
        var requests = try ExampleLedger.requests()
        requests += [
            try Make.dropoff("R-0001", kg: "0.5", point: "CP-BATASAN", ref: "too-light"),          // LIMIT_EXCEEDED
            try Make.dropoff("R-0001", kg: "3", point: "CP-BATASAN", ref: "k-a"),                  // ok
            try Make.dropoff("R-0001", kg: "3", point: "CP-BATASAN", ref: "k-a"),                  // replay
            try Make.dropoff("R-0001", kg: "4", point: "CP-BATASAN", ref: "k-a"),                  // CONFLICT
            try Make.redeem("R-0001", "1000", at: "M-SARISARI", ref: "too-much"),                  // INSUFFICIENT_POINTS
            try Make.redeem("R-0001", "1", at: "M-SARISARI", pin: "9999", ref: "bad-pin"),        // WRONG_PIN (journaled)
            try Make.redeem("R-0001", "5", at: "M-SARISARI", ref: "pos-ok"),                       // ok
            try Make.reverse(8, reason: "again", ref: "rev-8"),                                   // ok
            try Make.reverse(8, reason: "again", ref: "rev-8b"),                                  // CONFLICT (already reversed)
            try Make.settle("M-SARISARI", "5", ref: "set-1"),                                      // ok
        ]
        return requests
    }

    static func outcome(_ result: Result<WriteReceipt, any Error>) -> String {
        switch result {
        case .success(let receipt): "\(receipt.entry.seq)\(receipt.replayed ? " replayed" : "")"
        case .failure(let error as LedgerError): error.code
        case .failure(let error): "\(error)"
        }
    }

    @Test("batched or one at a time, the same requests give the same outcomes, entries and hashes", arguments: [1, 3, 7, 64])
    func sameChain(batchSize: Int) throws {
        let requests = try Self.workload()
        let single = try TemporaryLedger(clock: ExampleLedger.clock())
        let singleOutcomes = requests.map { request in Self.outcome(Result { try single.store.submit(request) }) }
        let batched = try TemporaryLedger(clock: ExampleLedger.clock())
        var batchedOutcomes: [String] = []
        for start in stride(from: 0, to: requests.count, by: batchSize) {
            let chunk = Array(requests[start..<min(start + batchSize, requests.count)])
            batchedOutcomes += try batched.store.submitBatch(chunk).map(Self.outcome)
        }
        #expect(batchedOutcomes == singleOutcomes)
        let head = try single.store.head()
        #expect(try batched.store.head() == head)
        for seq in 1...head.seq {
            #expect(try batched.store.entry(seq: seq) == single.store.entry(seq: seq), "entry \(seq)")
        }
        guard case .success = try batched.store.verify() else { Issue.record("the batched ledger must verify"); return }
    }

    @Test("a failing command in a batch changes nothing and does not affect its neighbours")
    func neighbours() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "10", ref: "fund")) // 180.00
        let results = try ledger.store.submitBatch([
            try Make.dropoff("R-1", kg: "1", ref: "a"),
            try Make.redeem("R-1", "500", ref: "b"),
            try Make.dropoff("R-1", kg: "1", ref: "a"),
            try Make.dropoff("R-2", kg: "1", ref: "a"),
            try Make.redeem("R-1", "1", pin: "0000", ref: "c"),
            try Make.request(.openAccount(.init(id: AccountID("R-1"), kind: .resident, name: "Dup"))),
            try Make.redeem("R-1", "100", ref: "d"),
        ])
        #expect(results.map(Self.outcome) == ["11", "INSUFFICIENT_POINTS", "11 replayed", "CONFLICT", "WRONG_PIN", "ALREADY_EXISTS", "13"])
        #expect(try ledger.store.balance("R-1") == Make.points("98"))
        #expect(try ledger.store.entry(seq: 12)?.kind == .pinRejected, "the wrong PIN is journaled even inside a batch")
        #expect(try ledger.store.head().seq == 13)
        guard case .success = try ledger.store.verify() else { Issue.record("must verify"); return }
    }

    @Test("a request the database refuses fails alone: its batch is retried one request per transaction")
    func storageFailureIsolated() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        // A stand-in for a write SQLite refuses for one request only (its row, not the rules).
        try ledger.store.pool.write { db in
            try db.execute(sql: """
                CREATE TRIGGER poison BEFORE INSERT ON journal WHEN NEW.ref = 'poison'
                BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
                """)
        }
        let results = try ledger.store.submitBatch([
            try Make.dropoff("R-1", kg: "1", ref: "before"),
            try Make.dropoff("R-1", kg: "2", ref: "poison"),
            try Make.dropoff("R-1", kg: "3", ref: "after"),
        ])
        let outcomes = results.map(Self.outcome)
        #expect(outcomes.count == 3)
        #expect(outcomes.first == "10" && outcomes.last == "11", "its neighbours are written")
        #expect(outcomes.dropFirst().first?.contains("refused by the test") == true, "\(outcomes)")
        #expect(try ledger.store.balance("R-1") == Make.points("72"), "1 kg and 3 kg at 18 points/kg, nothing for the refused 2 kg")
        #expect(try ledger.store.head().seq == 11)
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "next"))
        #expect(try ledger.store.balance("R-1") == Make.points("90"), "the writer's memory holds no trace of the refused request")
        guard case .success = try ledger.store.verify() else { Issue.record("must verify"); return }
    }

    @Test("a writer notices a ledger changed by another process and forgets what it had cached")
    func externalWriterInvalidatesCache() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "mine-1"))
        let other = try LedgerStore.open(at: ledger.path)
        defer { try? other.close() }
        _ = try other.submit(Make.dropoff("R-1", kg: "2", ref: "theirs"))
        let receipt = try ledger.store.submit(Make.dropoff("R-1", kg: "3", ref: "mine-2"))
        #expect(receipt.entry.seq == 12, "the next seq after the other writer's entry")
        #expect(try receipt.balances[AccountID("R-1")] == Make.points("108"), "the other writer's credit is counted")
        #expect(try ledger.store.submit(Make.dropoff("R-1", kg: "2", ref: "theirs")).replayed, "its ref is known")
        guard case .success = try ledger.store.verify() else { Issue.record("must verify"); return }
    }
}
