import LedgerCore
import LedgerPersistence
@testable import LedgerStore
import Synchronization
import Testing

@Suite("Scheme settings and earning caps")
struct SchemeCapTests {
    /// A clock the test moves by hand.
    final class TestClock: Sendable {
        let now: Mutex<Int64>
        init(_ start: Int64) { now = Mutex(start) }
        func set(_ time: Int64) { now.withLock { $0 = time } }
        var read: @Sendable () -> Int64 { { self.now.withLock { $0 } } }
    }

    /// 2026-03-01 12:00 in Manila (04:00 UTC).
    static let noonManila: Int64 = 1_772_337_600_000
    static let hour: Int64 = 3_600_000

    static func scheme(tz: Int? = nil, daily: Points?? = nil, monthly: Points?? = nil) -> LedgerRequest {
        Make.request(.setScheme(offsetMinutes: tz, dailyCap: daily, monthlyCap: monthly))
    }

    @Test("settings start at UTC+08:00 without caps, and a change keeps what it does not name")
    func settings() throws {
        let ledger = try TemporaryLedger()
        #expect(try ledger.store.scheme() == .initial)
        _ = try ledger.store.submit(Self.scheme(daily: .some(Make.points("50"))))
        _ = try ledger.store.submit(Self.scheme(tz: -210))
        let scheme = try ledger.store.scheme()
        let fifty = try Make.points("50")
        #expect(scheme.offsetMinutes == -210 && scheme.dailyCap == fifty && scheme.monthlyCap == nil)
        _ = try ledger.store.submit(Self.scheme(daily: .some(nil)))
        #expect(try ledger.store.scheme().dailyCap == nil, "none clears a cap")
        guard case .success = try ledger.store.verify() else { Issue.record("must verify"); return }
    }

    @Test("a forged time at the clock's end, with caps set, fails the audit at that entry instead of overflowing the calendar")
    func forgedTimeAtTheEnd() throws {
        let ledger = try TemporaryLedger(clock: { Self.noonManila })
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Self.scheme(daily: .some(Make.points("50")), monthly: .some(Make.points("500"))))
        let seq = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "a")).entry.seq
        for forged in [Int64.max - 1_000, Entry.latestTimeMs + 1] {
            try ledger.store.tamperJournal("UPDATE journal SET time_ms = \(forged) WHERE seq = \(seq); UPDATE chain_head SET time_ms = \(forged)")
            try ledger.store.rehashJournal(from: seq)
            guard case .failure(let failure) = try ledger.store.verify() else { Issue.record("a time of \(forged) passed the audit"); continue }
            #expect(failure.seq == seq && failure.reason.contains("after the year 9999"), "\(failure)")
        }
        try ledger.store.tamperJournal("UPDATE journal SET time_ms = \(Entry.latestTimeMs) WHERE seq = \(seq); UPDATE chain_head SET time_ms = \(Entry.latestTimeMs)")
        try ledger.store.rehashJournal(from: seq)
        guard case .success = try ledger.store.verify() else { Issue.record("the year 9999's last millisecond is a time"); return }
    }

    @Test("a drop-off over the daily cap is LIMIT_EXCEEDED with the allowance left, and the next local day starts afresh")
    func dailyCap() throws {
        let clock = TestClock(Self.noonManila)
        let ledger = try TemporaryLedger(clock: clock.read)
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Self.scheme(daily: .some(Make.points("50"))))
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "a")) // 18.00
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "b")) // 36.00
        let refused = expectLedgerError("LIMIT_EXCEEDED") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "c")) }
        #expect(refused?.message == "the daily cap is 50.00 points: R-1 may earn 14.00 more today, this drop-off is 18.00", "\(refused?.message ?? "")")
        _ = try ledger.store.submit(Make.dropoff("R-2", kg: "1", ref: "other"))
        // 23:59 in Manila is still today; midnight there (16:00 UTC) is tomorrow.
        clock.set(Self.noonManila + 12 * Self.hour - 1)
        expectLedgerError("LIMIT_EXCEEDED") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "c")) }
        clock.set(Self.noonManila + 12 * Self.hour)
        #expect(try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "c")).entry.kind == .dropoff)
        #expect(try ledger.store.balance("R-1") == Make.points("54"))
        guard case .success = try ledger.store.verify() else { Issue.record("must verify"); return }
    }

    @Test("the monthly cap counts the whole local month; reversing a drop-off does not give the allowance back")
    func monthlyCap() throws {
        let clock = TestClock(Self.noonManila)
        let ledger = try TemporaryLedger(clock: clock.read)
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Self.scheme(monthly: .some(Make.points("40"))))
        let first = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "a")).entry
        clock.set(Self.noonManila + 10 * 24 * Self.hour)
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "b"))
        _ = try ledger.store.submit(Make.reverse(first.seq, ref: "undo-a"))
        let refused = expectLedgerError("LIMIT_EXCEEDED") { _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "c")) }
        #expect(refused?.message.contains("the monthly cap is 40.00 points: R-1 may earn 4.00 more this month") == true, "\(refused?.message ?? "")")
        clock.set(1_775_001_600_000) // 2026-04-01 08:00 in Manila
        #expect(try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "c")).entry.kind == .dropoff)
        guard case .success = try ledger.store.verify() else { Issue.record("must verify"); return }
    }

    @Test("in one group commit the requests count each other's drop-offs towards the cap")
    func capWithinBatch() throws {
        let clock = TestClock(Self.noonManila)
        let ledger = try TemporaryLedger(clock: clock.read)
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Self.scheme(daily: .some(Make.points("40"))))
        let results = try ledger.store.submitBatch([
            try Make.dropoff("R-1", kg: "1", ref: "a"), try Make.dropoff("R-1", kg: "1", ref: "b"),
            try Make.dropoff("R-1", kg: "1", ref: "c"), try Make.dropoff("R-2", kg: "1", ref: "d"),
        ])
        #expect(results.map(GroupCommitTests.outcome) == ["11", "12", "LIMIT_EXCEEDED", "13"])
        guard case .success = try ledger.store.verify() else { Issue.record("must verify"); return }
    }

    @Test("the scheme's settings are judged: offsets in range, caps positive; a refused change writes nothing")
    func judged() throws {
        let ledger = try TemporaryLedger()
        expectLedgerError("BAD_ARGUMENT") { _ = try ledger.store.submit(Self.scheme(tz: 900)) }
        expectLedgerError("BAD_ARGUMENT") { _ = try ledger.store.submit(Self.scheme(daily: .some(.zero))) }
        #expect(try ledger.store.head().seq == 0)
    }

    @Test("the audit's replay counts a resident's earnings as the writer does: an entry over the cap is refused")
    func auditCountsEarnings() throws {
        let clock = TestClock(Self.noonManila)
        let ledger = try TemporaryLedger(clock: clock.read)
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Self.scheme(daily: .some(Make.points("50"))))
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "a"))
        let last = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "b")).entry
        let snapshot = try ledger.store.replayed(through: last.seq)
        #expect(try snapshot.earned(by: AccountID("R-1"), since: SchemeCalendar.dayStart(Self.noonManila, offsetMinutes: 480)) == (try Make.points("36")))
        let over = EntryBody(kind: .dropoff, debit: .issuance, credit: try AccountID("R-1"), amount: try Make.points("18"),
                             actor: last.body.actor, ref: try ClientRef("forged"),
                             attributes: ["point": "CP-1", "material": "PET", "grams": "1000", "rate": "1800"])
        let error = #expect(throws: LedgerError.self) {
            _ = try Effects.changes(of: Entry(seq: last.seq + 1, timeMs: Self.noonManila, body: over, prevHash: last.hash, hash: .zero), in: snapshot)
        }
        #expect(error?.code == "LIMIT_EXCEEDED")

        // And the audit of a file forged so: the cap lowered to 30.00 in the scheme's entry
        // (fully rehashed) makes the second drop-off one over the cap, and the audit says so there.
        let setting = try #require(try (1...last.seq).compactMap { try ledger.store.entry(seq: $0) }.first { $0.kind == .schemeSet })
        try ledger.store.tamperJournal("UPDATE journal SET attrs = replace(attrs, '\"5000\"', '\"3000\"') WHERE seq = \(setting.seq)")
        #expect(try ledger.store.entry(seq: setting.seq)?.body.attributes.values.contains("3000") == true, "the forgery took")
        try ledger.store.rehashJournal(from: setting.seq)
        try TamperDetectionTests().expectFailure(ledger, atSeq: last.seq, mentioning: "cap")
    }
}
