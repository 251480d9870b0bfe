import Foundation
import LedgerPersistence
import GRDB
import LedgerCore
import LedgerCrypto
import LedgerTransparency

/// Reads of the Merkle tree and the signed checkpoints, each on one consistent snapshot.
extension LedgerStore {
    public func checkpointCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM checkpoints") ?? 0 }
    }

    /// Stores a checkpoint the log has just signed. Its root must be the tree's at its size:
    /// the log never signs what its journal does not say.
    public func recordCheckpoint(size: Int64, root: Hash256, note: String, timeMs: Int64) throws {
        try pool.write { db in
            let head = try SQLReads(db: db).head().seq
            guard size <= head, try MerkleProver(MerkleTreeStore(db: db)).root(size: size) == root else {
                throw StoreError.corrupt("a checkpoint for size \(size) does not match the journal's tree")
            }
            try db.execute(sql: "INSERT OR IGNORE INTO checkpoints (size, root, note, time_ms) VALUES (?, ?, ?, ?)",
                           arguments: [size, root.blob, note, timeMs])
        }
    }

    /// Keeps a witness's cosignature line for the checkpoint of `size` (the latest one wins).
    public func recordCosignature(size: Int64, witness: String, line: String) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO cosignatures (size, witness, line) VALUES (?, ?, ?)", arguments: [size, witness, line])
        }
    }

    /// A value of `ledger_meta` (the log's origin and verifier key are kept there).
    public func meta(_ key: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = ?", arguments: [key]) }
    }

    /// Sets a `ledger_meta` value that is set once: fails if it already holds another.
    public func setMetaOnce(_ key: String, _ value: String) throws {
        try pool.write { db in
            if let existing = try String.fetchOne(db, sql: "SELECT value FROM ledger_meta WHERE key = ?", arguments: [key]) {
                guard existing == value else {
                    throw StoreError.notALedger(path: path, reason: "its \(key) is \(existing), not \(value)")
                }
                return
            }
            try db.execute(sql: "INSERT INTO ledger_meta (key, value) VALUES (?, ?)", arguments: [key, value])
        }
    }

    static func latestCheckpoint(_ db: Database) throws -> StoredCheckpoint? {
        try checkpoints(db, sql: "ORDER BY size DESC LIMIT 1").first
    }

    static func checkpoints(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [StoredCheckpoint] {
        try Row.fetchAll(db, sql: "SELECT size, root, note, time_ms FROM checkpoints \(sql)", arguments: arguments).map { row in
            let size: Int64 = row[0]
            guard let root = Hash256(bytes: row[1] as Data) else { throw StoreError.corrupt("checkpoint \(size): root is not 32 bytes") }
            let lines = try String.fetchAll(db, sql: "SELECT line FROM cosignatures WHERE size = ? ORDER BY witness", arguments: [size])
            return StoredCheckpoint(size: size, root: root, note: row[2], timeMs: row[3], cosignatures: lines)
        }
    }
}
