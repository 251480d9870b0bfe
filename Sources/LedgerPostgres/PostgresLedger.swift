import Foundation
import LedgerCore
import LedgerCrypto
import LedgerHost
import LedgerPersistence
import LedgerTransparency
import PostgresNIO
import Synchronization

/// A ledger in a PostgreSQL database: the same tables, entries, hashes and tree as a SQLite
/// file, for a city that needs the ledger to outlive one machine (streaming replication).
///
/// Reads run on a small pool of connections, each in a REPEATABLE READ snapshot. Appends go
/// through one writer connection, and only while this process holds the writer lease
/// (`writer_lease`): every batch renews the lease and checks the epoch it took it with, and
/// extends exactly the head it last committed, inside its own transaction, so a writer that was
/// paused while another took over fails its next batch instead of forking the chain.
public final class PostgresLedger: Sendable {
    public let url: PostgresURL
    private let password: String?
    let clock: @Sendable () -> Int64
    private let readers = Mutex<[PGConnection]>([])
    let writer: Mutex<Writer>
    /// The head of the last batch whose COMMIT returned (or the head seen right after the lease
    /// was taken, itself a synchronous commit): what checkpoints may cover. -1 when not the writer.
    let acknowledged = Atomic<Int64>(-1)
    /// How long a lease lasts without renewal: a standby takes over this long after the active
    /// writer last renewed it.
    public let leaseMs: Int64

    struct Writer: ~Copyable {
        var connection: PGConnection?
        let state = WriterState()
        /// The lease epoch this process holds; nil when it is not the writer.
        var epoch: Int64?
        let holder: String
    }

    /// What an attempt to become the writer found.
    public enum LeaseOutcome: Equatable, Sendable {
        case acquired(epoch: Int64)
        /// Another process holds an unexpired lease.
        case heldBy(String)
    }

    private init(url: PostgresURL, password: String?, holder: String, leaseMs: Int64, clock: @escaping @Sendable () -> Int64) {
        self.url = url
        self.password = password
        self.clock = clock
        self.leaseMs = leaseMs
        writer = Mutex(Writer(connection: nil, epoch: nil, holder: holder))
    }

    /// Makes the ledger's tables in an empty database; refuses a database that already holds
    /// a ledger or anything else.
    public static func create(url: PostgresURL, password: String?, holder: String = PostgresLedger.defaultHolder,
                              leaseMs: Int64 = 3_000, clock: @escaping @Sendable () -> Int64 = WallClock.now) throws -> PostgresLedger {
        let ledger = PostgresLedger(url: url, password: password, holder: holder, leaseMs: leaseMs, clock: clock)
        let connection = try ledger.connectWritable()
        defer { connection.close() }
        let tables = try connection.query("""
            SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema() ORDER BY tablename
            """).map { try $0.text(0, "tablename") }
        if tables.contains("ledger_meta") { throw StoreError.alreadyExists(path: url.description) }
        guard tables.isEmpty else {
            throw StoreError.notALedger(path: url.description, reason: "the database holds other tables (\(tables.prefix(5).joined(separator: ", "))); "
                                        + "create the ledger in a database of its own")
        }
        try connection.transaction {
            for migration in PostgresSchema.migrations {
                for statement in PostgresSchema.statements(migration.sql) { try connection.query(statement) }
                try connection.query("INSERT INTO schema_migrations (name) VALUES ($1)", [.text(migration.name)])
            }
        }
        return ledger
    }

    /// Opens an existing ledger, checking that it is one and that this version can read it.
    public static func open(url: PostgresURL, password: String?, holder: String = PostgresLedger.defaultHolder,
                            leaseMs: Int64 = 3_000, clock: @escaping @Sendable () -> Int64 = WallClock.now) throws -> PostgresLedger {
        let ledger = PostgresLedger(url: url, password: password, holder: holder, leaseMs: leaseMs, clock: clock)
        let connection = try ledger.connectWritable()
        defer { ledger.giveBack(connection) }
        try ledger.checkSchema(connection)
        return ledger
    }

    /// `HOSTNAME pid PID`: who holds the writer lease, as operators read it.
    public static var defaultHolder: String {
        "\(ProcessInfo.processInfo.hostName) pid \(getpid())"
    }

    private func checkSchema(_ connection: PGConnection) throws {
        let hasTables = try connection.one(
            "SELECT (to_regclass('ledger_meta') IS NOT NULL AND to_regclass('schema_migrations') IS NOT NULL)::int")
        guard try hasTables?.flag(0, "tables") == true else {
            throw StoreError.notALedger(path: url.description, reason: "it has no ecoledger tables (create one with: ecoledger init --db \(url))")
        }
        guard try connection.one("SELECT value FROM ledger_meta WHERE key = 'format'")?.text(0, "value") == "ecoledger" else {
            throw StoreError.notALedger(path: url.description, reason: "it has no ecoledger metadata")
        }
        let applied = Set(try connection.query("SELECT name FROM schema_migrations").map { row in try row.text(0, "name") })
        let known = PostgresSchema.migrations.map(\.name)
        if let newer = applied.subtracting(known).sorted().first {
            throw StoreError.notALedger(path: url.description, reason: "it was made by a newer ecoledger (schema \(newer)); upgrade ecoledger")
        }
        if let missing = known.first(where: { !applied.contains($0) }) {
            throw StoreError.needsUpgrade(path: url.description, migration: missing)
        }
    }

    // MARK: Connections

    /// A connection to the host that accepts writes: each named host in turn, skipping standbys.
    func connectWritable() throws -> PGConnection {
        var reasons: [String] = []
        for endpoint in url.endpoints {
            let connection: PGConnection
            do {
                connection = try PGConnection.connect(url, endpoint: endpoint, password: password)
            } catch StoreError.unreachable(let why) {
                reasons.append(why)
                continue
            } catch {
                reasons.append("\(error)")
                continue
            }
            do {
                if try connection.one("SELECT pg_is_in_recovery()::int")?.flag(0, "pg_is_in_recovery") == false { return connection }
                reasons.append("\(endpoint) is a standby (read-only)")
            } catch {
                reasons.append("\(endpoint): \(error)")
            }
            connection.close()
        }
        throw StoreError.unreachable(reasons.isEmpty ? "no PostgreSQL host named" : reasons.joined(separator: "; "))
    }

    private func takeReader() throws -> PGConnection {
        if let connection = readers.withLock({ $0.popLast() }), !connection.isClosed { return connection }
        return try connectWritable()
    }

    private func giveBack(_ connection: PGConnection) {
        guard !connection.isClosed else { return }
        let kept = readers.withLock { pool -> Bool in
            guard pool.count < 8 else { return false }
            pool.append(connection)
            return true
        }
        if !kept { connection.close() }
    }

    /// Runs `body` on one REPEATABLE READ snapshot: every read in it sees the same history.
    public func read<T>(_ body: (any LedgerReads) throws -> T) throws -> T {
        let connection = try takeReader()
        do {
            let result = try connection.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") {
                let known = acknowledged.load(ordering: .acquiring)
                return try body(PGReads(connection: connection, acknowledged: known >= 0 ? known : nil))
            }
            giveBack(connection)
            return result
        } catch {
            if case StoreError.unreachable = error { connection.close() } else { giveBack(connection) }
            throw error
        }
    }

    /// Closes every connection; the lease is left to run out (or is released when `releaseLease`).
    public func close() {
        for connection in readers.withLock({ pool in defer { pool = [] }; return pool }) { connection.close() }
        writer.withLock { writer in
            writer.connection?.close()
            writer.connection = nil
        }
    }

    // MARK: The writer lease

    /// Takes the writer lease if nobody holds an unexpired one (a new epoch), or renews this
    /// process's own.
    public func acquireLease() throws -> LeaseOutcome {
        try writer.withLock { writer in
            let connection = try writerConnection(&writer)
            if let epoch = writer.epoch, try renew(connection, epoch: epoch) { return .acquired(epoch: epoch) }
            writer.epoch = nil
            acknowledged.store(-1, ordering: .releasing)
            let taken = try connection.one("""
                UPDATE writer_lease SET epoch = epoch + 1, holder = $1, expires_at = clock_timestamp() + $2 * interval '1 millisecond'
                WHERE id = 1 AND expires_at < clock_timestamp() RETURNING epoch
                """, [.text(writer.holder), .int(leaseMs)])
            if let taken {
                let epoch = try taken.integer(0, "epoch")
                writer.epoch = epoch
                writer.state.forget()
                // The lease's commit returned, so the standby holds everything before it.
                acknowledged.store(try PGReads(connection: connection).head().seq, ordering: .releasing)
                return .acquired(epoch: epoch)
            }
            let holder = try connection.one("SELECT holder FROM writer_lease WHERE id = 1")?.text(0, "holder") ?? "?"
            return .heldBy(holder)
        }
    }

    /// Gives the lease up at once (a clean stop), so a standby need not wait for it to run out.
    public func releaseLease() {
        writer.withLock { writer in
            guard let epoch = writer.epoch, let connection = writer.connection else { return }
            _ = try? connection.query("UPDATE writer_lease SET expires_at = '-infinity' WHERE id = 1 AND epoch = $1", [.int(epoch)])
            writer.epoch = nil
            acknowledged.store(-1, ordering: .releasing)
        }
    }

    private func renew(_ connection: PGConnection, epoch: Int64) throws -> Bool {
        try connection.execute("""
            UPDATE writer_lease SET expires_at = clock_timestamp() + $1 * interval '1 millisecond' WHERE id = 1 AND epoch = $2
            """, [.int(leaseMs), .int(epoch)]) == 1
    }

    func writerConnection(_ writer: inout Writer) throws -> PGConnection {
        if let connection = writer.connection, !connection.isClosed { return connection }
        writer.connection = nil
        writer.state.forget()
        let connection = try connectWritable()
        do {
            try connection.query(PGBatchFlush.createWriteFunction)
        } catch let refusal as PostgresRefusal {
            connection.close()
            throw StoreError.unavailable("""
                the writer cannot create its session function (\(refusal.message)): \
                grant its role TEMP on the database (PostgreSQL grants it to every role unless revoked)
                """)
        }
        writer.connection = connection
        return connection
    }

    // MARK: Beside the journal

    /// Keeps a checkpoint the log has just signed; its root must be the tree's at its size.
    public func recordCheckpoint(size: Int64, root: Hash256, note: String, timeMs: Int64) throws {
        try withConnection { connection in
            try connection.transaction {
                let reads = PGReads(connection: connection)
                guard size <= (try reads.head().seq), try MerkleProver(PGTree(connection: connection)).root(size: size) == root else {
                    throw StoreError.corrupt("a checkpoint for size \(size) does not match the journal's tree")
                }
                try connection.query("INSERT INTO checkpoints (size, root, note, time_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING",
                                     [.int(size), .bytes(root.bytes), .text(note), .int(timeMs)])
            }
        }
    }

    /// Keeps a witness's cosignature line for the checkpoint of `size` (the latest one wins).
    public func recordCosignature(size: Int64, witness: String, line: String) throws {
        try withConnection { connection in
            _ = try connection.query("""
                INSERT INTO cosignatures (size, witness, line) VALUES ($1, $2, $3) ON CONFLICT (size, witness) DO UPDATE SET line = excluded.line
                """, [.int(size), .text(witness), .text(line)])
        }
    }

    /// A value of `ledger_meta`.
    public func meta(_ key: String) throws -> String? {
        try read { try $0.meta(key) }
    }

    /// Sets a `ledger_meta` value once; a different value is refused.
    public func setMetaOnce(_ key: String, _ value: String) throws {
        try withConnection { connection in
            try connection.query("INSERT INTO ledger_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", [.text(key), .text(value)])
            let stored = try connection.one("SELECT value FROM ledger_meta WHERE key = $1", [.text(key)])?.text(0, "value")
            guard stored == value else {
                throw StoreError.notALedger(path: url.description, reason: "its \(key) is \(stored ?? "unset"), not \(value)")
            }
        }
    }

    /// PostgreSQL removes an erased profile's row version at the next vacuum; nothing to retry here.
    public func retryPendingScrub() {}

    private func withConnection<T>(_ body: (PGConnection) throws -> T) throws -> T {
        let connection = try takeReader()
        do {
            let result = try body(connection)
            giveBack(connection)
            return result
        } catch {
            if case StoreError.unreachable = error { connection.close() } else { giveBack(connection) }
            throw error
        }
    }
}


