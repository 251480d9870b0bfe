import Foundation
import GRDB
import LedgerCrypto

/// A collection point's durable outbox (`ecoledger kiosk`): requests are written here, with the
/// ref that makes them idempotent, before anything is sent, and delivered in order whenever the
/// server is reachable. A retry always carries the same ref, so the server applies each request
/// once however often the network (or the kiosk) fails.
///
/// One SQLite file, `queue.sqlite` in the queue's folder, owner-only, WAL, `synchronous=FULL`:
/// a request `enqueue` returned is on disk.
public final class KioskQueue {
    /// Where a request is.
    public enum State: String, Sendable {
        /// Not yet answered by the server.
        case pending
        /// Answered `OK`.
        case done
        /// Answered with an error that a retry would only repeat (a bad argument, a conflict…).
        case failed
    }

    /// One queued request and what became of it.
    public struct Item: Sendable, Equatable {
        public let id: Int64
        public let ref: String
        public let line: String
        public let queuedMs: Int64
        public let state: State
        public let attempts: Int64
        /// The server's reply once answered; the last delivery problem while pending.
        public let reply: String?
        public let lastError: String?
        public let answeredMs: Int64?
        /// The entry's receipt (a c2sp.org/tlog-proof text), when the server gave one.
        public let receipt: String?
    }

    private let queue: DatabaseQueue
    /// This queue's own random id (48 bits), the middle of the refs it makes.
    public let id: String
    public let path: String

    /// Opens the queue in `folder` (created 0700 when missing), creating its file on first use.
    public init(folder: String) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        path = (folder as NSString).appendingPathComponent("queue.sqlite")
        if !FileManager.default.fileExists(atPath: path) { try SecretFile.create(path, contents: []) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001_kiosk_queue") { db in
            try db.execute(sql: """
                CREATE TABLE queue_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE requests (
                    id          INTEGER PRIMARY KEY,
                    ref         TEXT    NOT NULL UNIQUE,
                    line        TEXT    NOT NULL,
                    queued_ms   INTEGER NOT NULL,
                    state       TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
                    attempts    INTEGER NOT NULL DEFAULT 0,
                    reply       TEXT,
                    last_error  TEXT,
                    answered_ms INTEGER,
                    receipt     TEXT
                );
                CREATE INDEX requests_pending ON requests (id) WHERE state = 'pending';
                """)
            try db.execute(sql: "INSERT INTO queue_meta (key, value) VALUES ('id', ?)", arguments: [Hex.encode(try SecureRandom.bytes(6))])
        }
        try migrator.migrate(queue)
        id = try queue.read { db in try String.fetchOne(db, sql: "SELECT value FROM queue_meta WHERE key = 'id'") } ?? "?"
    }

    /// A fresh ref for a request that brings none: `kq-QUEUEID-RANDOM`, 64 random bits, so no
    /// other kiosk or client can guess (and take) a ref before this queue uses it, and two
    /// kiosk processes never make the same one.
    public func newRef() throws -> String {
        "kq-\(id)-\(Hex.encode(try SecureRandom.bytes(8)))"
    }

    /// Whether `error` is `enqueue`'s refusal of a ref already queued.
    public static func isDuplicateRef(_ error: any Error) -> Bool {
        (error as? DatabaseError)?.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
    }

    /// Records a request; durable when this returns. `line` must already carry `ref`.
    public func enqueue(line: String, ref: String, nowMs: Int64) throws -> Item {
        try queue.write { db in
            try db.execute(sql: "INSERT INTO requests (ref, line, queued_ms) VALUES (?, ?, ?)", arguments: [ref, line, nowMs])
            return try Self.items(db, sql: "WHERE id = ?", arguments: [db.lastInsertedRowID])[0]
        }
    }

    /// The requests still to deliver, oldest first.
    public func pending() throws -> [Item] {
        try queue.read { db in try Self.items(db, sql: "WHERE state = 'pending' ORDER BY id") }
    }

    /// Every request, oldest first.
    public func all() throws -> [Item] {
        try queue.read { db in try Self.items(db, sql: "ORDER BY id") }
    }

    public func item(_ id: Int64) throws -> Item? {
        try queue.read { db in try Self.items(db, sql: "WHERE id = ?", arguments: [id]).first }
    }

    /// The server answered: `done` for OK, `failed` for an error a retry would repeat.
    public func answer(_ id: Int64, reply: String, state: State, nowMs: Int64) throws {
        try queue.write { db in
            try db.execute(sql: """
                UPDATE requests SET state = ?, reply = ?, answered_ms = ?, attempts = attempts + 1, last_error = NULL
                WHERE id = ? AND state = 'pending'
                """, arguments: [state.rawValue, reply, nowMs, id])
        }
    }

    /// A delivery attempt that did not get an answer (unreachable, closed, busy): still pending.
    public func attemptFailed(_ id: Int64, error: String) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE requests SET attempts = attempts + 1, last_error = ? WHERE id = ? AND state = 'pending'",
                           arguments: [error, id])
        }
    }

    public func keepReceipt(_ id: Int64, _ receipt: String) throws {
        try queue.write { db in try db.execute(sql: "UPDATE requests SET receipt = ? WHERE id = ?", arguments: [receipt, id]) }
    }

    /// The answered requests whose receipt is still to fetch (`OK seq=N …` replies).
    public func awaitingReceipt() throws -> [Item] {
        try queue.read { db in try Self.items(db, sql: "WHERE state = 'done' AND receipt IS NULL AND reply LIKE 'OK seq=%' ORDER BY id") }
    }

    public func close() throws {
        try queue.close()
    }

    private static func items(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [Item] {
        try Row.fetchAll(db, sql: """
            SELECT id, ref, line, queued_ms, state, attempts, reply, last_error, answered_ms, receipt FROM requests \(sql)
            """, arguments: arguments).map { row in
            Item(id: row[0], ref: row[1], line: row[2], queuedMs: row[3], state: State(rawValue: row[4]) ?? .pending, attempts: row[5],
                 reply: row[6], lastError: row[7], answeredMs: row[8], receipt: row[9])
        }
    }
}
