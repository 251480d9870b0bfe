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

/// Reads of the Merkle tree and the signed checkpoints.
extension PGReads {
    /// Never beyond what this process knows is acknowledged: an entry whose COMMIT is still
    /// waiting for the standby is visible here, and a failover could yet lose it.
    func treeHead() throws -> (size: Int64, root: Hash256) {
        let size = min(try head().seq, acknowledged ?? .max)
        return (size, try MerkleProver(PGTree(connection: connection)).root(size: size))
    }

    func treeRoot(size: Int64) throws -> Hash256 {
        let head = try head().seq
        guard size >= 0, size <= head else { throw LedgerError.notFound("the ledger has \(head) entries, not \(size)") }
        return try MerkleProver(PGTree(connection: connection)).root(size: size)
    }

    func consistencyProof(old: Int64, new: Int64) throws -> [Hash256] {
        let head = try head().seq
        guard old >= 0, old <= new else { throw LedgerError.invalid("old", "must be between 0 and the new size") }
        guard new <= head else { throw LedgerError.notFound("the ledger has \(head) entries, not \(new)") }
        return try MerkleProver(PGTree(connection: connection)).consistencyProof(old: old, new: new)
    }

    func receipt(seq: Int64) throws -> InclusionReceipt? {
        guard let entry = try entry(seq: seq) else { throw LedgerError.notFound("no entry \(seq)") }
        let cosignedSize = try connection.one("SELECT max(size) FROM cosignatures WHERE size >= $1", [.int(seq)])?.optionalInteger(0, "size")
        let cosigned = try cosignedSize.flatMap { try checkpoint(size: $0) }
        guard let checkpoint = try cosigned ?? latestCheckpoint(), checkpoint.size >= seq else { return nil }
        let proof = try MerkleProver(PGTree(connection: connection)).inclusionProof(index: seq - 1, size: checkpoint.size)
        return InclusionReceipt(canonicalBytes: entry.canonicalBytes, index: seq - 1, proof: proof,
                                checkpoint: try SignedNote(parsing: checkpoint.servedNote))
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
