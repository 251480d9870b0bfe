import LedgerCore
import LedgerCrypto
import LedgerTransparency

/// What an engine answers for the transparency log's reads: its stored tree and checkpoints.
/// The roots, proofs and receipts built from them (and the checks of their arguments) are the
/// same for every engine, in the extension below.
package protocol TransparencyRows {
    associatedtype Tree: SubtreeHashReader
    /// The stored Merkle tree, read on the same snapshot.
    var tree: Tree { get }
    func head() throws -> ChainHead
    func entry(seq: Int64) throws -> Entry?
    /// The size of the newest checkpoint a witness has cosigned that covers entry `seq`.
    func newestCosignedSize(covering seq: Int64) throws -> Int64?
    func checkpoint(size: Int64) throws -> StoredCheckpoint?
    func latestCheckpoint() throws -> StoredCheckpoint?
}

extension TransparencyRows {
    /// The root of the tree of the first `size` entries.
    package func treeRoot(size: Int64) throws -> Hash256 {
        let head = try head().seq
        guard size >= 0, size <= head else { throw LedgerError.notFound("the ledger has \(head) entries, not \(size)") }
        return try MerkleProver(tree).root(size: size)
    }

    /// The RFC 6962 consistency proof from the tree of `old` entries to the tree of `new`.
    package func consistencyProof(old: Int64, new: Int64) throws -> [Hash256] {
        let head = try head().seq
        guard old >= 0, old <= new else { throw LedgerError.invalid("old", "must be between 0 and the new size") }
        guard new <= head else { throw LedgerError.notFound("the ledger has \(head) entries, not \(new)") }
        return try MerkleProver(tree).consistencyProof(old: old, new: new)
    }

    /// Entry `seq`, its inclusion proof, and the checkpoint it is proved against: the newest one
    /// witnesses have cosigned that covers the entry, or else the latest; nil when no checkpoint
    /// covers the entry yet. Throws NOT_FOUND for an entry that does not exist.
    package func receipt(seq: Int64) throws -> InclusionReceipt? {
        guard let entry = try entry(seq: seq) else { throw LedgerError.notFound("no entry \(seq)") }
        let cosigned = try newestCosignedSize(covering: seq).flatMap { try checkpoint(size: $0) }
        guard let checkpoint = try cosigned ?? latestCheckpoint(), checkpoint.size >= seq else { return nil }
        let proof = try MerkleProver(tree).inclusionProof(index: seq - 1, size: checkpoint.size)
        return InclusionReceipt(canonicalBytes: entry.canonicalBytes, index: seq - 1, proof: proof,
                                checkpoint: try SignedNote(parsing: checkpoint.servedNote))
    }
}
