import GRDB
import LedgerPersistence
import LedgerCore
import LedgerCrypto
import LedgerTransparency

/// The store's reads, each on a snapshot of its own, for tools and tests that read one thing at
/// a time. A server reads through `read { reads in … }` instead, so that reads that belong
/// together see one history (`LedgerDatabase`).
extension LedgerStore {
    /// Runs `body` on one consistent snapshot of the file: every read in it sees the same history.
    public func read<T>(_ body: (any LedgerReads) throws -> T) throws -> T {
        try pool.read { db in try body(SQLReads(db: db)) }
    }

    public func head() throws -> ChainHead {
        try read { try $0.head() }
    }

    public func account(_ id: AccountID) throws -> AccountState? {
        try read { try $0.account(id) }
    }

    public func entry(seq: Int64) throws -> Entry? {
        try read { try $0.entry(seq: seq) }
    }

    public func entry(ref: ClientRef) throws -> Entry? {
        try read { try $0.entry(ref: ref) }
    }

    /// A resident's profile (name and district); nil when the name is in the journal or the
    /// profile was erased.
    public func profile(_ id: AccountID) throws -> Profile? {
        try read { try $0.profile(id) }
    }

    /// The stored PIN record of a resident (for checking a PIN off the writer).
    public func pinRecord(_ id: AccountID) throws -> PINRecord? {
        try read { try $0.pinRecord(id) }
    }

    public func point(_ id: PointID) throws -> PointState? {
        try read { try $0.point(id) }
    }

    public func material(_ code: MaterialCode) throws -> MaterialState? {
        try read { try $0.material(code) }
    }

    /// Whether an entry after `seq` unlocked `account` (it was locked in between): a resident's
    /// session that began before ends then, even if the lock is already lifted.
    public func wasUnlocked(_ account: AccountID, after seq: Int64) throws -> Bool {
        try read { try $0.wasUnlocked(account, after: seq) }
    }

    public func hold(_ dropoff: Int64) throws -> HoldState? {
        try read { try $0.hold(dropoff) }
    }

    public func scheme() throws -> SchemeState {
        try read { try $0.scheme() }
    }

    public func token(_ id: TokenID) throws -> TokenState? {
        try read { try $0.token(id) }
    }

    /// Transfers into or out of `account`, newest first, at most `limit`, with seq below `before`.
    public func history(of account: AccountID, limit: Int = 50, before: Int64 = .max) throws -> [Entry] {
        try read { try $0.history(of: account, limit: limit, before: before) }
    }

    public func points() throws -> [PointState] {
        try read { try $0.points() }
    }

    public func materials() throws -> [MaterialState] {
        try read { try $0.materials() }
    }

    public func tokenSnapshot() throws -> TokenSnapshot {
        try read { try $0.tokenSnapshot() }
    }

    public func tokens() throws -> [TokenState] {
        try read { try $0.tokens() }
    }

    /// The fraud signals (`AlertRules`, with the scheme's current thresholds) raised by drop-offs
    /// after `since`, oldest first, at most `limit`. Every drop-off from the first is read (the rules' baselines need the history),
    /// on one read snapshot: about a second per million entries.
    public func alerts(since: Int64, limit: Int) throws -> [AlertRules.Alert] {
        try read { try $0.alerts(since: since, limit: limit) }
    }

    /// Open residents some of whose points had expired at `asOf`: the work list of a sweep,
    /// each then expired by an `expire` request the writer judges.
    public func residentsWithExpiredPoints(asOf: Int64) throws -> [AccountID] {
        try read { try $0.residentsWithExpiredPoints(asOf: asOf) }
    }

    /// A resident's oldest remaining lot: its points and when they expire; nil when nothing is
    /// spendable. Lots are the credits in order (a held drop-off only once posted), the oldest
    /// used up first by whatever the resident spent (a voided hold took back its own points).
    public func nextExpiring(_ id: AccountID) throws -> (points: Points, expiresMs: Int64)? {
        try read { try $0.nextExpiring(id) }
    }

    /// The held drop-offs nobody has decided whose hold has run out at `asOf`, oldest first:
    /// the sweep applies the scheme's `hold_action` to each.
    public func holdsDue(asOf: Int64) throws -> [Int64] {
        try read { try $0.holdsDue(asOf: asOf) }
    }

    /// The report of `[fromMs, toMs)` (`LedgerReport`), read on one snapshot: every entry of the
    /// span that moves points, each reversal and void with the entry it undoes, once. The span
    /// is clamped to the ledger's life (the first entry to the head), so asking for centuries
    /// costs no more than asking for the whole ledger.
    public func report(fromMs: Int64?, toMs: Int64?) throws -> LedgerReport {
        try read { try $0.report(fromMs: fromMs, toMs: toMs) }
    }

    /// The journal's head seq and the tree's root at that size, read together.
    public func treeHead() throws -> (size: Int64, root: Hash256) {
        try read { try $0.treeHead() }
    }

    /// The root of the tree of the first `size` entries.
    public func treeRoot(size: Int64) throws -> Hash256 {
        try read { try $0.treeRoot(size: size) }
    }

    /// The RFC 6962 consistency proof from the tree of `old` entries to the tree of `new`.
    public func consistencyProof(old: Int64, new: Int64) throws -> [Hash256] {
        try read { try $0.consistencyProof(old: old, new: new) }
    }

    /// Entry `seq`, its inclusion proof, and the checkpoint it is proved against: the newest one
    /// witnesses have cosigned that covers the entry, or else the latest; nil when no checkpoint
    /// covers the entry yet. Throws NOT_FOUND for an entry that does not exist.
    public func receipt(seq: Int64) throws -> InclusionReceipt? {
        try read { try $0.receipt(seq: seq) }
    }

    public func latestCheckpoint() throws -> StoredCheckpoint? {
        try read { try $0.latestCheckpoint() }
    }

    public func checkpoint(size: Int64) throws -> StoredCheckpoint? {
        try read { try $0.checkpoint(size: size) }
    }
}

/// SQLite is the engine behind the server's seam: the store's own methods are the requirements.
extension LedgerStore: LedgerDatabase {
    public func audit(witnessKeys: [NoteKey]) throws -> Result<AuditReport, AuditFailure> {
        try verify(witnessKeys: witnessKeys)
    }
}

extension SQLReads: LedgerReads {}
