import GRDB
import LedgerCore
import LedgerCrypto

/// The ledger as the requests of one group commit see it: the writer's committed state, with
/// this batch's entries and changes laid over it in memory.
///
/// The engine judges a request completely before it appends anything (`LedgerEngine.append`
/// computes every effect first), so a refused request leaves no trace here and needs no
/// savepoint: the next request simply sees the batch's running state. Nothing reaches SQLite
/// until `BatchFlush` writes the whole batch, each changed row once, just before the commit.
final class WriteBatch: LedgerStorage {
    private let reads: SQLReads
    private let committed: WriterState
    /// The seq of the last committed entry: entries above it are this batch's.
    private let committedSeq: Int64
    private(set) var changes: Changes

    /// What the batch has written: its entries, and the rows' final values.
    struct Changes {
        var entries: [Entry] = []
        var entryByRef: [ClientRef: Int] = [:]
        /// The batch's rows over the committed ones (the same `apply` as the audit's replay).
        var projections: ProjectionOverlay
        var head: ChainHead { projections.head }
    }

    init(db: Database, committed: WriterState, head: ChainHead) {
        reads = SQLReads(db: db)
        self.committed = committed
        committedSeq = head.seq
        changes = Changes(projections: ProjectionOverlay(head: head))
    }

    func head() -> ChainHead { changes.head }

    func account(_ id: AccountID) throws -> AccountState? {
        try row(id, changed: changes.projections.accounts[id], cache: \.accounts, stored: reads.account)
    }

    func pinRecord(_ id: AccountID) throws -> PINRecord? {
        try row(id, changed: changes.projections.pinRecords[id], cache: \.pinRecords, stored: reads.pinRecord)
    }

    func point(_ id: PointID) throws -> PointState? {
        try row(id, changed: changes.projections.points[id], cache: \.points, stored: reads.point)
    }

    func material(_ code: MaterialCode) throws -> MaterialState? {
        try row(code, changed: changes.projections.materials[code], cache: \.materials, stored: reads.material)
    }

    func token(_ id: TokenID) throws -> TokenState? {
        try row(id, changed: changes.projections.tokens[id], cache: \.tokens, stored: reads.token)
    }

    /// A row as this batch sees it: its own change, else the committed value the writer
    /// remembers, else the file's (remembered from then on, absent or not).
    private func row<Key: Hashable, Value>(_ key: Key, changed: Value?, cache: ReferenceWritableKeyPath<WriterState, RowCache<Key, Value>>,
                                          stored: (Key) throws -> Value?) throws -> Value? {
        if let changed { return changed }
        if let cached = committed[keyPath: cache].lookup(key) { return cached }
        let value = try stored(key)
        committed[keyPath: cache][key] = value
        return value
    }

    func hold(_ dropoff: Int64) throws -> HoldState? {
        try row(dropoff, changed: changes.projections.holds[dropoff], cache: \.holds, stored: reads.hold)
    }

    /// The committed ones, as this batch has changed them, and the batch's own.
    func unpostedHeld(of account: AccountID, after timeMs: Int64) throws -> Points {
        var sum = try changes.projections.unpostedHeld(of: account, after: timeMs)
        for held in try reads.unpostedHeld(of: account, after: timeMs) where changes.projections.holds[held.seq] == nil {
            sum = try sum.adding(Points(centipoints: held.centipoints))
        }
        return sum
    }

    func scheme() throws -> SchemeState {
        if let changed = changes.projections.scheme { return changed }
        if let cached = committed.scheme { return cached }
        let stored = try reads.scheme()
        committed.scheme = stored
        return stored
    }

    /// The committed journal's sum (SQL; asked only while a cap is set), plus this batch's own.
    func earned(by account: AccountID, since timeMs: Int64) throws -> Points {
        try reads.earned(by: account, since: timeMs).adding(changes.projections.earned(by: account, since: timeMs))
    }

    func credited(to account: AccountID, after timeMs: Int64) throws -> Points {
        try reads.credited(to: account, after: timeMs).adding(changes.projections.credited(to: account, after: timeMs))
    }

    func entry(seq: Int64) throws -> Entry? {
        guard seq > committedSeq else { return try reads.entry(seq: seq) }
        let index = seq - committedSeq - 1
        return index < changes.entries.count ? changes.entries[Int(index)] : nil
    }

    func entry(ref: ClientRef) throws -> Entry? {
        if let index = changes.entryByRef[ref] { return changes.entries[index] }
        return try reads.entry(ref: ref)
    }

    func reversal(of seq: Int64) throws -> Int64? {
        if let pending = changes.projections.reversals[seq] { return pending }
        return try reads.reversal(of: seq)
    }

    // The writes below only record: they cannot fail, so a request's changes go in whole.

    /// Every credit is recorded: the rules ask only about residents', and a batch is small.
    func append(_ entry: Entry) {
        if let ref = entry.body.ref { changes.entryByRef[ref] = changes.entries.count }
        changes.entries.append(entry)
        changes.projections.append(entry, recordingCredit: true)
    }

    func apply(_ change: ProjectionChange, seq: Int64) {
        changes.projections.apply(change, seq: seq)
    }

    func savePINRecord(_ record: PINRecord, for account: AccountID) {
        changes.projections.pinRecords[account] = record
    }

    func saveProfile(_ profile: Profile, for account: AccountID) {
        changes.projections.profiles[account] = profile
    }
}
