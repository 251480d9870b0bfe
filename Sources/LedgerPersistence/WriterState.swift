import LedgerCore
import LedgerTransparency

/// What the single writer knows of the committed ledger, in memory only it touches: the chain
/// head, the Merkle tree's right edge, and every account, PIN record, point, material and token
/// it has read or written, so a steady stream of writes reads almost nothing from the database.
///
/// Every value here is committed: a batch works on its own overlay (`WriteBatch`) and its
/// changes come here only once its transaction has committed. Rows are cached as the writer
/// first needs them, absent ones too (`nil`: an account that does not exist yet), and a table's
/// cache starts again empty when it reaches `capacity`, so memory stays bounded however many
/// residents a city has.
///
/// The head is compared with the stored head at the start of every batch: if anything else
/// wrote the ledger (another process, a restore), everything cached is forgotten.
package final class WriterState {
    /// Rows kept per table before its cache is emptied (about 30 MB of accounts).
    package static let capacity = 100_000

    package init() {}

    package private(set) var head: ChainHead?
    package private(set) var frontier: MerkleFrontier?
    /// Committed rows only: a batch adds what it reads from the file, and its own changes once
    /// they are committed (`commit`).
    package var accounts = RowCache<AccountID, AccountState>()
    package var pinRecords = RowCache<AccountID, PINRecord>()
    package var points = RowCache<PointID, PointState>()
    package var materials = RowCache<MaterialCode, MaterialState>()
    package var tokens = RowCache<TokenID, TokenState>()
    /// The scheme's settings, once read.
    package var scheme: SchemeState?
    package var holds = RowCache<Int64, HoldState>()

    /// The committed head, checked against the stored one: when they differ (or nothing is
    /// known yet), every cached row is dropped and the stored head is adopted.
    package func validate(storedHead: ChainHead) {
        guard head != storedHead else { return }
        forget()
        head = storedHead
    }

    /// Drops everything: after a failed commit, or when the ledger changed behind the writer.
    package func forget() {
        head = nil
        frontier = nil
        accounts = RowCache()
        pinRecords = RowCache()
        points = RowCache()
        materials = RowCache()
        tokens = RowCache()
        scheme = nil
        holds = RowCache()
    }

    /// Takes in a batch whose transaction has committed.
    package func commit(_ batch: WriteBatch.Changes, frontier: MerkleFrontier) {
        head = batch.head
        self.frontier = frontier
        let batch = batch.projections
        for (id, account) in batch.accounts { accounts[id] = account }
        for (id, record) in batch.pinRecords { pinRecords[id] = record }
        for (id, point) in batch.points { points[id] = point }
        for (code, material) in batch.materials { materials[code] = material }
        for (id, token) in batch.tokens { tokens[id] = token }
        if let changed = batch.scheme { scheme = changed }
        for (seq, hold) in batch.holds { holds[seq] = hold }
    }
}

/// A bounded map of rows by key, absent rows included: `lookup` distinguishes "not cached"
/// (nil) from "cached as absent" (`.some(nil)`).
package struct RowCache<Key: Hashable, Value> {
    private var rows: [Key: Value?] = [:]

    package init() {}

    package func lookup(_ key: Key) -> Value?? { rows[key] }

    package subscript(key: Key) -> Value? {
        get { rows[key] ?? nil }
        set {
            if rows.count >= WriterState.capacity, rows[key] == nil { rows.removeAll() }
            rows[key] = .some(newValue)
        }
    }
}
