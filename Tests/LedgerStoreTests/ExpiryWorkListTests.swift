import Foundation
import LedgerPersistence
import LedgerCore
import LedgerFixtures
import GRDB
@testable import LedgerStore
import Testing

/// The sweep's work list and BALANCE's next lot come from the core's `ExpiryRules`, answered by
/// SQL on one snapshot; here the same rule is answered by an independent model, the journal
/// replayed into memory (`LedgerSnapshot`), and the two must agree on every resident.
@Suite("Expiry's work list and next lot, from the rule")
struct ExpiryWorkListTests {
    @Test("on a generated six-year ledger, the sweep visits exactly the residents the rule says have expired points, and BALANCE's next lot is the rule's")
    func agreesWithReplay() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ecoledger-expiry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let now: Int64 = 1_795_000_000_000
        // Sweeps rarer than the generator's usual, so that many residents have points to expire.
        let store = try LedgerGenerator.create(at: directory.appendingPathComponent("g.sqlite").path, entries: 3_000, accounts: 40,
                                               now: now, roundEvery: 300, sweepEvery: 2_900)
        defer { try? store.close() }
        var replayer = try ChainReplayer(lookup: .init(bySeq: { try store.entry(seq: $0) }, byRef: { try store.entry(ref: $0) }))
        var creditTimes: [AccountID: [Int64]] = [:]
        for seq in 1...(try store.head().seq) {
            let entry = try #require(try store.entry(seq: seq))
            try replayer.feed(entry)
            if let credit = entry.body.credit { creditTimes[credit, default: []].append(entry.timeMs) }
        }
        let memory = replayer.snapshot
        let residents = memory.accounts.values.filter { $0.kind == .resident && !$0.closed }
        #expect(residents.count >= 20)
        var everVisited = 0
        for asOf in [now - 3 * SchemeState.yearMs, now - SchemeState.yearMs, now, now + SchemeState.yearMs, now + 6 * SchemeState.yearMs] {
            let expected = try residents.filter { try ExpiryRules.expired(of: $0, asOf: asOf, in: memory) > .zero }.map(\.id).sorted { $0.rawValue < $1.rawValue }
            #expect(try store.residentsWithExpiredPoints(asOf: asOf) == expected, "asOf \(asOf)")
            everVisited += expected.count
        }
        #expect(everVisited > 0, "some resident must have points to expire, or the comparison proves nothing")
        var lots = 0
        for resident in residents {
            let expected = try ExpiryRules.next(of: resident, creditTimes: creditTimes[resident.id] ?? [], in: memory)
            let stored = try store.nextExpiring(resident.id)
            #expect(stored?.points == expected?.points && stored?.expiresMs == expected?.expiresMs, "\(resident.id)")
            if expected != nil { lots += 1 }
        }
        #expect(lots > 0)
        // BALANCE takes what a resident was ever credited as their balance plus their debits
        // (`ExpiryRules.totalCredited`); here it is summed from the credits themselves.
        var spenders = 0
        for resident in memory.accounts.values where resident.kind == .resident {
            let (credited, debited) = try store.pool.read { db in
                (try Int64.fetchOne(db, sql: "SELECT coalesce(sum(amount), 0) FROM journal WHERE credit = ?", arguments: [resident.id.rawValue])!,
                 try Int64.fetchOne(db, sql: CreditQueries.debited, arguments: [resident.id.rawValue])!)
            }
            #expect(try ExpiryRules.totalCredited(to: resident, totalDebited: Points(centipoints: debited)) == Points(centipoints: credited),
                    "\(resident.id)")
            if debited > 0 { spenders += 1 }
        }
        #expect(spenders >= 10, "residents who spent, expired or were closed, or the sum proves little")
    }

    @Test("credits of one millisecond expire together, so BALANCE's next lot is both, as the sweep would take them")
    func sameMillisecond() throws {
        let ledger = try TemporaryLedger(clock: { ExpiryTests.t0 })
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "2", ref: "same-1"))
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "same-2"))
        let next = try #require(try ledger.store.nextExpiring(AccountID("R-1")))
        #expect(next.points == (try Points(parsing: "54")), "36.00 and 18.00, both credited at t0")
        let account = try #require(try ledger.store.account(AccountID("R-1")))
        #expect(try ledger.store.residentsWithExpiredPoints(asOf: next.expiresMs) == [account.id])
        #expect(try ledger.store.residentsWithExpiredPoints(asOf: next.expiresMs - 1).isEmpty)
    }
}
