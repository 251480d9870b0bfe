import LedgerCore
import LedgerCrypto
import LedgerPersistence
import LedgerTransparency

/// The Merkle tree's stored hashes in `tree_hashes`, at `StoredHashIndex` positions, as SQLite keeps them.
struct PGTree: SubtreeHashReader {
    let connection: PGConnection

    func subtreeHash(level: Int, index: Int64) throws -> Hash256 {
        let position = StoredHashIndex.position(level: level, index: index)
        guard let row = try connection.one("SELECT hash FROM tree_hashes WHERE position = $1", [.int(position)]),
              let hash = Hash256(bytes: try row.blob(0, "hash")) else {
            throw StoreError.corrupt("the Merkle tree has no hash at position \(position) (level \(level), index \(index))")
        }
        return hash
    }

    func frontier(size: Int64) throws -> MerkleFrontier {
        try MerkleFrontier(size: size) { level, index in try subtreeHash(level: level, index: index) }
    }
}

/// Reads of the Merkle tree and the signed checkpoints (roots, proofs and receipts: `TransparencyRows`).
extension PGReads: TransparencyRows {
    /// Never beyond what this process knows is acknowledged: an entry whose COMMIT is still
    /// waiting for the standby is visible here, and a failover could yet lose it.
    func treeHead() throws -> (size: Int64, root: Hash256) {
        let size = min(try head().seq, acknowledged ?? .max)
        return (size, try MerkleProver(tree).root(size: size))
    }

    var tree: PGTree { PGTree(connection: connection) }

    func newestCosignedSize(covering seq: Int64) throws -> Int64? {
        try connection.one("SELECT max(size) FROM cosignatures WHERE size >= $1", [.int(seq)])?.optionalInteger(0, "size")
    }

    func latestCheckpoint() throws -> StoredCheckpoint? {
        try checkpoints("ORDER BY size DESC LIMIT 1").first
    }

    func checkpoint(size: Int64) throws -> StoredCheckpoint? {
        try checkpoints("WHERE size = $1", [.int(size)]).first
    }

    func checkpoints(_ clause: String, _ values: [PGValue] = []) throws -> [StoredCheckpoint] {
        try connection.query("SELECT size, root, note, time_ms FROM checkpoints \(clause)", values).map { row in
            let size = try row.integer(0, "size")
            guard let root = Hash256(bytes: try row.blob(1, "root")) else { throw StoreError.corrupt("checkpoint \(size): root is not 32 bytes") }
            let lines = try connection.query("SELECT line FROM cosignatures WHERE size = $1 ORDER BY witness", [.int(size)])
                .map { try $0.text(0, "line") }
            return StoredCheckpoint(size: size, root: root, note: try row.text(2, "note"), timeMs: try row.integer(3, "time_ms"),
                                    cosignatures: lines)
        }
    }
}
