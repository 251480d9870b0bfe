import LedgerCore
import LedgerCrypto

/// Writes large, valid ledgers quickly, for benchmarks and scale tests: the same rules, engine
/// and hash chain as any other write, but thousands of requests per transaction.
///
/// The catalogue: material PET (18.00/kg), point CP-GEN, merchant M-GEN and residents
/// R-GEN-0 … R-GEN-(accounts−1), all with PIN 1234 (one PIN record, hashed once, shared by every
/// generated resident: these ledgers are synthetic). Then drop-offs round-robin over the
/// residents until the journal holds `entries` entries; every `leaverInterval` drop-offs a
/// resident who leaves is opened, credited once and closed (their points forfeited), so audits
/// and benchmarks meet more than drop-offs.
public enum LedgerGenerator {
    public static let transactionSize = 5_000
    public static let leaverInterval = 10_000

    /// Fills `store` (which must be empty); calls `progress` with the entries written so far.
    public static func generate(into store: LedgerStore, entries: Int64, accounts: Int,
                                progress: (Int64) -> Void = { _ in }) throws {
        guard try store.head().seq == 0 else { throw LedgerError.conflict("the ledger is not empty") }
        guard accounts > 0 else { throw LedgerError.invalid("accounts", "must be positive") }
        let actor = Actor(unchecked: "generator")
        let pin = try PINRecord.make(for: PIN("1234"))
        var pending: [LedgerRequest] = try [
            .setMaterial(code: MaterialCode("PET"), rate: Rate(perKilogram: Points(parsing: "18")), name: "PET", minGrams: nil, maxGrams: nil),
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
            progress(written)
        }
        while written + Int64(pending.count) < entries {
            if pending.count >= transactionSize { try flush(); continue }
            let grams = Grams(Int64(1000 + next % 9000))
            pending.append(LedgerRequest(actor: actor, command: .dropoff(.init(
                account: try AccountID("R-GEN-\(next % accounts)"), point: try PointID("CP-GEN"), material: try MaterialCode("PET"),
                grams: grams, ref: try ClientRef("gen-\(next)")))))
            next += 1
            if next % leaverInterval == 0, written + Int64(pending.count) + 3 <= entries {
                let leaver = try AccountID("R-GEN-LEFT-\(next / leaverInterval)")
                pending += [
                    .openAccount(.init(id: leaver, kind: .resident, name: "Resident who left")),
                    .dropoff(.init(account: leaver, point: try PointID("CP-GEN"), material: try MaterialCode("PET"),
                                   grams: Grams(2_000), ref: try ClientRef("gen-left-\(next / leaverInterval)"))),
                    .closeAccount(account: leaver, reason: "moved away"),
                ].map { LedgerRequest(actor: actor, command: $0) }
            }
        }
        if !pending.isEmpty { try flush() }
    }
}
