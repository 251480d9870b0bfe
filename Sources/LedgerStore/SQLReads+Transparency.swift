import Foundation
import LedgerPersistence
import GRDB
import LedgerCore
import LedgerCrypto
import LedgerTransparency

/// Reads of the Merkle tree and the signed checkpoints (roots, proofs and receipts: `TransparencyRows`).
extension SQLReads: TransparencyRows {
    /// The journal's head seq and the tree's root at that size, read together.
    func treeHead() throws -> (size: Int64, root: Hash256) {
        let size = try head().seq
        return (size, try MerkleProver(tree).root(size: size))
    }

    var tree: MerkleTreeStore { MerkleTreeStore(db: db) }

    func newestCosignedSize(covering seq: Int64) throws -> Int64? {
        // max(size) over the primary key (size, witness): one index seek, however many cosignatures.
        try Int64.fetchOne(db, sql: "SELECT max(size) FROM cosignatures WHERE size >= ?", arguments: [seq])
    }

    func latestCheckpoint() throws -> StoredCheckpoint? {
        try LedgerStore.latestCheckpoint(db)
    }

    func checkpoint(size: Int64) throws -> StoredCheckpoint? {
        try LedgerStore.checkpoints(db, sql: "WHERE size = ?", arguments: [size]).first
    }
}
