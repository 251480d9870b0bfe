/// Where the ledger's state lives, as the rules see it.
///
/// The rules and effects in this module are written against this protocol only, so the
/// same code drives the store's writer (its batch state over what it has committed) and the
/// in-memory `LedgerSnapshot` that audits replay into.
///
/// `LedgerEngine` judges a request completely before it calls any of the mutating methods, so
/// a refused request never leaves a partial change behind.
public protocol LedgerStorage: RuleQueries {
    func head() throws -> ChainHead
    func account(_ id: AccountID) throws -> AccountState?
    /// The full PIN record; the journal holds only its digest.
    func pinRecord(_ id: AccountID) throws -> PINRecord?
    func point(_ id: PointID) throws -> PointState?
    func material(_ code: MaterialCode) throws -> MaterialState?
    func token(_ id: TokenID) throws -> TokenState?
    func entry(seq: Int64) throws -> Entry?
    func entry(ref: ClientRef) throws -> Entry?
    /// The seq of the reversal of entry `seq`, if it was reversed.
    func reversal(of seq: Int64) throws -> Int64?
    /// The hold of the drop-off `seq`, if it was held.
    func hold(_ dropoff: Int64) throws -> HoldState?

    /// Appends a sealed entry and makes it the head.
    mutating func append(_ entry: Entry) throws
    /// Applies one projection change of the entry being appended.
    mutating func apply(_ change: ProjectionChange, seq: Int64) throws
    /// Stores the PIN record whose digest the entry being appended carries.
    mutating func savePINRecord(_ record: PINRecord, for account: AccountID) throws
    /// Stores the resident's profile whose digest the entry being appended carries.
    mutating func saveProfile(_ profile: Profile, for account: AccountID) throws
}

/// The questions the rules ask of the ledger's state beyond single rows: a drop-off's caps and
/// the expiry rule's lots. The writer's batch, the in-memory `LedgerSnapshot` and a reader's
/// snapshot (the sweep's work list, BALANCE's `expiring=`) answer them; the rules that use the
/// answers (`SchemeCaps`, `ExpiryRules`) are written once, here.
public protocol RuleQueries {
    /// The points of `account`'s held drop-offs after `timeMs` that are not posted (pending or
    /// voided): credits that are no lot (for expiry).
    func unpostedHeld(of account: AccountID, after timeMs: Int64) throws -> Points
    /// The scheme's settings (`SchemeState.initial` before any `scheme_set`).
    func scheme() throws -> SchemeState
    /// The points of `account`'s drop-offs whose time is at least `timeMs` (for the caps; only
    /// ever asked for the last 31 days).
    func earned(by account: AccountID, since timeMs: Int64) throws -> Points
    /// The points of every entry crediting `account` whose time is after `timeMs` (for expiry;
    /// only ever asked for the scheme's expiry period).
    func credited(to account: AccountID, after timeMs: Int64) throws -> Points
}
