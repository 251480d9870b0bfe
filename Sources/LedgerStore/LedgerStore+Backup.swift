import Foundation
import LedgerPersistence
import GRDB

#if canImport(Glibc)
import Glibc
import LedgerHost
#endif

extension LedgerStore {
    /// Writes a consistent copy of the ledger to `path` (which must not exist), owner-only, while
    /// others go on writing: SQLite's online backup, all pages in one step, on one read snapshot,
    /// so the copy is the ledger as it was at one commit. The journal's WAL content is included,
    /// and the copy is one file (rollback-journal mode; ecoledgerd turns WAL back on when it
    /// opens a restored copy).
    public func backup(to path: String) throws {
        try SecretFile.create(path, contents: [])
        do {
            let copy = try DatabaseQueue(path: path)
            try pool.backup(to: copy)
            // The copy is one self-contained file: out of WAL mode, so that neither this nor the
            // audit that reads it next leaves a -wal or -shm beside it.
            try copy.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
            try copy.close()
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw StoreError.io(path: path, reason: "the copy failed: \(error)")
        }
    }

    /// Moves a verified copy into place at `path`, which must not exist (nor its -wal or -shm,
    /// nor a symlink there, even a dangling one): the copy is written beside it as
    /// `path.restoring`, then linked into place with `link(2)`, which refuses an existing name,
    /// so a ledger that appeared meanwhile (a server restarted on it) is never replaced.
    public static func restore(from source: LedgerStore, to path: String) throws {
        func refuseExisting() throws {
            for existing in [path, path + "-wal", path + "-shm"] {
                var info = stat()
                guard lstat(existing, &info) != 0 else {
                    throw StoreError.io(path: existing, reason: "already exists: restore never overwrites a ledger; stop the server and move it aside first (keep it as evidence)")
                }
            }
        }
        try refuseExisting()
        let partial = path + ".restoring"
        try? FileManager.default.removeItem(atPath: partial)
        try source.backup(to: partial)
        defer { unlink(partial) }
        try refuseExisting()
        guard link(partial, path) == 0 else {
            let reason = errno == EEXIST ? "appeared while the copy was made: restore never overwrites a ledger" : String(cString: strerror(errno))
            throw StoreError.io(path: path, reason: reason)
        }
        // The rename is durable once the folder is.
        let folder = Glibc.open(ServingLock.split(path).folder, O_RDONLY)
        if folder >= 0 {
            fsync(folder)
            Glibc.close(folder)
        }
    }
}
