import Foundation
import LedgerPersistence
import GRDB
import LedgerCrypto
import LedgerTransparency

/// The journal's Merkle tree in the `tree_hashes` table: every complete subtree's hash at its
/// `StoredHashIndex` position, so a root or a proof for any size is O(log n) primary-key reads.
///
/// The writer appends the leaves of a batch's entries in the same transaction as the entries;
/// the tree always covers exactly the journal.
struct MerkleTreeStore: SubtreeHashReader {
    let db: Database

    func subtreeHash(level: Int, index: Int64) throws -> Hash256 {
        let position = StoredHashIndex.position(level: level, index: index)
        guard let data = try Data.fetchOne(db.cachedStatement(sql: "SELECT hash FROM tree_hashes WHERE position = ?"), arguments: [position]),
              let hash = Hash256(bytes: data) else {
            throw StoreError.corrupt("the Merkle tree has no hash at position \(position) (level \(level), index \(index))")
        }
        return hash
    }

    /// The right edge of the tree of `size` leaves, read from the table.
    func frontier(size: Int64) throws -> MerkleFrontier {
        try MerkleFrontier(size: size) { level, index in try subtreeHash(level: level, index: index) }
    }

    /// Appends one leaf per entry hash, inserting the hashes each creates.
    func append<Hashes: Sequence<Hash256>>(_ entryHashes: Hashes, to frontier: inout MerkleFrontier) throws {
        let insert = try DirectStatement(db, "INSERT INTO tree_hashes (position, hash) VALUES (?, ?)")
        for entryHash in entryHashes {
            for (position, hash) in try frontier.append(leaf: MerkleHash.leaf(entryHash)) {
                try insert.run { bind in
                    bind(1, position)
                    bind(2, hash)
                }
            }
        }
    }

    /// How many leaves the stored hashes cover (the stored count is 2n - popcount(n)).
    func storedSize() throws -> Int64 {
        let count = (try Int64.fetchOne(db, sql: "SELECT max(position) FROM tree_hashes")).map { $0 + 1 } ?? 0
        var low: Int64 = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if StoredHashIndex.count(size: middle) < count { low = middle + 1 } else { high = middle }
        }
        guard StoredHashIndex.count(size: low) == count else {
            throw StoreError.corrupt("tree_hashes holds \(count) hashes, which is no tree's count")
        }
        return low
    }
}
