import LedgerCore
import LedgerCrypto

/// The ledger as the requests of one group commit see it: the writer's committed state, with
/// this batch's entries and changes laid over it in memory.
///
/// The engine judges a request completely before it appends anything (`LedgerEngine.append`
/// computes every effect first), so a refused request leaves no trace here and needs no
/// savepoint: the next request simply sees the batch's running state. Nothing reaches the
/// database until the engine writes the whole batch (`changes`), each changed row once, just
/// before the commit. Rows the writer does not hold yet are read through `CommittedRows`, inside
/// the batch's transaction.
package final class WriteBatch: LedgerStorage {
    private let reads: any CommittedRows
    private let committed: WriterState
    /// The seq of the last committed entry: entries above it are this batch's.
    private let committedSeq: Int64
    package private(set) var changes: Changes

    /// What the batch has written: its entries, and the rows' final values.
    package struct Changes {
        package var entries: [Entry] = []
        package var entryByRef: [ClientRef: Int] = [:]
        /// The batch's rows over the committed ones (the same `apply` as the audit's replay).
        package var projections: ProjectionOverlay
        package var head: ChainHead { projections.head }
    }

    package init(reads: any CommittedRows, committed: WriterState, head: ChainHead) {
        self.reads = reads
        self.committed = committed
        committedSeq = head.seq
        changes = Changes(projections: ProjectionOverlay(head: head))
    }

    package func head() -> ChainHead { changes.head }

    package func account(_ id: AccountID) throws -> AccountState? {
        try row(id, changed: changes.projections.accounts[id], cache: \.accounts, stored: reads.account)
    }

    package func pinRecord(_ id: AccountID) throws -> PINRecord? {
        try row(id, changed: changes.projections.pinRecords[id], cache: \.pinRecords, stored: reads.pinRecord)
    }

    package func point(_ id: PointID) throws -> PointState? {
        try row(id, changed: changes.projections.points[id], cache: \.points, stored: reads.point)
    }

    package func material(_ code: MaterialCode) throws -> MaterialState? {
        try row(code, changed: changes.projections.materials[code], cache: \.materials, stored: reads.material)
    }

    package func token(_ id: TokenID) throws -> TokenState? {
        try row(id, changed: changes.projections.tokens[id], cache: \.tokens, stored: reads.token)
    }

    /// A row as this batch sees it: its own change, else the committed value the writer
    /// remembers, else the database's (remembered from then on, absent or not).
    private func row<Key: Hashable, Value>(_ key: Key, changed: Value?, cache: ReferenceWritableKeyPath<WriterState, RowCache<Key, Value>>,
                                          stored: (Key) throws -> Value?) throws -> Value? {
        if let changed { return changed }
        if let cached = committed[keyPath: cache].lookup(key) { return cached }
        let value = try stored(key)
        committed[keyPath: cache][key] = value
        return value
    }

    package func hold(_ dropoff: Int64) throws -> HoldState? {
        try row(dropoff, changed: changes.projections.holds[dropoff], cache: \.holds, stored: reads.hold)
    }

    /// The committed ones, as this batch has changed them, and the batch's own.
    package func unpostedHeld(of account: AccountID, after timeMs: Int64) throws -> Points {
        var sum = try changes.projections.unpostedHeld(of: account, after: timeMs)
        for held in try reads.unpostedHeld(of: account, after: timeMs) where changes.projections.holds[held.seq] == nil {
            sum = try sum.adding(Points(centipoints: held.centipoints))
        }
        return sum
    }

    package func scheme() throws -> SchemeState {
        if let changed = changes.projections.scheme { return changed }
        if let cached = committed.scheme { return cached }
        let stored = try reads.scheme()
        committed.scheme = stored
        return stored
    }

    /// The committed journal's sum (the database's; asked only while a cap is set), plus this batch's own.
    package func earned(by account: AccountID, since timeMs: Int64) throws -> Points {
        try reads.earned(by: account, since: timeMs).adding(changes.projections.earned(by: account, since: timeMs))
    }

    package func credited(to account: AccountID, after timeMs: Int64) throws -> Points {
        try reads.credited(to: account, after: timeMs).adding(changes.projections.credited(to: account, after: timeMs))
    }

    package func entry(seq: Int64) throws -> Entry? {
        guard seq > committedSeq else { return try reads.entry(seq: seq) }
        let index = seq - committedSeq - 1
        return index < changes.entries.count ? changes.entries[Int(index)] : nil
    }

    package func entry(ref: ClientRef) throws -> Entry? {
        if let index = changes.entryByRef[ref] { return changes.entries[index] }
        return try reads.entry(ref: ref)
    }

    package func reversal(of seq: Int64) throws -> Int64? {
        if let pending = changes.projections.reversals[seq] { return pending }
        return try reads.reversal(of: seq)
    }

    // The writes below only record: they cannot fail, so a request's changes go in whole.

    /// Every credit is recorded: the rules ask only about residents', and a batch is small.
    package func append(_ entry: Entry) {
        if let ref = entry.body.ref { changes.entryByRef[ref] = changes.entries.count }
        changes.entries.append(entry)
        changes.projections.append(entry, recordingCredit: true)
    }

    package func apply(_ change: ProjectionChange, seq: Int64) {
        changes.projections.apply(change, seq: seq)
    }

    package func savePINRecord(_ record: PINRecord, for account: AccountID) {
        changes.projections.pinRecords[account] = record
    }

    package func saveProfile(_ profile: Profile, for account: AccountID) {
        changes.projections.profiles[account] = profile
    }
}

extension WriteBatch {
    /// Judges `requests` in order against this batch (each keeps its own outcome; a refused one
    /// changes nothing) and answers each with its entry and the balances it left.
    package func run(_ requests: [LedgerRequest], timeMs clock: () -> Int64) throws -> [Result<WriteReceipt, any Error>] {
        let engine = try LedgerEngine()
        var batch = self
        var results: [Result<WriteReceipt, any Error>] = []
        results.reserveCapacity(requests.count)
        for request in requests {
            let outcome: LedgerEngine.Outcome
            do {
                outcome = try engine.execute(request, in: &batch, timeMs: clock())
            } catch {
                results.append(.failure(error))
                continue
            }
            switch outcome {
            case .appended(let entry):
                results.append(Result { WriteReceipt(entry: entry, replayed: false, balances: try balances(of: entry)) })
            case .replayed(let entry):
                results.append(Result { WriteReceipt(entry: entry, replayed: true, balances: try balances(of: entry)) })
            case .rejected(_, let error):
                results.append(.failure(error))
            }
        }
        return results
    }

    private func balances(of entry: Entry) throws -> [AccountID: Points] {
        var balances: [AccountID: Points] = [:]
        guard entry.kind.isTransfer else { return balances }
        for id in [entry.body.debit, entry.body.credit].compactMap({ $0 }) {
            balances[id] = try account(id)?.balance
        }
        return balances
    }
}
