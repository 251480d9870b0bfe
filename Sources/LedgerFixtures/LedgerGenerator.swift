import LedgerCore
import LedgerPersistence
import LedgerCrypto
import LedgerHost
import LedgerStore
import Synchronization

/// Writes large, valid ledgers quickly, for benchmarks and scale tests: the same rules, engine
/// and hash chain as any other write, but thousands of requests per transaction. Every kind of
/// entry appears in a ledger of any size from `minimumEntries` on, so that an audit or a
/// benchmark on it meets every rule, not only drop-offs.
///
/// First the catalogue, at the start of the span: materials PET (18.00/kg) and CAN (12.00/kg,
/// held for a day), point CP-GEN, merchant M-GEN, beneficiary pool B-GEN, the scheme's settings
/// (`scheme_set`: UTC+08:00, no caps, the five-year expiry), an auditor token, and residents
/// R-GEN-0 … R-GEN-(accounts−1) (at most a quarter of the entries), all with PIN 1234 (one PIN
/// record, hashed once, shared by every generated resident: these ledgers are synthetic). Then
/// drop-offs round-robin over the residents, their times spread over the six years before now,
/// so the scheme's expiry applies. Every `sweepEvery` drop-offs (and once in the last twelfth of
/// the span) the generator sweeps expired points as the server would (`expiry` entries), and
/// every `roundEvery` drop-offs it writes a round of every other kind (`round`): a resident who
/// leaves, a PIN lock and unlock, a pop-up point and its operator token, held drop-offs posted
/// and voided, a redemption, a donation reversed, a settlement, renames, a closure and (every
/// other round) an erasure. Tokens' secrets are random and kept nowhere: nobody can log in with
/// them.
public enum LedgerGenerator {
    public static let transactionSize = 5_000
    /// The most drop-offs between two rounds, and between two sweeps, in a large ledger (a small
    /// one has them closer, so that it holds several of each).
    public static let roundInterval = 10_000
    public static let sweepInterval = 50_000
    /// The fewest entries that hold every kind: the catalogue, a round and a sweep.
    public static let minimumEntries: Int64 = 200
    /// The generated history's length: six years of 365 days, ending now.
    public static let spanMs: Int64 = 6 * SchemeState.yearMs

    static let actor = Actor(unchecked: "generator")
    static let point = PointID(unchecked: "CP-GEN")
    static let merchant = AccountID(unchecked: "M-GEN")
    static let pool = AccountID(unchecked: "B-GEN")
    static let pet = MaterialCode(unchecked: "PET")
    static let can = MaterialCode(unchecked: "CAN")

    /// Creates the ledger at `path` (which must not exist) and fills it with exactly `entries`
    /// entries; calls `progress` with the entries written so far. Returns the store, open.
    /// `roundEvery` and `sweepEvery` (drop-offs) default to a tenth and a twenty-fifth of the
    /// ledger, at most `roundInterval` and `sweepInterval`.
    public static func create(at path: String, entries: Int64, accounts: Int, now: Int64 = WallClock.now(),
                              roundEvery: Int? = nil, sweepEvery: Int? = nil,
                              progress: (Int64) -> Void = { _ in }) throws -> LedgerStore {
        try fill(entries: entries, accounts: accounts, now: now, roundEvery: roundEvery, sweepEvery: sweepEvery, progress: progress) { clock in
            try LedgerStore.create(at: path, clock: clock)
        }
    }

    /// Fills the empty ledger `open` makes (with the clock the generator sets) with exactly
    /// `entries` entries, whatever its engine; returns it, open.
    public static func fill<Ledger: LedgerWriting>(entries: Int64, accounts: Int, now: Int64 = WallClock.now(),
                                                   roundEvery: Int? = nil, sweepEvery: Int? = nil,
                                                   progress: (Int64) -> Void = { _ in },
                                                   open: (@escaping @Sendable () -> Int64) throws -> Ledger) throws -> Ledger {
        guard entries >= minimumEntries else {
            throw LedgerError.invalid("entries", "must be at least \(minimumEntries), to hold every kind of entry")
        }
        guard accounts > 0 else { throw LedgerError.invalid("accounts", "must be positive") }
        guard roundEvery ?? 1 > 0, sweepEvery ?? 1 > 0 else { throw LedgerError.invalid("interval", "roundEvery and sweepEvery must be positive") }
        let residents = min(accounts, Int(entries / 4))
        let pin = try PINRecord.make(for: PIN("1234"))
        // One check of the shared record, done here, stands for every redemption's and donation's.
        guard try pin.matches(PIN("1234")) else { throw LedgerError.invalid("pin", "the generated PIN record does not match") }
        var pending = try catalogue(residents: residents, pin: pin)
        let preamble = Int64(pending.count)
        let body = entries - preamble
        let roundEvery = roundEvery ?? Int(min(Int64(roundInterval), max(1, body / 10)))
        let sweepEvery = sweepEvery ?? Int(min(Int64(sweepInterval), max(1, body / 25)))
        let batchSize = Int(min(Int64(transactionSize), max(1, body / 100)))
        // Each transaction's entries share one time, set before it is written: the catalogue's is
        // the start of the span, and the rest spread over it as the journal is into its entries.
        let start = now - spanMs
        let timeline = Mutex<Int64>(start)
        let store = try open { timeline.withLock { $0 } }
        let step = max(1, spanMs / max(1, body))
        var written: Int64 = 0
        var next = 0
        var rounds = 0
        var sweptLate = false
        func flush() throws {
            for result in try store.submitBatch(pending) { _ = try result.get() }
            written += Int64(pending.count)
            pending.removeAll(keepingCapacity: true)
            timeline.withLock { $0 = start + min(max(0, written - preamble), body) * step }
            progress(written)
        }
        func room(_ count: Int) -> Bool { written + Int64(pending.count + count) <= entries }
        while written + Int64(pending.count) < entries {
            if pending.count >= batchSize { try flush(); continue }
            let resident = try AccountID("R-GEN-\(next % residents)")
            pending.append(LedgerRequest(actor: actor, command: .dropoff(.init(
                account: resident, point: point, material: pet, grams: Grams(Int64(1000 + next % 9000)), ref: try ClientRef("gen-\(next)")))))
            next += 1
            if next % roundEvery == 0 {
                // Entries get the seqs of their places, as every request succeeds (or generation stops).
                let round = try Self.round(rounds, spender: resident, pin: pin, firstSeq: written + Int64(pending.count) + 1)
                if room(round.count) {
                    pending += round
                    rounds += 1
                }
            }
            let late = timeline.withLock { $0 } >= start + spanMs / 12 * 11
            if next % sweepEvery == 0 || late && !sweptLate {
                // The sweep goes into a transaction of its own, at its as_of time.
                try flush()
                let asOf = timeline.withLock { $0 }
                sweptLate = asOf >= start + spanMs / 12 * 11
                for resident in try store.read({ try $0.residentsWithExpiredPoints(asOf: asOf) }) where room(1) {
                    pending.append(LedgerRequest(actor: actor, command: .expire(account: resident, asOf: asOf)))
                }
                if !pending.isEmpty { try flush() }
            }
        }
        if !pending.isEmpty { try flush() }
        return store
    }

    /// The entries written before the first drop-off.
    static func catalogue(residents: Int, pin: PINRecord) throws -> [LedgerRequest] {
        var commands: [LedgerCommand] = try [
            .setMaterial(code: pet, rate: Rate(perKilogram: Points(parsing: "18")), name: "PET", minGrams: nil, maxGrams: nil),
            .setMaterial(code: can, rate: Rate(perKilogram: Points(parsing: "12")), name: "Cans", minGrams: nil, maxGrams: nil,
                         holdMs: .some(86_400_000)),
            .addPoint(id: point, name: "Generated point", district: nil),
            .openAccount(.init(id: merchant, kind: .merchant, name: "Generated merchant")),
            .openAccount(.init(id: pool, kind: .beneficiary, name: "Generated pool", district: "Generated district")),
            // The settings a new ledger has, written out: no caps on what a resident earns.
            .setScheme(offsetMinutes: 480, dailyCap: .some(nil), monthlyCap: .some(nil), expiryMs: SchemeState.defaultExpiryMs,
                       holdAction: .voided),
            .issueToken(id: TokenID("tok-gen-auditor"), role: .auditor, point: nil, merchant: nil, secretHash: randomSecretHash()),
        ]
        for index in 0..<residents {
            commands.append(.openAccount(.init(id: try AccountID("R-GEN-\(index)"), kind: .resident, name: "Resident \(index)", pin: pin)))
        }
        return commands.map { LedgerRequest(actor: actor, command: $0) }
    }

    /// Round `number`: every kind the drop-offs and sweeps do not write, in one run of requests
    /// whose first gets `firstSeq`. `spender` (who was just credited at least 18.00 points)
    /// redeems and gives 1.00 each; the donation is reversed.
    static func round(_ number: Int, spender: AccountID, pin: PINRecord, firstSeq: Int64) throws -> [LedgerRequest] {
        let leaver = try AccountID("R-GEN-LEFT-\(number)")
        let popup = try PointID("CP-GEN-POPUP-\(number)")
        let token = try TokenID("tok-gen-op-\(number)")
        let operatorActor = try Actor(token.rawValue)
        let one = try Points(parsing: "1")
        var requests: [LedgerRequest] = []
        @discardableResult
        func add(_ command: LedgerCommand, by actor: Actor = actor) -> Int64 {
            requests.append(LedgerRequest(actor: actor, command: command))
            return firstSeq + Int64(requests.count - 1)
        }
        func spend(_ payee: AccountID, _ what: String) throws -> LedgerCommand.Spend {
            .init(account: spender, payee: payee, amount: one, pin: try PIN("1234"), ref: try ClientRef("gen-\(what)-\(number)"),
                  pinCheck: .matched(recordText: pin.text))
        }
        // A resident who forgets their PIN: locked after five wrong ones, then unlocked.
        add(.openAccount(.init(id: leaver, kind: .resident, name: "Resident who left", district: "Generated district", pin: pin)))
        add(.changePIN(account: leaver, pin: pin))
        for _ in 0..<5 { add(.rejectPIN(account: leaver)) }
        add(.unlock(account: leaver))
        // A pop-up collection point for a day, with an operator token that writes its drop-offs.
        add(.addPoint(id: popup, name: "Pop-up point \(number)", district: nil))
        add(.renamePoint(id: popup, name: "Pop-up point \(number), market day", district: "Generated district"))
        add(.issueToken(id: token, role: .operator, point: popup, merchant: nil, secretHash: try randomSecretHash()))
        add(.dropoff(.init(account: leaver, point: popup, material: pet, grams: Grams(2_000), ref: try ClientRef("gen-left-\(number)"))),
            by: operatorActor)
        let posted = add(.dropoff(.init(account: leaver, point: popup, material: can, grams: Grams(3_000),
                                        ref: try ClientRef("gen-left-can-\(number)"))), by: operatorActor)
        add(.revokeToken(id: token), by: operatorActor)
        add(.closePoint(id: popup))
        // Held drop-offs, decided at once (well within their day): one posted, one voided.
        let voided = add(.dropoff(.init(account: spender, point: point, material: can, grams: Grams(3_000), ref: try ClientRef("gen-can-\(number)"))))
        add(.postHold(dropoff: posted))
        add(.voidHold(dropoff: voided, reason: "not cans"))
        // Spending, a correction, and the city paying the merchant.
        add(.redeem(try spend(merchant, "redeem")))
        let donation = add(.donate(try spend(pool, "donate")))
        add(.reverse(seq: donation, reason: "given by mistake", ref: try ClientRef("gen-reverse-\(number)")))
        add(.settle(merchant: merchant, amount: one, ref: try ClientRef("gen-settle-\(number)")))
        add(.renameAccount(id: pool, name: "Generated pool (\(number))", district: nil))
        // The resident leaves (their points forfeited); every other one asks to be erased.
        add(.closeAccount(account: leaver, reason: "moved away"))
        if number % 2 == 0 { add(.eraseAccount(account: leaver, reason: "resident's request")) }
        return requests
    }

    /// The hash of a random secret that nobody keeps.
    static func randomSecretHash() throws -> Hash256 {
        try SHA256.digest(SecureRandom.bytes(24))
    }
}
