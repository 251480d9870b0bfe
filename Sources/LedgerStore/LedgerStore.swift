import Foundation
import LedgerPersistence
import GRDB
import LedgerCore
import LedgerCrypto
import LedgerHost
import LedgerTransparency
import Synchronization

/// A ledger in one SQLite file: the journal and its projections, behind a typed API.
///
/// With LedgerPostgres, the only code that knows SQL. Writes are serialized by GRDB's single writer
/// connection: `submit` runs one request in a transaction of its own, `submitBatch` runs many in
/// one transaction (group commit), judged against the writer's state in memory. Either returns only after the
/// transaction is committed (WAL, `synchronous=FULL`). Reads run on WAL readers and never wait
/// for writes.
public final class LedgerStore: Sendable {
    let pool: DatabasePool
    private let clock: @Sendable () -> Int64
    /// What the single writer keeps of the committed ledger (head, tree edge, hot rows); the
    /// lock is only ever taken by the writer, around a whole batch.
    private let writer = Mutex(Writer())

    /// The single writer's memory: the committed rows it holds, and whether an erasure's
    /// truncating WAL checkpoint is still to be done (a reader held it up).
    private struct Writer: ~Copyable {
        let state = WriterState()
        var scrubPending = false
        var lastScrubAttemptMs: Int64 = 0
    }
    public let path: String

    /// Creates a new ledger file; fails if anything already exists at `path`.
    public static func create(at path: String, clock: @escaping @Sendable () -> Int64 = WallClock.now) throws -> LedgerStore {
        guard !FileManager.default.fileExists(atPath: path) else { throw StoreError.alreadyExists(path: path) }
        return try LedgerStore(path: path, readOnly: false, clock: clock)
    }

    /// Opens an existing ledger file, applying any migrations it lacks (none when `readOnly`).
    public static func open(at path: String, readOnly: Bool = false,
                            clock: @escaping @Sendable () -> Int64 = WallClock.now) throws -> LedgerStore {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError.missing(path: path) }
        return try LedgerStore(path: path, readOnly: readOnly, clock: clock)
    }

    /// Opens `path`, creating the ledger if the file does not exist yet.
    public static func openOrCreate(at path: String, clock: @escaping @Sendable () -> Int64 = WallClock.now) throws -> LedgerStore {
        try LedgerStore(path: path, readOnly: false, clock: clock)
    }

    /// The WAL is copied into the main file (a checkpoint, inside the commit that passes this
    /// many pages of log) at half SQLite's default of 1,000: a commit that runs a checkpoint
    /// waits for it, and so do its clients, and a shorter one keeps the latency's tail down.
    /// Measured on the 3.2M-entry bench ledger, 32 connections (issue 21, session 6): p99 at
    /// 4,000 drop-offs/s 4.4–5.5 ms against 6.2–8.8 ms; the peak 7–12% lower.
    static let walCheckpointPages = 500

    private init(path: String, readOnly: Bool, clock: @escaping @Sendable () -> Int64) throws {
        self.path = path
        self.clock = clock
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Deleted content (an erased profile) is overwritten with zeros, not left in the file.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        let isNew = !FileManager.default.fileExists(atPath: path)
        if isNew, !readOnly {
            // Owner-only from the first byte; SQLite gives the -wal and -shm files the mode of
            // the database file, so they are owner-only too.
            try SecretFile.create(path, contents: [])
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            if !readOnly {
                // GRDB's WAL set-up lowers the writer to synchronous=NORMAL after
                // prepareDatabase runs; a ledger acknowledges only what survives power loss.
                try pool.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA synchronous = FULL")
                    try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.walCheckpointPages)")
                }
            }
            if !isNew {
                try pool.read { db in
                    guard try db.tableExists("ledger_meta"),
                          try String.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = 'format'") == "ecoledger"
                    else { throw StoreError.notALedger(path: path, reason: "it has no ecoledger metadata") }
                }
            }
            if !readOnly {
                try Schema.migrator.migrate(pool)
                try buildMissingTree()
                // Whatever a crash left in the log (an erasure's scrub included) goes now.
                _ = try? Self.truncateWAL(pool)
            }
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw StoreError.notALedger(path: path, reason: "it is not a SQLite database")
        } catch let error as DatabaseError {
            throw StoreError.notALedger(path: path, reason: error.message ?? "\(error.resultCode)")
        }
    }

    // MARK: Writes

    /// Executes one request in its own transaction and returns once it is durable.
    ///
    /// Throws `LedgerError` when the ledger refuses it (nothing changed, except that a wrong
    /// PIN is journaled as `pin_rejected` before its `wrongPIN` error is thrown).
    public func submit(_ request: LedgerRequest) throws -> WriteReceipt {
        try submitBatch([request])[0].get()
    }

    /// Group commit: executes `requests` in order in one SQLite transaction (one fsync) and
    /// returns once the transaction is durable.
    ///
    /// Each request keeps its own outcome: a refused one changes nothing and its neighbours are
    /// unaffected. The entries and hashes are exactly those that one transaction per request
    /// would have produced. If writing or committing the batch fails, nothing is written and,
    /// when the batch held several requests, each is tried again in a transaction of its own, so
    /// a request that cannot be stored fails alone.
    public func submitBatch(_ requests: [LedgerRequest]) throws -> [Result<WriteReceipt, any Error>] {
        try writer.withLock { writer in
            do {
                return try writeBatch(requests, writer: &writer).map { $0.mapError(StoreError.classify) }
            } catch {
                writer.state.forget()
                guard requests.count > 1 else { throw StoreError.classify(error) }
            }
            return requests.map { request in
                do {
                    return try writeBatch([request], writer: &writer)[0].mapError(StoreError.classify)
                } catch {
                    writer.state.forget()
                    return .failure(StoreError.classify(error))
                }
            }
        }
    }

    /// One transaction: every request judged against the batch's running state in memory, then
    /// the batch's changes written at once (`BatchFlush`), then the commit. The writer's state
    /// takes in the changes only after the commit succeeded.
    private func writeBatch(_ requests: [LedgerRequest], writer: inout Writer) throws -> [Result<WriteReceipt, any Error>] {
        let state = writer.state
        var committed: (WriteBatch.Changes, MerkleFrontier)?
        let results = try pool.write { db -> [Result<WriteReceipt, any Error>] in
            // One read per batch: the file is still the one this writer last committed.
            let head = try SQLReads(db: db).head()
            state.validate(storedHead: head)
            let batch = WriteBatch(reads: SQLReads(db: db), committed: state, head: head)
            let results = try batch.run(requests, timeMs: clock)
            let changes = batch.changes
            guard !changes.entries.isEmpty else { return results }
            var frontier = try state.frontier.flatMap { $0.size == head.seq ? $0 : nil }
                ?? MerkleTreeStore(db: db).frontier(size: head.seq)
            try BatchFlush(db: db).write(changes, tree: &frontier)
            committed = (changes, frontier)
            return results
        }
        if let (changes, frontier) = committed {
            state.commit(changes, frontier: frontier)
            let erased = changes.projections.profiles.values.contains { $0 == nil }
            if erased { writer.scrubPending = true }
            scrub(&writer, force: erased)
        }
        return results
    }

    /// After an erasure, the old images of the erased profile's page are still in the
    /// write-ahead log, and in the main file until a checkpoint writes the new page there. A
    /// truncating checkpoint removes both, but only when no reader is using an older snapshot;
    /// it is tried without waiting for readers (an audit's long read would otherwise hold the
    /// writer up) after the erasure, then again at most once a second (`retryPendingScrub`)
    /// until it succeeds. A checkpoint at open covers a crash in between.
    private func scrub(_ state: inout Writer, force: Bool = false) {
        guard state.scrubPending else { return }
        let now = clock()
        guard force || now - state.lastScrubAttemptMs >= 1_000 else { return }
        state.lastScrubAttemptMs = now
        if (try? Self.truncateWAL(pool)) == true { state.scrubPending = false }
    }

    /// `PRAGMA wal_checkpoint(TRUNCATE)` without waiting for readers: whether it completed.
    private static func truncateWAL(_ pool: DatabasePool) throws -> Bool {
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA busy_timeout = 0")
            defer { try? db.execute(sql: "PRAGMA busy_timeout = 10000") }
            // (busy, log frames, checkpointed frames): complete when not busy and the log is empty.
            let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            return row.map { $0[0] as Int64 == 0 && $0[1] as Int64 == 0 } ?? false
        }
    }

    /// Tries again to scrub the files after an erasure a reader held up (see `scrub`); the
    /// server's `ScrubRetryService` calls it every second. Does nothing when no scrub is pending.
    public func retryPendingScrub() {
        writer.withLock { state in scrub(&state) }
    }

    /// Whether an erasure's scrub is still to be done (for tests and operators).
    public var scrubPending: Bool { writer.withLock { $0.scrubPending } }

    /// Builds the tree for entries it does not cover yet: a ledger made before the tree existed,
    /// opened for the first time since. In transactions of 50,000 entries.
    private func buildMissingTree() throws {
        while true {
            let done = try pool.write { db -> Bool in
                let tree = MerkleTreeStore(db: db)
                let size = try tree.storedSize()
                let head = try SQLReads(db: db).head().seq
                guard size < head else { return true }
                let hashes = try Data.fetchAll(db, sql: "SELECT hash FROM journal WHERE seq > ? ORDER BY seq LIMIT 50000", arguments: [size])
                    .map { data -> Hash256 in
                        guard let hash = Hash256(bytes: data) else { throw StoreError.corrupt("a journal hash is not 32 bytes") }
                        return hash
                    }
                var frontier = try tree.frontier(size: size)
                try tree.append(hashes, to: &frontier)
                return false
            }
            if done { return }
        }
    }

    /// The ledger's files (the database, its -wal and -shm) that group or others may read or write.
    public func exposedFiles() -> [String] {
        [path, path + "-wal", path + "-shm"].filter(SecretFile.isExposed)
    }

    /// Whether any stored PIN record is keyed, i.e. needs the server's PIN key to be checked.
    public func hasKeyedPINRecords() throws -> Bool {
        try read { try $0.hasKeyedPINRecords() }
    }

    // MARK: Reads

    static func tokens(_ db: Database) throws -> [TokenState] {
        try Row.fetchAll(db, sql: "SELECT \(RowDecoding.tokenColumns) FROM tokens ORDER BY id").map(RowDecoding.token)
    }

    /// Runs `body` on a read-only connection holding one consistent snapshot of the file.
    func withSnapshot<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// Checkpoints the WAL into the main file (leaving the `-wal` file empty), then closes every
    /// connection. After a clean close the main file alone holds the whole ledger.
    public func close() throws {
        if !pool.configuration.readonly {
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        }
        try pool.close()
    }
}
