import LedgerCrypto

/// The ledger's projections held in memory: what an audit rebuilds by replaying the journal,
/// and a complete `LedgerStorage` for tests of the rules.
///
/// It keeps no journal of its own: entries by seq or ref come from the `lookup` the caller
/// provides (the database during an audit), so replaying a large ledger needs memory for the
/// projections only, not for the entries.
public struct LedgerSnapshot: LedgerStorage {
    public var accounts: [AccountID: AccountState] = [:]
    public var points: [PointID: PointState] = [:]
    public var materials: [MaterialCode: MaterialState] = [:]
    public var tokens: [TokenID: TokenState] = [:]
    /// original seq → reversing seq
    public var reversals: [Int64: Int64] = [:]
    public var pinRecords: [AccountID: PINRecord] = [:]
    /// Residents' profiles (kept only when the engine runs on a snapshot, in tests; an audit
    /// checks the stored profiles against the replayed digests instead).
    public var profiles: [AccountID: Profile] = [:]
    public var schemeState = SchemeState.initial
    public var holds: [Int64: HoldState] = [:]
    /// Each resident's held drop-offs that are pending or voided (voids are rare).
    private var unposted: [AccountID: Set<Int64>] = [:]
    /// Each resident's credits for as long as the rules may ask about them: the caps look back a
    /// month, expiry at most `SchemeState.expiryRange`'s longest. So an audit's memory grows with
    /// residents' credits of the last ten years: 16 bytes each (a credit's amount is positive,
    /// so its sign says whether it was a drop-off: negative for any other credit).
    private var recentCredits: [AccountID: [(timeMs: Int64, signedCentipoints: Int64)]] = [:]
    private static let keptMs = SchemeState.expiryRange.upperBound + 86_400_000
    public private(set) var chainHead = ChainHead.genesis
    private let lookup: EntryLookup

    /// Finds earlier entries by seq and by ref.
    public struct EntryLookup {
        public var bySeq: (Int64) throws -> Entry?
        public var byRef: (ClientRef) throws -> Entry?

        public init(bySeq: @escaping (Int64) throws -> Entry?, byRef: @escaping (ClientRef) throws -> Entry?) {
            self.bySeq = bySeq
            self.byRef = byRef
        }
    }

    public init(lookup: EntryLookup) {
        self.lookup = lookup
        for account in AccountState.genesis { accounts[account.id] = account }
    }

    public func head() -> ChainHead { chainHead }
    public func account(_ id: AccountID) -> AccountState? { accounts[id] }
    public func pinRecord(_ id: AccountID) -> PINRecord? { pinRecords[id] }
    public func point(_ id: PointID) -> PointState? { points[id] }
    public func material(_ code: MaterialCode) -> MaterialState? { materials[code] }
    public func token(_ id: TokenID) -> TokenState? { tokens[id] }
    public func entry(seq: Int64) throws -> Entry? { try lookup.bySeq(seq) }
    public func entry(ref: ClientRef) throws -> Entry? { try lookup.byRef(ref) }
    public func reversal(of seq: Int64) -> Int64? { reversals[seq] }
    public func scheme() -> SchemeState { schemeState }
    public func hold(_ dropoff: Int64) -> HoldState? { holds[dropoff] }

    public func unpostedHeld(of account: AccountID, after timeMs: Int64) throws -> Points {
        var sum = Points.zero
        for seq in unposted[account] ?? [] {
            guard let hold = holds[seq], hold.creditedMs > timeMs else { continue }
            sum = try sum.adding(hold.amount)
        }
        return sum
    }

    public func earned(by account: AccountID, since timeMs: Int64) throws -> Points {
        var sum = Points.zero
        for credit in (recentCredits[account] ?? []).reversed() {
            guard credit.timeMs >= timeMs else { break }
            if credit.signedCentipoints > 0 { sum = try sum.adding(Points(centipoints: credit.signedCentipoints)) } // overflow is an error, as in the writer
        }
        return sum
    }

    public func credited(to account: AccountID, after timeMs: Int64) throws -> Points {
        var sum = Points.zero
        for credit in (recentCredits[account] ?? []).reversed() {
            guard credit.timeMs > timeMs else { break }
            sum = try sum.adding(Points(centipoints: abs(credit.signedCentipoints)))
        }
        return sum
    }

    public mutating func append(_ entry: Entry) {
        chainHead = ChainHead(seq: entry.seq, hash: entry.hash, timeMs: entry.timeMs)
        if let resident = entry.body.credit, accounts[resident]?.kind == .resident {
            let cutoff = entry.timeMs - Self.keptMs
            let amount = entry.body.amount.centipoints
            recentCredits[resident, default: []].append((entry.timeMs, entry.kind == .dropoff ? amount : -amount))
            // Times never decrease, so what is too old is at the front.
            if let first = recentCredits[resident]?.first, first.timeMs < cutoff {
                recentCredits[resident]!.removeAll { $0.timeMs < cutoff }
            }
        }
    }

    public mutating func apply(_ change: ProjectionChange, seq: Int64) {
        switch change {
        case .putAccount(let account): accounts[account.id] = account
        case .putPoint(let point): points[point.id] = point
        case .putMaterial(let material): materials[material.code] = material
        case .putToken(let token): tokens[token.id] = token
        case .putScheme(let scheme): schemeState = scheme
        case .putHold(let hold):
            holds[hold.dropoff] = hold
            if hold.decision == .posted { unposted[hold.account]?.remove(hold.dropoff) } else { unposted[hold.account, default: []].insert(hold.dropoff) }
        case .eraseProfile(let account): profiles[account] = nil
        case .markReversed(let original): reversals[original] = seq
        }
    }

    public mutating func savePINRecord(_ record: PINRecord, for account: AccountID) {
        pinRecords[account] = record
    }

    public mutating func saveProfile(_ profile: Profile, for account: AccountID) {
        profiles[account] = profile
    }

    /// Σ balances (must be zero) and any non-system account below zero.
    ///
    /// The same ledger always gets the same answer: accounts are looked at in id order, and the
    /// sum is taken in 128 bits, which no number of Int64 balances below 2⁶⁴ can overflow.
    public func invariantViolation() -> String? {
        var sum: Int128 = 0
        for account in accounts.values.sorted(by: { $0.id.rawValue < $1.id.rawValue }) {
            sum += Int128(account.balance.centipoints)
            if !account.balance.isWithinLimit { return "account \(account.id) has a balance beyond ±\(Points.limit)" }
            if account.kind != .system, account.balance < .zero { return "account \(account.id) has a negative balance \(account.balance)" }
        }
        return sum == 0 ? nil : "the sum of all balances is \(Int64(exactly: sum).map { Points(centipoints: $0).description } ?? "\(sum) centipoints"), not 0.00"
    }
}
