import LedgerCrypto

/// The ledger's projections held in memory: what an audit rebuilds by replaying the journal,
/// and a complete `LedgerStorage` for tests of the rules.
///
/// It keeps no journal of its own: entries by seq or ref come from the `lookup` the caller
/// provides (the database during an audit), so replaying a large ledger needs memory for the
/// projections only, not for the entries.
public struct LedgerSnapshot: LedgerStorage {
    /// Every row, as the entries so far made it (`ProjectionOverlay` over nothing). Residents'
    /// credits are kept for as long as the rules may ask about them: the caps look back a month,
    /// expiry at most `SchemeState.expiryRange`'s longest. So an audit's memory grows with
    /// residents' credits of the last ten years: 16 bytes each.
    public private(set) var projections = ProjectionOverlay(head: .genesis, keepingCreditsFor: SchemeState.expiryRange.upperBound + 86_400_000)
    private let lookup: EntryLookup

    public var accounts: [AccountID: AccountState] {
        get { projections.accounts }
        set { projections.accounts = newValue }
    }
    public var points: [PointID: PointState] { projections.points }
    public var materials: [MaterialCode: MaterialState] { projections.materials }
    public var tokens: [TokenID: TokenState] { projections.tokens }
    /// original seq → reversing seq
    public var reversals: [Int64: Int64] { projections.reversals }
    public var pinRecords: [AccountID: PINRecord] { projections.pinRecords }
    /// Residents' profiles (kept only when the engine runs on a snapshot, in tests; an audit
    /// checks the stored profiles against the replayed digests instead).
    public var profiles: [AccountID: Profile] { projections.profiles.compactMapValues { $0 } }
    public var schemeState: SchemeState { projections.scheme ?? .initial }
    public var holds: [Int64: HoldState] { projections.holds }
    public var chainHead: ChainHead { projections.head }

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
        for account in AccountState.genesis { projections.accounts[account.id] = account }
    }

    public func head() -> ChainHead { projections.head }
    public func account(_ id: AccountID) -> AccountState? { projections.accounts[id] }
    public func pinRecord(_ id: AccountID) -> PINRecord? { projections.pinRecords[id] }
    public func point(_ id: PointID) -> PointState? { projections.points[id] }
    public func material(_ code: MaterialCode) -> MaterialState? { projections.materials[code] }
    public func token(_ id: TokenID) -> TokenState? { projections.tokens[id] }
    public func entry(seq: Int64) throws -> Entry? { try lookup.bySeq(seq) }
    public func entry(ref: ClientRef) throws -> Entry? { try lookup.byRef(ref) }
    public func reversal(of seq: Int64) -> Int64? { projections.reversals[seq] }
    public func scheme() -> SchemeState { schemeState }
    public func hold(_ dropoff: Int64) -> HoldState? { projections.holds[dropoff] }

    public func unpostedHeld(of account: AccountID, after timeMs: Int64) throws -> Points {
        try projections.unpostedHeld(of: account, after: timeMs)
    }

    public func earned(by account: AccountID, since timeMs: Int64) throws -> Points {
        try projections.earned(by: account, since: timeMs)
    }

    public func credited(to account: AccountID, after timeMs: Int64) throws -> Points {
        try projections.credited(to: account, after: timeMs)
    }

    /// Only residents' credits are kept: the rules ask about no one else's.
    public mutating func append(_ entry: Entry) {
        append(entry, creditIsResident: entry.body.credit.map { projections.accounts[$0]?.kind == .resident } ?? false)
    }

    /// The same, told whether the entry credits a resident (the replay knows from its changes).
    mutating func append(_ entry: Entry, creditIsResident: Bool) {
        projections.append(entry, recordingCredit: creditIsResident)
    }

    public mutating func apply(_ change: consuming ProjectionChange, seq: Int64) {
        projections.apply(change, seq: seq)
    }

    public mutating func savePINRecord(_ record: PINRecord, for account: AccountID) {
        projections.pinRecords[account] = record
    }

    public mutating func saveProfile(_ profile: Profile, for account: AccountID) {
        projections.profiles[account] = profile
    }

    /// Σ balances (must be zero) and any non-system account below zero.
    ///
    /// The same ledger always gets the same answer: accounts are looked at in id order, and the
    /// sum is taken in 128 bits, which no number of Int64 balances below 2⁶⁴ can overflow.
    public func invariantViolation() -> String? {
        var sum: Int128 = 0
        for account in projections.accounts.values.sorted(by: { $0.id.rawValue < $1.id.rawValue }) {
            sum += Int128(account.balance.centipoints)
            if !account.balance.isWithinLimit { return "account \(account.id) has a balance beyond ±\(Points.limit)" }
            if account.kind != .system, account.balance < .zero { return "account \(account.id) has a negative balance \(account.balance)" }
        }
        return sum == 0 ? nil : "the sum of all balances is \(Int64(exactly: sum).map { Points(centipoints: $0).description } ?? "\(sum) centipoints"), not 0.00"
    }
}
