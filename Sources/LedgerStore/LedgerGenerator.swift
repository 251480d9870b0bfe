import LedgerCore
import LedgerCrypto
import Synchronization

/// Writes large, valid ledgers quickly, for benchmarks and scale tests: the same rules, engine
/// and hash chain as any other write, but thousands of requests per transaction.
///
/// The catalogue: material PET (18.00/kg), point CP-GEN, merchant M-GEN and residents
/// R-GEN-0 … R-GEN-(accounts−1), all with PIN 1234 (one PIN record, hashed once, shared by every
/// generated resident: these ledgers are synthetic). Then drop-offs round-robin over the
/// residents until the journal holds `entries` entries. The entries' times run over the six
/// years before now, so the scheme's five-year expiry applies: every `sweepInterval` drop-offs
/// the generator sweeps expired points as the server would (`expiry` entries), and every
/// `leaverInterval` a resident who leaves is opened, credited once and closed (their points
/// forfeited; every other one's profile then erased), and a drop-off of cans (material CAN, held for a day) is made and then posted or
/// voided in turn. So audits and benchmarks meet more than drop-offs.
public enum LedgerGenerator {
    public static let transactionSize = 5_000
    public static let leaverInterval = 10_000
    public static let sweepInterval = 50_000
    /// The generated history's length: six years of 365 days, ending now.
    public static let spanMs: Int64 = 6 * SchemeState.yearMs

    /// Creates the ledger at `path` (which must not exist) and fills it; calls `progress` with
    /// the entries written so far. Returns the store, open.
    public static func create(at path: String, entries: Int64, accounts: Int, now: Int64 = WallClock.now(),
                              leaverEvery: Int = leaverInterval, sweepEvery: Int = sweepInterval,
                              progress: (Int64) -> Void = { _ in }) throws -> LedgerStore {
        guard entries > 0 else { throw LedgerError.invalid("entries", "must be positive") }
        guard accounts > 0 else { throw LedgerError.invalid("accounts", "must be positive") }
        // Each transaction's entries share one time, set before it is written.
        let timeline = Mutex<Int64>(now - spanMs)
        let store = try LedgerStore.create(at: path, clock: { timeline.withLock { $0 } })
        let step = max(1, spanMs / entries)
        let actor = Actor(unchecked: "generator")
        let pin = try PINRecord.make(for: PIN("1234"))
        var pending: [LedgerRequest] = try [
            .setMaterial(code: MaterialCode("PET"), rate: Rate(perKilogram: Points(parsing: "18")), name: "PET", minGrams: nil, maxGrams: nil),
            .setMaterial(code: MaterialCode("CAN"), rate: Rate(perKilogram: Points(parsing: "12")), name: "Cans", minGrams: nil, maxGrams: nil,
                         holdMs: .some(86_400_000)),
            .addPoint(id: PointID("CP-GEN"), name: "Generated point", district: nil),
            .openAccount(.init(id: AccountID("M-GEN"), kind: .merchant, name: "Generated merchant")),
        ].map { LedgerRequest(actor: actor, command: $0) }
        for index in 0..<accounts {
            pending.append(LedgerRequest(actor: actor, command: .openAccount(.init(
                id: try AccountID("R-GEN-\(index)"), kind: .resident, name: "Resident \(index)", pin: pin))))
        }
        var written: Int64 = 0
        var next = 0
        func flush() throws {
            for result in try store.submitBatch(pending) { _ = try result.get() }
            written += Int64(pending.count)
            pending.removeAll(keepingCapacity: true)
            // The next transaction's time: as far into the span as the journal is into its entries.
            timeline.withLock { $0 = now - spanMs + min(written, entries) * step }
            progress(written)
        }
        func room(_ count: Int) -> Bool { written + Int64(pending.count + count) <= entries }
        while written + Int64(pending.count) < entries {
            if pending.count >= transactionSize { try flush(); continue }
            let grams = Grams(Int64(1000 + next % 9000))
            pending.append(LedgerRequest(actor: actor, command: .dropoff(.init(
                account: try AccountID("R-GEN-\(next % accounts)"), point: try PointID("CP-GEN"), material: try MaterialCode("PET"),
                grams: grams, ref: try ClientRef("gen-\(next)")))))
            next += 1
            if next % leaverEvery == 0, room(2) {
                // A held drop-off, decided at once in the next transaction (well within its day).
                try flush()
                let receipt = try store.submit(LedgerRequest(actor: actor, command: .dropoff(.init(
                    account: try AccountID("R-GEN-\(next % accounts)"), point: try PointID("CP-GEN"), material: try MaterialCode("CAN"),
                    grams: Grams(3_000), ref: try ClientRef("gen-can-\(next / leaverEvery)")))))
                written += 1
                pending.append(LedgerRequest(actor: actor, command: (next / leaverEvery) % 2 == 0
                    ? .postHold(dropoff: receipt.entry.seq) : .voidHold(dropoff: receipt.entry.seq, reason: "not cans")))
            }
            if next % leaverEvery == 0, room(3) {
                let leaver = try AccountID("R-GEN-LEFT-\(next / leaverEvery)")
                var commands: [LedgerCommand] = [
                    .openAccount(.init(id: leaver, kind: .resident, name: "Resident who left", district: "Generated district")),
                    .dropoff(.init(account: leaver, point: try PointID("CP-GEN"), material: try MaterialCode("PET"),
                                   grams: Grams(2_000), ref: try ClientRef("gen-left-\(next / leaverEvery)"))),
                    .closeAccount(account: leaver, reason: "moved away"),
                ]
                // Every other one asks for their personal data to be erased.
                if (next / leaverEvery) % 2 == 1, room(4) { commands.append(.eraseAccount(account: leaver, reason: "resident's request")) }
                pending += commands.map { LedgerRequest(actor: actor, command: $0) }
            }
            if next % sweepEvery == 0 {
                // The sweep goes into a transaction of its own, at its as_of time.
                try flush()
                let asOf = timeline.withLock { $0 }
                for resident in try store.residentsWithExpiredPoints(asOf: asOf) where room(1) {
                    pending.append(LedgerRequest(actor: actor, command: .expire(account: resident, asOf: asOf)))
                }
                if !pending.isEmpty { try flush() }
            }
        }
        if !pending.isEmpty { try flush() }
        return store
    }
}
