import Foundation
import LedgerPersistence
import GRDB
import LedgerCore
import LedgerCrypto
import LedgerTransparency

/// Reads of the Merkle tree and the signed checkpoints.
extension SQLReads {
    /// The journal's head seq and the tree's root at that size, read together.
    func treeHead() throws -> (size: Int64, root: Hash256) {
        let size = try head().seq
        return (size, try MerkleProver(MerkleTreeStore(db: db)).root(size: size))
    }

    /// The root of the tree of the first `size` entries.
    func treeRoot(size: Int64) throws -> Hash256 {
        let head = try head().seq
        guard size >= 0, size <= head else { throw LedgerError.notFound("the ledger has \(head) entries, not \(size)") }
        return try MerkleProver(MerkleTreeStore(db: db)).root(size: size)
    }

    /// The RFC 6962 consistency proof from the tree of `old` entries to the tree of `new`.
    func consistencyProof(old: Int64, new: Int64) throws -> [Hash256] {
        let head = try head().seq
        guard old >= 0, old <= new else { throw LedgerError.invalid("old", "must be between 0 and the new size") }
        guard new <= head else { throw LedgerError.notFound("the ledger has \(head) entries, not \(new)") }
        return try MerkleProver(MerkleTreeStore(db: db)).consistencyProof(old: old, new: new)
    }

    /// Entry `seq`, its inclusion proof, and the checkpoint it is proved against: the newest one
    /// witnesses have cosigned that covers the entry, or else the latest; nil when no checkpoint
    /// covers the entry yet. Throws NOT_FOUND for an entry that does not exist.
    func receipt(seq: Int64) throws -> InclusionReceipt? {
        guard let entry = try entry(seq: seq) else { throw LedgerError.notFound("no entry \(seq)") }
        // max(size) over the primary key (size, witness): one index seek, however many cosignatures.
        let cosignedSize = try Int64.fetchOne(db, sql: "SELECT max(size) FROM cosignatures WHERE size >= ?", arguments: [seq])
        let cosigned = try cosignedSize.flatMap { try LedgerStore.checkpoints(db, sql: "WHERE size = ?", arguments: [$0]).first }
        guard let checkpoint = try cosigned ?? LedgerStore.latestCheckpoint(db), checkpoint.size >= seq else { return nil }
        let proof = try MerkleProver(MerkleTreeStore(db: db)).inclusionProof(index: seq - 1, size: checkpoint.size)
        return InclusionReceipt(canonicalBytes: entry.canonicalBytes, index: seq - 1, proof: proof,
                                checkpoint: try SignedNote(parsing: checkpoint.servedNote))
    }

    func latestCheckpoint() throws -> StoredCheckpoint? {
        try LedgerStore.latestCheckpoint(db)
    }

    func checkpoint(size: Int64) throws -> StoredCheckpoint? {
        try LedgerStore.checkpoints(db, sql: "WHERE size = ?", arguments: [size]).first
    }
}
