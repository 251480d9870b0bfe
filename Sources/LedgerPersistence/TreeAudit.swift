import Foundation
import LedgerCore
import LedgerCrypto
import LedgerTransparency

/// Names the fields where a stored projection row and its replay differ.
enum Differences {
    static func describe<Value>(stored: Value, replayed: Value) -> String {
        let storedFields = Mirror(reflecting: stored).children
        let replayedFields = Array(Mirror(reflecting: replayed).children)
        var parts: [String] = []
        for (index, field) in storedFields.enumerated() {
            let a = "\(field.value)", b = "\(replayedFields[index].value)"
            if a != b { parts.append("\(field.label ?? "?") stored \(a), journal says \(b)") }
        }
        return parts.isEmpty ? "rows differ" : parts.joined(separator: "; ")
    }
}

/// The audit of the Merkle tree, beside the chain: every hash the entries should have created,
/// compared with the stored rows in position order (read by `JournalScan`), and the root at
/// each signed size. Runs on `ChainCheck`'s thread.
struct TreeAudit {
    private var frontier = MerkleFrontier()
    private let hasher: SHA256.Hasher
    /// The hashes the last entry made, reused from entry to entry.
    private var created: [(position: Int64, hash: Hash256)] = []
    private let roots: [Int64: [(root: Hash256, what: String)]]

    init(roots: [Int64: [(root: Hash256, what: String)]]) throws {
        self.roots = roots
        hasher = try SHA256.Hasher()
        created.reserveCapacity(64)
        try checkRoot(seq: 0)
    }

    /// Appends entry `seq` (the next) and compares the hashes it makes with `stored`, the tree's
    /// next rows (fewer than it makes when the stored tree ends there, or when reading them
    /// failed with `readFailure`).
    mutating func append(entryHash: Hash256, seq: Int64, stored: ArraySlice<TreeRow>, readFailure: (any Error)? = nil) throws {
        created.removeAll(keepingCapacity: true)
        do {
            try frontier.append(leaf: MerkleHash.leaf(entryHash, using: hasher), using: hasher, into: &created)
        } catch {
            throw AuditFailure(seq: seq, reason: "could not hash the tree: \(error)")
        }
        var rows = stored.makeIterator()
        for (position, hash) in created {
            guard let row = rows.next() else {
                if let readFailure { throw AuditFailure(seq: seq, reason: "could not read the Merkle tree's rows: \(readFailure)") }
                throw AuditFailure(seq: seq, reason: "the Merkle tree ends before entry \(seq) (no hash at position \(position))")
            }
            guard let stored = row.position else { throw AuditFailure(seq: seq, reason: "a tree_hashes row has no integer position") }
            guard stored == position, row.hash == hash else {
                throw AuditFailure(seq: seq, reason: "the Merkle tree's hash at position \(position) is not the one entry \(seq) makes")
            }
        }
        try checkRoot(seq: seq)
    }

    private func checkRoot(seq: Int64) throws {
        guard let signed = roots[seq] else { return }
        let root: Hash256
        do { root = try frontier.root() } catch { throw AuditFailure(seq: seq, reason: "could not hash the tree: \(error)") }
        for expected in signed where root != expected.root {
            throw AuditFailure(seq: seq, reason: "the journal's tree of \(seq) entries has another root than \(expected.what): history was rewritten after it was signed")
        }
    }

    /// Once the journal is known to end at `head`: no stored hash beyond it (`beyond`, the first
    /// tree row after the entries', whose read failure is the audit's, thrown as it is), no
    /// signed size beyond it.
    func finish(head: Int64, beyond: Result<TreeRow?, any Error>) throws {
        if let row = try beyond.get() {
            guard let position = row.position else { throw AuditFailure(seq: head + 1, reason: "a tree_hashes row has no integer position") }
            throw AuditFailure(seq: head + 1, reason: "the Merkle tree has hashes beyond the journal (position \(position))")
        }
        if let beyond = roots.keys.filter({ $0 > head }).min() {
            throw AuditFailure(seq: head + 1, reason: "\(roots[beyond]![0].what) covers \(beyond) entries, but the journal ends at \(head): it is truncated")
        }
    }
}

