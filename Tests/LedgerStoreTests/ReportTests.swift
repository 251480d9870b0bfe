import Foundation
import LedgerPersistence
import GRDB
import LedgerCore
@testable import LedgerStore
import Testing

/// The report's figures reconcile with the ledger itself: the system accounts' balances, every
/// group's sum, and a sub-span's opening.
@Suite("Reports")
struct ReportTests {
    /// Checks every identity between a whole-ledger report and the ledger's balances.
    static func reconcile(_ store: LedgerStore) throws {
        let report = try store.report(fromMs: nil, toMs: nil)
        let total = report.total
        let balances = try store.pool.read { db in
            Dictionary(grouping: try Row.fetchAll(db, sql: "SELECT id, kind, balance FROM accounts"), by: { $0[1] as String })
        }
        func sum(_ kind: String) -> Int64 { (balances[kind] ?? []).reduce(0) { $0 + ($1[2] as Int64) } }
        func balance(_ id: String) throws -> Int64 { try store.account(AccountID(id))?.balance.centipoints ?? 0 }
        #expect(total.issued.centipoints == -(try balance("sys:issuance")), "issued is what left sys:issuance")
        #expect(total.settled.centipoints == (try balance("sys:settlement")))
        #expect(total.expired.centipoints + total.forfeited.centipoints == (try balance("sys:forfeit")))
        #expect(total.redeemed.centipoints - total.settled.centipoints == sum("merchant"))
        #expect(total.donated.centipoints == sum("beneficiary"))
        #expect(total.outstanding?.centipoints == sum("resident"))
        let grams = try store.pool.read { db in
            try Int64.fetchOne(db, sql: """
                SELECT coalesce(sum(CAST(json_extract(attrs, '$.grams') AS INTEGER)), 0) FROM journal
                WHERE kind = 'dropoff' AND seq NOT IN (SELECT original_seq FROM reversals)
                  AND seq NOT IN (SELECT dropoff_seq FROM holds WHERE decision = 'voided')
                """)!
        }
        #expect(total.grams == grams, "kilograms diverted: drop-offs neither reversed nor voided")
        // Every grouping adds up to the total.
        func add(_ groups: [LedgerReport.Group], _ field: (LedgerReport.Figures) -> Int64) -> Int64 { groups.reduce(0) { $0 + field($1.figures) } }
        for groups in [report.months, report.materials, report.points, report.districts] {
            #expect(add(groups, \.grams) == total.grams && add(groups, \.dropoffs) == total.dropoffs
                    && add(groups, { $0.issued.centipoints }) == total.issued.centipoints)
        }
        for field in [\LedgerReport.Figures.redeemed, \.donated, \.settled, \.expired, \.forfeited] {
            #expect(add(report.months, { $0[keyPath: field].centipoints }) == total[keyPath: field].centipoints)
        }
        #expect(report.months.last?.figures.outstanding == total.outstanding)
        #expect(report.gramsByMonthAndMaterial.values.flatMap(\.values).reduce(0, +) == total.grams)
        // A span that starts later opens with what residents held then.
        if report.months.count >= 2 {
            let second = report.months[1]
            let start = SchemeCalendar.monthStart(report.fromMs, offsetMinutes: report.offsetMinutes)
            let later = try store.report(fromMs: SchemeCalendar.monthStart(start + 32 * 86_400_000, offsetMinutes: report.offsetMinutes), toMs: nil)
            #expect(later.months.first == second, "a later span's first month is the same month of the whole")
            #expect(later.total.outstanding == total.outstanding)
        }
    }

    @Test("a ledger of every kind of movement, over months, reconciles with its balances")
    func reconciles() throws {
        let ledger = try TemporaryLedger(clock: SteppingClock(start: 1_767_225_600_000, step: 9 * 3_600_000).read)
        let store = ledger.store
        try store.seedCatalogue()
        _ = try store.submit(Make.request(.setScheme(offsetMinutes: nil, dailyCap: nil, monthlyCap: nil, expiryMs: 40 * 86_400_000)))
        _ = try store.submit(Make.request(.setMaterial(code: MaterialCode("ALU"), rate: Rate(perKilogram: Make.points("12.5")), name: nil,
                                                       minGrams: nil, maxGrams: nil, holdMs: .some(5 * 86_400_000))))
        var dropoffs: [Int64] = []
        for step in 0..<240 {
            let resident = "R-\(1 + step % 2)"
            switch step % 8 {
            case 0, 1, 2: dropoffs.append(try store.submit(Make.dropoff(resident, kg: "\(1 + step % 7)", ref: "d-\(step)")).entry.seq)
            case 3: _ = try? store.submit(Make.dropoff(resident, kg: "2", material: "ALU", ref: "h-\(step)"))
            case 4: _ = try? store.submit(Make.redeem(resident, "5", ref: "r-\(step)"))
            case 5: _ = try? store.submit(Make.donate(resident, "1.5", ref: "g-\(step)"))
            case 6: _ = try? store.submit(Make.settle("M-1", "3", ref: "s-\(step)"))
            default:
                if let seq = dropoffs.popLast() { _ = try store.submit(Make.reverse(seq, ref: "x-\(step)")) }
                for resident in try store.residentsWithExpiredPoints(asOf: store.head().timeMs) {
                    _ = try store.submit(Make.request(.expire(account: resident, asOf: try store.head().timeMs)))
                }
                for due in try store.holdsDue(asOf: try store.head().timeMs).prefix(3) {
                    _ = try store.submit(Make.request(.voidHold(dropoff: due, reason: "not cans")))
                }
            }
        }
        _ = try store.submit(Make.request(.openAccount(.init(id: AccountID("R-9"), kind: .resident, name: "Leaver"))))
        _ = try store.submit(Make.dropoff("R-9", kg: "3", ref: "leave"))
        _ = try store.submit(Make.request(.closeAccount(account: AccountID("R-9"), reason: "moved away")))
        let report = try store.report(fromMs: nil, toMs: nil)
        #expect(report.months.count >= 3, "\(report.months.map(\.key))")
        let total = report.total
        #expect(total.expired > .zero && total.forfeited > .zero && total.redeemed > .zero && total.settled > .zero && total.donated > .zero)
        try Self.reconcile(store)
    }

    @Test("the tamper campaign's realistic ledger (holds, erasures, expiries, reversals) reconciles too")
    func realistic() throws {
        let path = try TamperCampaignTests.realisticLedger(seed: 7)
        defer { try? FileManager.default.removeItem(at: path.deletingLastPathComponent()) }
        let store = try LedgerStore.open(at: path.path, readOnly: true)
        defer { try? store.close() }
        try Self.reconcile(store)
    }

    @Test("months are local months in the scheme's offset, and dates parse strictly")
    func calendar() {
        // 2026-01-31T16:00Z is 2026-02-01 00:00 in Manila (+08:00).
        #expect(LedgerReport.monthKey(1_769_875_200_000, offsetMinutes: 480) == "2026-02")
        #expect(LedgerReport.monthKey(1_769_875_200_000, offsetMinutes: 0) == "2026-01")
        #expect(LedgerReport.dayKey(1_769_875_200_000, offsetMinutes: 480) == "2026-02-01" && LedgerReport.dayKey(1_769_875_200_000, offsetMinutes: 0) == "2026-01-31")
        #expect(CivilDate.days(year: 2026, month: 1, day: 1) == 20_454)
        #expect(CivilDate.parse("2026-02-29") == nil && CivilDate.parse("2026-2-01") == nil && CivilDate.parse("2024-02-29")?.day == 29)
    }
}
