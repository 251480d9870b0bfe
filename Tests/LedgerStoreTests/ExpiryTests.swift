import LedgerFixtures
import Foundation
import LedgerPersistence
import LedgerCore
@testable import LedgerStore
import Testing

@Suite("Points expire, oldest first")
struct ExpiryTests {
    static let day: Int64 = 86_400_000
    static let t0: Int64 = 1_767_225_600_000 // 2026-01-01 00:00 UTC

    static func expiry(_ ms: Int64) -> LedgerRequest {
        Make.request(.setScheme(offsetMinutes: nil, dailyCap: nil, monthlyCap: nil, expiryMs: ms))
    }

    static func expire(_ id: String, at asOf: Int64) throws -> LedgerRequest {
        Make.request(.expire(account: try AccountID(id), asOf: asOf))
    }

    @Test("spending uses the oldest lot first, and what is left of a lot expires its expiry after its credit")
    func oldestFirst() throws {
        let clock = SchemeCapTests.TestClock(Self.t0)
        let ledger = try TemporaryLedger(clock: clock.read)
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Self.expiry(30 * Self.day))
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "2", ref: "lot-1"))        // 36.00 on day 0
        clock.set(Self.t0 + 10 * Self.day)
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "lot-2"))        // 18.00 on day 10
        clock.set(Self.t0 + 15 * Self.day)
        _ = try ledger.store.submit(Make.redeem("R-1", "20", ref: "spend"))            // lot 1 keeps 16.00
        let next = try #require(try ledger.store.nextExpiring(AccountID("R-1")))
        #expect(next.points == (try Make.points("16")) && next.expiresMs == Self.t0 + 30 * Self.day)
        #expect(try ledger.store.residentsWithExpiredPoints(asOf: Self.t0 + 30 * Self.day - 1).isEmpty, "not a millisecond early")
        #expect(try ledger.store.residentsWithExpiredPoints(asOf: Self.t0 + 30 * Self.day) == [AccountID("R-1")])
        clock.set(Self.t0 + 30 * Self.day)
        let expired = try ledger.store.submit(Self.expire("R-1", at: Self.t0 + 30 * Self.day)).entry
        #expect(expired.kind == .expiry && expired.body.credit == .forfeit && expired.body.ref == nil)
        #expect(expired.body.amount == (try Make.points("16")))
        #expect(try ledger.store.balance("R-1") == Make.points("18"))
        #expect(try ledger.store.balance("sys:forfeit") == Make.points("16"))
        expectLedgerError("CONFLICT") { _ = try ledger.store.submit(Self.expire("R-1", at: Self.t0 + 30 * Self.day)) }
        clock.set(Self.t0 + 40 * Self.day)
        #expect(try ledger.store.submit(Self.expire("R-1", at: Self.t0 + 40 * Self.day)).entry.body.amount == (try Make.points("18")))
        #expect(try ledger.store.balance("R-1") == .zero)
        #expect(try ledger.store.nextExpiring(AccountID("R-1")) == nil)
        guard case .success = try ledger.store.verify() else { Issue.record("must verify"); return }
    }

    @Test("points credited back by a reversal are a new lot; the default expiry is five years")
    func reversalIsANewLot() throws {
        let clock = SchemeCapTests.TestClock(Self.t0)
        let ledger = try TemporaryLedger(clock: clock.read)
        try ledger.store.seedCatalogue()
        #expect(try ledger.store.scheme().expiryMs == 5 * 365 * Self.day)
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "2", ref: "lot-1"))
        let spend = try ledger.store.submit(Make.redeem("R-1", "36", ref: "spend")).entry
        clock.set(Self.t0 + 100 * Self.day)
        _ = try ledger.store.submit(Make.reverse(spend.seq, ref: "undo"))
        let next = try #require(try ledger.store.nextExpiring(AccountID("R-1")))
        #expect(next.expiresMs == Self.t0 + 100 * Self.day + 5 * 365 * Self.day)
    }

    @Test("an expiry entry for another amount, or as of a later time than its own, fails the replay")
    func judged() throws {
        let clock = SchemeCapTests.TestClock(Self.t0)
        let ledger = try TemporaryLedger(clock: clock.read)
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Self.expiry(Self.day))
        let credit = try ledger.store.submit(Make.dropoff("R-1", kg: "2", ref: "lot-1")).entry
        let snapshot = try ledger.store.replayed(through: credit.seq)
        func expiry(_ points: String, asOf: Int64, at time: Int64) throws -> Entry {
            Entry(seq: credit.seq + 1, timeMs: time,
                  body: EntryBody(kind: .expiry, debit: try AccountID("R-1"), credit: .forfeit, amount: try Make.points(points),
                                  actor: credit.body.actor, attributes: ["as_of": String(asOf)]),
                  prevHash: credit.hash, hash: .zero)
        }
        let later = Self.t0 + 2 * Self.day
        #expect(try Effects.changes(of: expiry("36", asOf: later, at: later), in: snapshot).count == 2, "the exact amount is accepted")
        #expect(throws: LedgerError.self) { _ = try Effects.changes(of: expiry("35", asOf: later, at: later), in: snapshot) }
        #expect(throws: LedgerError.self) { _ = try Effects.changes(of: expiry("36", asOf: later, at: later - 1), in: snapshot) }
        #expect(throws: LedgerError.self) { _ = try Effects.changes(of: expiry("36", asOf: Self.t0 + 1, at: later), in: snapshot) }
        let dayAndMore = later + Self.day + 1
        #expect(throws: LedgerError.self, "an as_of more than a day before the entry") {
            _ = try Effects.changes(of: expiry("36", asOf: later, at: dayAndMore), in: snapshot)
        }
        // A scheme_set from before expiry existed, without expiry_ms, meant the default.
        let older = Entry(seq: credit.seq + 1, timeMs: later,
                          body: EntryBody(kind: .schemeSet, actor: credit.body.actor, attributes: ["utc_offset_minutes": "480"]),
                          prevHash: credit.hash, hash: .zero)
        #expect(try Effects.changes(of: older, in: snapshot) == [.putScheme(SchemeState(offsetMinutes: 480, dailyCap: nil, monthlyCap: nil, lastSeq: credit.seq + 1))])
    }

    @Test("the first entry at or after a time is found by binary search, equal times included")
    func firstSeq() throws {
        // Times 0, 0, 10, 10, 10, 20 (ms after t0), by a clock read once per entry.
        let times: [Int64] = [0, 0, 10, 10, 10, 20]
        let index = SchemeCapTests.TestClock(0)
        let ledger = try TemporaryLedger(clock: { Self.t0 + times[Int(index.now.withLock { n in defer { n += 1 }; return n })] })
        for step in 0..<times.count {
            _ = try ledger.store.submit(Make.request(.addPoint(id: try PointID("CP-\(step)"), name: "P", district: nil)))
        }
        let probes: [Int64] = [-1, 0, 1, 10, 11, 21]
        let found = try ledger.store.pool.read { db in
            let reads = SQLReads(db: db)
            return try probes.map { try reads.firstSeq(notBefore: Self.t0 + $0) }
        }
        #expect(found == [1, 1, 3, 3, 6, 7], "7: one past the head")
    }

    @Test("durations are a whole number and a unit, from 1s to 10y, and print back the same")
    func durations() {
        #expect(SchemeState.durationMs(parsing: "5y") == 5 * 365 * Self.day)
        #expect(SchemeState.durationMs(parsing: "30d") == 30 * Self.day)
        #expect(SchemeState.durationMs(parsing: "15m") == 900_000)
        for bad in ["0s", "05d", "11y", "1.5d", "d", "5", "5w", "-1d", ""] { #expect(SchemeState.durationMs(parsing: bad) == nil, "\(bad)") }
        for text in ["5y", "30d", "12h", "15m", "10s", "36h"] {
            #expect(SchemeState.durationMs(parsing: text).map(SchemeState.durationText) == text)
        }
    }
}

@Suite("Generated ledgers")
struct GeneratorTests {
    @Test("a generated ledger spans six years and holds expiries, closures, erasures and decided holds, exactly the entries asked for, and verifies")
    func generated() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ecoledger-gen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let now: Int64 = 1_795_000_000_000
        let store = try LedgerGenerator.create(at: directory.appendingPathComponent("g.sqlite").path, entries: 3_000, accounts: 20,
                                               now: now, roundEvery: 400, sweepEvery: 500)
        defer { try? store.close() }
        #expect(try store.head().seq == 3_000)
        #expect(try store.head().timeMs <= now)
        #expect(try store.entry(seq: 1)?.timeMs == now - LedgerGenerator.spanMs)
        let kinds = Set(try store.pool.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT kind FROM journal") })
        #expect(kinds.isSuperset(of: ["dropoff", "expiry", "account_closed", "account_erased", "hold_posted", "hold_voided"]), "\(kinds)")
        guard case .success = try store.verify() else { Issue.record("a generated ledger must verify"); return }
    }
}
