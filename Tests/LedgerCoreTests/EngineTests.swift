import LedgerCore
import LedgerCrypto
import Testing

/// An in-memory journal around `LedgerSnapshot`: the core's state machine with no SQL at all.
final class MemoryLedger {
    var entries: [Entry] = []
    var snapshot: LedgerSnapshot!
    let engine: LedgerEngine
    var time: Int64 = 1_000

    init() throws {
        engine = try LedgerEngine()
        snapshot = LedgerSnapshot(lookup: .init(
            bySeq: { [unowned self] seq in seq >= 1 && seq <= Int64(entries.count) ? entries[Int(seq - 1)] : nil },
            byRef: { [unowned self] ref in entries.first { $0.body.ref == ref } }))
    }

    @discardableResult
    func run(_ command: LedgerCommand) throws -> LedgerEngine.Outcome {
        time += 1
        var storage = snapshot!
        let outcome = try engine.execute(LedgerRequest(actor: Actor.example, command: command), in: &storage, timeMs: time)
        snapshot = storage
        if case .appended(let entry) = outcome { entries.append(entry) }
        if case .rejected(let entry, _) = outcome { entries.append(entry) }
        return outcome
    }
}

@Suite("The core state machine, in memory")
struct EngineTests {
    func seeded() throws -> MemoryLedger {
        let ledger = try MemoryLedger()
        try ledger.run(.setMaterial(code: MaterialCode("PET"), rate: Rate(perKilogram: Points(parsing: "18")), name: "PET", minGrams: nil, maxGrams: nil))
        try ledger.run(.addPoint(id: PointID("CP-1"), name: "Hall", district: nil))
        try ledger.run(.openAccount(.init(id: AccountID("R-1"), kind: .resident, name: "Juan",
                                          pin: PINRecord.make(for: PIN("1234"), iterations: 1000))))
        try ledger.run(.openAccount(.init(id: AccountID("M-1"), kind: .merchant, name: "Store")))
        return ledger
    }

    @Test("entries chain: each prev_hash is the previous hash, starting from zero")
    func chaining() throws {
        let ledger = try seeded()
        #expect(ledger.entries.first?.prevHash == .zero)
        for (previous, entry) in zip(ledger.entries, ledger.entries.dropFirst()) {
            #expect(entry.prevHash == previous.hash)
            #expect(entry.seq == previous.seq + 1)
        }
    }

    @Test("a drop-off and a redemption move points; a retry replays; a refusal leaves the state as it was")
    func transfers() throws {
        let ledger = try seeded()
        let dropoff = LedgerCommand.dropoff(.init(account: try AccountID("R-1"), point: try PointID("CP-1"), material: try MaterialCode("PET"),
                                                  grams: Grams(1000), ref: try ClientRef("k-1")))
        try ledger.run(dropoff)
        guard case .replayed = try ledger.run(dropoff) else { Issue.record("should replay"); return }
        #expect(ledger.snapshot.accounts[try AccountID("R-1")]?.balance == (try Points(parsing: "18")))
        let before = ledger.snapshot.accounts
        #expect(throws: LedgerError.insufficientPoints("R-1 has 18.00 points, 18.01 needed")) {
            try ledger.run(.redeem(.init(account: try AccountID("R-1"), payee: try AccountID("M-1"), amount: try Points(parsing: "18.01"),
                                         pin: try PIN("1234"), ref: try ClientRef("p-1"))))
        }
        #expect(ledger.snapshot.accounts == before)
        #expect(ledger.snapshot.invariantViolation() == nil)
    }

    @Test("the replayer accepts the engine's entries and rejects an altered one")
    func replay() throws {
        let ledger = try seeded()
        try ledger.run(.dropoff(.init(account: try AccountID("R-1"), point: try PointID("CP-1"), material: try MaterialCode("PET"),
                                      grams: Grams(2500), ref: try ClientRef("k-1"))))
        let lookup = LedgerSnapshot.EntryLookup(bySeq: { seq in ledger.entries[Int(seq - 1)] }, byRef: { _ in nil })
        var replayer = try ChainReplayer(lookup: lookup)
        for entry in ledger.entries { try replayer.feed(entry) }
        #expect(replayer.snapshot.accounts == ledger.snapshot.accounts)

        // The same drop-off claiming one more centipoint, correctly re-hashed: the chain is
        // fine, but the entry could not have been appended.
        let last = ledger.entries.last!
        let inflated = EntryBody(kind: last.body.kind, debit: last.body.debit, credit: last.body.credit,
                                 amount: Points(centipoints: last.body.amount.centipoints + 1), actor: last.body.actor,
                                 ref: last.body.ref, attributes: last.body.attributes)
        let forged = try Entry.seal(inflated, seq: last.seq, timeMs: last.timeMs, after: last.prevHash, hasher: SHA256.Hasher())
        var second = try ChainReplayer(lookup: lookup)
        for entry in ledger.entries.dropLast() { try second.feed(entry) }
        #expect(throws: AuditFailure.self) { try second.feed(forged) }
    }
}
