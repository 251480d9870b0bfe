import LedgerCore
import LedgerCrypto
import LedgerTransparency

/// What a server reads of a ledger, on one snapshot: every read made through one value sees the
/// same history. `LedgerDatabase.read` hands one to a closure; SQLite's is `SQLReads` on one
/// read transaction. A second engine implements these, and the server works unchanged.
public protocol LedgerReads {
    func head() throws -> ChainHead

    func account(_ id: AccountID) throws -> AccountState?

    func entry(seq: Int64) throws -> Entry?

    func entry(ref: ClientRef) throws -> Entry?

    /// A resident's profile (name and district); nil when the name is in the journal or the
    /// profile was erased.
    func profile(_ id: AccountID) throws -> Profile?

    /// The stored PIN record of a resident (for checking a PIN off the writer).
    func pinRecord(_ id: AccountID) throws -> PINRecord?

    func point(_ id: PointID) throws -> PointState?

    func material(_ code: MaterialCode) throws -> MaterialState?

    /// Whether an entry after `seq` unlocked `account` (it was locked in between): a resident's
    /// session that began before ends then, even if the lock is already lifted.
    func wasUnlocked(_ account: AccountID, after seq: Int64) throws -> Bool

    func hold(_ dropoff: Int64) throws -> HoldState?

    func scheme() throws -> SchemeState

    func token(_ id: TokenID) throws -> TokenState?

    /// Transfers into or out of `account`, newest first, at most `limit`, with seq below `before`.
    func history(of account: AccountID, limit: Int, before: Int64) throws -> [Entry]

    func points() throws -> [PointState]

    func materials() throws -> [MaterialState]

    func tokenSnapshot() throws -> TokenSnapshot

    func tokens() throws -> [TokenState]

    /// Whether any stored PIN record is keyed, i.e. needs the server's PIN key to be checked.
    func hasKeyedPINRecords() throws -> Bool

    /// The fraud signals (`AlertRules`, with the scheme's current thresholds) raised by drop-offs
    /// after `since`, oldest first, at most `limit`. Every drop-off from the first is read (the rules' baselines need the history),
    /// on one read snapshot: about a second per million entries.
    func alerts(since: Int64, limit: Int) throws -> [AlertRules.Alert]

    /// Open residents some of whose points had expired at `asOf`: the work list of a sweep,
    /// each then expired by an `expire` request the writer judges.
    func residentsWithExpiredPoints(asOf: Int64) throws -> [AccountID]

    /// A resident's oldest remaining lot: its points and when they expire; nil when nothing is
    /// spendable. Lots are the credits in order (a held drop-off only once posted), the oldest
    /// used up first by whatever the resident spent (a voided hold took back its own points).
    func nextExpiring(_ id: AccountID) throws -> (points: Points, expiresMs: Int64)?

    /// The held drop-offs nobody has decided whose hold has run out at `asOf`, oldest first:
    /// the sweep applies the scheme's `hold_action` to each.
    func holdsDue(asOf: Int64) throws -> [Int64]

    /// The report of `[fromMs, toMs)` (`LedgerReport`), read on one snapshot: every entry of the
    /// span that moves points, each reversal and void with the entry it undoes, once. The span
    /// is clamped to the ledger's life (the first entry to the head), so asking for centuries
    /// costs no more than asking for the whole ledger.
    func report(fromMs: Int64?, toMs: Int64?) throws -> LedgerReport

    /// The size the log may sign now, and the tree's root at that size, read together: the
    /// journal's head where a commit is durable once it is visible (SQLite), or the last entry
    /// this process knows its synchronous standby holds (PostgreSQL, where a commit waiting for
    /// the standby is already visible to other sessions).
    func treeHead() throws -> (size: Int64, root: Hash256)

    /// A ledger-wide value of `ledger_meta` (the log's origin and key), if set.
    func meta(_ key: String) throws -> String?

    /// The root of the tree of the first `size` entries.
    func treeRoot(size: Int64) throws -> Hash256

    /// The RFC 6962 consistency proof from the tree of `old` entries to the tree of `new`.
    func consistencyProof(old: Int64, new: Int64) throws -> [Hash256]

    /// Entry `seq`, its inclusion proof, and the checkpoint it is proved against: the newest one
    /// witnesses have cosigned that covers the entry, or else the latest; nil when no checkpoint
    /// covers the entry yet. Throws NOT_FOUND for an entry that does not exist.
    func receipt(seq: Int64) throws -> InclusionReceipt?

    func latestCheckpoint() throws -> StoredCheckpoint?

    func checkpoint(size: Int64) throws -> StoredCheckpoint?
}

/// What writing a ledger takes, whatever the engine: reads on one snapshot, and appends through
/// the single writer's group commit. The generator and the copy tools need no more.
public protocol LedgerWriting: AnyObject, Sendable {
    /// Runs `body` on one consistent snapshot.
    func read<T>(_ body: (any LedgerReads) throws -> T) throws -> T
    /// Judges, seals and commits a group of requests in one transaction; each gets its own
    /// outcome. Only the single writer calls it.
    func submitBatch(_ requests: [LedgerRequest]) throws -> [Result<WriteReceipt, any Error>]
}

/// A ledger's persistence as a server uses it, whatever the engine: reads bound to a snapshot,
/// appends only through `submitBatch` (the single writer's group commit), and the few writes
/// that live beside the journal, each by its own name. `LedgerStore` (SQLite) and `PostgresLedger`
/// (PostgreSQL) are the engines; `LedgerGateway` runs all of it off Swift's cooperative threads.
public protocol LedgerDatabase: LedgerWriting {
    /// Keeps a checkpoint the log has just signed (its root must be the tree's at its size).
    func recordCheckpoint(size: Int64, root: Hash256, note: String, timeMs: Int64) throws
    /// Keeps a witness's cosignature of a stored checkpoint.
    func recordCosignature(size: Int64, witness: String, line: String) throws
    /// Tries again to scrub an erased profile's bytes that a reader held up.
    func retryPendingScrub()
    /// Sets a ledger-wide value (the log's origin and key) once; a different value is refused.
    func setMetaOnce(_ key: String, _ value: String) throws
    /// The whole audit, on a snapshot of its own; the witnesses' keys check their cosignatures.
    func audit(witnessKeys: [NoteKey]) throws -> Result<AuditReport, AuditFailure>
}

extension LedgerWriting {
    /// One request in a batch of its own: for set-up and tools, never the server's hot path.
    public func submitOne(_ request: LedgerRequest) throws -> WriteReceipt {
        try submitBatch([request])[0].get()
    }
}
