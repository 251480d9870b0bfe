import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif
import LedgerCrypto
import LedgerHost

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
        /// False when the stored line holds a NUL (text read back stops there): never sent.
        public let lineIsWhole: Bool
    }

    private let queue: DatabaseQueue
    /// This queue's own random id (48 bits), the middle of the refs it makes.
    public let id: String
    public let path: String

    /// Why a queue cannot be used as found: someone else could read it or plant requests in it.
    public struct Exposed: Error, CustomStringConvertible {
        public let description: String
    }

    /// Opens the queue in `folder` (created 0700 when missing), creating its file on first use.
    ///
    /// The queue holds requests that go out under the operator's token, so, as ssh does with
    /// exposed keys, a folder or file that is not this user's own, or that group or others may
    /// read or write, or a symlink in their place, is refused (`Exposed`), with the command
    /// that fixes it, before anything is read.
    public init(folder: String, create: Bool = true) throws {
        // `q/` would follow a symlink `q` where `q` does not: the folder is judged without it.
        var folder = folder
        while folder.count > 1, folder.hasSuffix("/") || folder.hasSuffix("/.") {
            folder.removeLast(folder.hasSuffix("/.") ? 2 : 1)
        }
        if create, !FileManager.default.fileExists(atPath: folder) {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        try Self.refuseExposed(folder, isFolder: true)
        path = (folder as NSString).appendingPathComponent("queue.sqlite")
        for name in ["queue.sqlite", "queue.sqlite-wal", "queue.sqlite-shm", "deliver.lock"] {
            try Self.refuseExposed((folder as NSString).appendingPathComponent(name), isFolder: false)
        }
        if !create, !FileManager.default.fileExists(atPath: path) {
            throw Exposed(description: "no kiosk queue at \(folder) (a queue is made by the first request queued there)")
        }
        if !FileManager.default.fileExists(atPath: path) { try SecretFile.create(path, contents: []) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        var migrator = DatabaseMigrator()
        // The table's truth is schema/kiosk/001_kiosk_queue.sql, embedded; the name is the
        // migration's since the first queue, so existing queues are not migrated twice.
        migrator.registerMigration("001_kiosk_queue") { db in
            try db.execute(sql: String(decoding: PackageResources._01_kiosk_queue_sql, as: UTF8.self))
            try db.execute(sql: "INSERT INTO queue_meta (key, value) VALUES ('id', ?)", arguments: [Hex.encode(try SecureRandom.bytes(6))])
        }
        try migrator.migrate(queue)
        id = try queue.read { db in try String.fetchOne(db, sql: "SELECT value FROM queue_meta WHERE key = 'id'") } ?? "?"
    }

    /// Throws `Exposed` when `path` exists and is a symlink, not owned by this user, or open to
    /// group or others.
    static func refuseExposed(_ path: String, isFolder: Bool) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        let what = isFolder ? "the kiosk queue's folder \(path)" : "the kiosk queue's file \(path)"
        if info.st_mode & S_IFMT == S_IFLNK {
            throw Exposed(description: "\(what) is a symlink; refusing to use it (remove it, and let the kiosk create the queue)")
        }
        if info.st_uid != geteuid() {
            throw Exposed(description: "\(what) belongs to user \(info.st_uid), not to you (\(geteuid())): someone else could have planted requests in it; "
                          + "use a queue folder of your own (or, if you trust its content: chown -R \(geteuid()) \(path))")
        }
        let mode = info.st_mode & 0o777
        if mode & 0o077 != 0 {
            throw Exposed(description: "\(what) is open to group or others (mode \(String(mode, radix: 8))): they could read the queue or plant requests "
                          + "that go out under your token; if you trust its content, run: chmod \(isFolder ? "700" : "600") \(path)")
        }
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

    /// A stored request that this kiosk will not send (it is not one safe line carrying its own
    /// ref: the file was changed behind the kiosk's back): failed, with `reason`, never sent.
    public func refuse(_ id: Int64, reason: String, nowMs: Int64) throws {
        try queue.write { db in
            try db.execute(sql: """
                UPDATE requests SET state = 'failed', reply = NULL, last_error = ?, answered_ms = ? WHERE id = ? AND state = 'pending'
                """, arguments: [reason, nowMs, id])
        }
    }

    /// A setting kept with the queue (`tz`: the scheme's zone, learnt from the server), or nil.
    public func setting(_ key: String) throws -> String? {
        try queue.read { db in try String.fetchOne(db, sql: "SELECT value FROM queue_meta WHERE key = ?", arguments: [key]) }
    }

    public func setSetting(_ key: String, _ value: String) throws {
        try queue.write { db in
            try db.execute(sql: "INSERT INTO queue_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                           arguments: [key, value])
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
            SELECT id, ref, line, queued_ms, state, attempts, reply, last_error, answered_ms, receipt,
                   instr(CAST(line AS BLOB), x'00') = 0 FROM requests \(sql)
            """, arguments: arguments).map { row in
            Item(id: row[0], ref: row[1], line: row[2], queuedMs: row[3], state: State(rawValue: row[4]) ?? .pending, attempts: row[5],
                 reply: row[6], lastError: row[7], answeredMs: row[8], receipt: row[9], lineIsWhole: row[10])
        }
    }
}
