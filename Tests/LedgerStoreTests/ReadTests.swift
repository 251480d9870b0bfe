import LedgerCore
import LedgerPersistence
@testable import LedgerStore
import Testing

@Suite("Reading the ledger")
struct ReadTests {
    @Test("history lists an account's transfers newest first, with limit and before")
    func history() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        var seqs: [Int64] = []
        for n in 1...5 { seqs.append(try ledger.store.submit(Make.dropoff("R-1", kg: "\(n)", ref: "k-\(n)")).entry.seq) }
        _ = try ledger.store.submit(Make.dropoff("R-2", kg: "1", ref: "other"))
        seqs.append(try ledger.store.submit(Make.redeem("R-1", "10", ref: "p-1")).entry.seq)
        let all = try ledger.store.history(of: AccountID("R-1"))
        #expect(all.map(\.seq) == seqs.reversed())
        #expect(try ledger.store.history(of: AccountID("R-1"), limit: 2).map(\.seq) == Array(seqs.reversed().prefix(2)))
        #expect(try ledger.store.history(of: AccountID("R-1"), limit: 2, before: seqs[3]).map(\.seq) == [seqs[2], seqs[1]])
        #expect(try ledger.store.history(of: AccountID("M-1")).map(\.kind) == [.redemption])
        #expect(try ledger.store.history(of: AccountID("R-404")).isEmpty)
    }

    @Test("entries are found by seq and by ref; lists come sorted by id")
    func lookups() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        let receipt = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "kiosk-7"))
        #expect(try ledger.store.entry(ref: ClientRef("kiosk-7")) == receipt.entry)
        #expect(try ledger.store.entry(seq: receipt.entry.seq) == receipt.entry)
        #expect(try ledger.store.entry(seq: 999) == nil)
        #expect(try ledger.store.head().hash == receipt.entry.hash)
        _ = try ledger.store.submit(Make.request(.addPoint(id: PointID("CP-0"), name: "Market", district: nil)))
        #expect(try ledger.store.points().map(\.id.rawValue) == ["CP-0", "CP-1"])
    }
}
