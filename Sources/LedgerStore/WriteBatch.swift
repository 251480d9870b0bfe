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

    /// What the batch has written, as the rows' final values.
    struct Changes {
        var head: ChainHead
        var entries: [Entry] = []
        var entryByRef: [ClientRef: Int] = [:]
        var accounts: [AccountID: AccountState] = [:]
        var pinRecords: [AccountID: PINRecord] = [:]
        /// Profiles saved (a resident opened) or erased (`nil`).
        var profiles: [AccountID: Profile?] = [:]
        var points: [PointID: PointState] = [:]
        var materials: [MaterialCode: MaterialState] = [:]
        var tokens: [TokenID: TokenState] = [:]
        var scheme: SchemeState?
        var holds: [Int64: HoldState] = [:]
        /// original seq → reversing seq
        var reversals: [(original: Int64, by: Int64)] = []
    }

    init(db: Database, committed: WriterState, head: ChainHead) {
        reads = SQLReads(db: db)
        self.committed = committed
        committedSeq = head.seq
        changes = Changes(head: head)
    }

    func head() -> ChainHead { changes.head }

    func account(_ id: AccountID) throws -> AccountState? {
        try row(id, changed: changes.accounts[id], cache: \.accounts, stored: reads.account)
    }

    func pinRecord(_ id: AccountID) throws -> PINRecord? {
        try row(id, changed: changes.pinRecords[id], cache: \.pinRecords, stored: reads.pinRecord)
    }

    func point(_ id: PointID) throws -> PointState? {
        try row(id, changed: changes.points[id], cache: \.points, stored: reads.point)
    }

    func material(_ code: MaterialCode) throws -> MaterialState? {
        try row(code, changed: changes.materials[code], cache: \.materials, stored: reads.material)
    }

    func token(_ id: TokenID) throws -> TokenState? {
        try row(id, changed: changes.tokens[id], cache: \.tokens, stored: reads.token)
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
        try row(dropoff, changed: changes.holds[dropoff], cache: \.holds, stored: reads.hold)
    }

    /// The committed ones, as this batch has changed them.
    func unpostedHeld(of account: AccountID, after timeMs: Int64) throws -> Points {
        var sum = Points.zero
        for held in try reads.unpostedHeld(of: account, after: timeMs) where changes.holds[held.seq] == nil {
            sum = try sum.adding(Points(centipoints: held.centipoints))
        }
        for hold in changes.holds.values where hold.account == account && hold.creditedMs > timeMs && hold.decision != .posted {
            sum = try sum.adding(hold.amount)
        }
        return sum
    }

    func scheme() throws -> SchemeState {
        if let changed = changes.scheme { return changed }
        if let cached = committed.scheme { return cached }
        let stored = try reads.scheme()
        committed.scheme = stored
        return stored
    }

    /// The committed journal's sum (SQL; asked only while a cap is set), plus this batch's own.
    func earned(by account: AccountID, since timeMs: Int64) throws -> Points {
        var sum = try reads.earned(by: account, since: timeMs)
        for entry in changes.entries where entry.kind == .dropoff && entry.body.credit == account && entry.timeMs >= timeMs {
            sum = try sum.adding(entry.body.amount)
        }
        return sum
    }

    func credited(to account: AccountID, after timeMs: Int64) throws -> Points {
        var sum = try reads.credited(to: account, after: timeMs)
        for entry in changes.entries where entry.body.credit == account && entry.timeMs > timeMs {
            sum = try sum.adding(entry.body.amount)
        }
        return sum
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
        if let pending = changes.reversals.first(where: { $0.original == seq }) { return pending.by }
        return try reads.reversal(of: seq)
    }

    // The writes below only record: they cannot fail, so a request's changes go in whole.

    func append(_ entry: Entry) {
        if let ref = entry.body.ref { changes.entryByRef[ref] = changes.entries.count }
        changes.entries.append(entry)
        changes.head = ChainHead(seq: entry.seq, hash: entry.hash, timeMs: entry.timeMs)
    }

    func apply(_ change: ProjectionChange, seq: Int64) {
        switch change {
        case .putAccount(let account): changes.accounts[account.id] = account
        case .putPoint(let point): changes.points[point.id] = point
        case .putMaterial(let material): changes.materials[material.code] = material
        case .putToken(let token): changes.tokens[token.id] = token
        case .putScheme(let scheme): changes.scheme = scheme
        case .putHold(let hold): changes.holds[hold.dropoff] = hold
        case .eraseProfile(let account): changes.profiles[account] = .some(nil)
        case .markReversed(let original): changes.reversals.append((original, seq))
        }
    }

    func savePINRecord(_ record: PINRecord, for account: AccountID) {
        changes.pinRecords[account] = record
    }

    func saveProfile(_ profile: Profile, for account: AccountID) {
        changes.profiles[account] = profile
    }
}
