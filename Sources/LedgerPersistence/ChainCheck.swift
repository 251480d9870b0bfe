import LedgerCore
import LedgerCrypto

/// The audit's second stage, on a thread of its own between `JournalScan` and the replay:
/// hashes each entry's canonical bytes where the scan wrote them and checks its link to the
/// chain (`ChainLink`), then appends it to the Merkle tree and compares the tree rows the scan
/// read (`TreeAudit`). A chunk leaves with the rows before its first failure, and that failure.
///
/// SHA-256 is about a third of the scan's work; done here, the three stages share the two
/// cores, where the scan alone set the pace.
final class ChainCheck: @unchecked Sendable {
    private let input: Handoff
    let handoff = Handoff()
    private var tree: TreeAudit
    /// The last entry checked.
    private var head = ChainHead.genesis
    /// On a complete journal: the tree's first row after the entries' (`TreeAudit.finish`).
    private(set) var treeBeyond: Result<TreeRow?, any Error> = .success(nil)

    init(input: Handoff, tree: TreeAudit) {
        self.input = input
        self.tree = tree
    }

    /// Checks chunks until the last, or the first failure, or until the next stage cancels.
    /// However it ends, the scan before it is told to stop.
    func run() {
        defer { input.cancel() }
        do {
            let hasher = try SHA256.Hasher()
            while var chunk = input.take() {
                check(&chunk, hasher: hasher)
                if chunk.end != nil { treeBeyond = chunk.treeBeyond }
                let last = chunk.end != nil
                guard handoff.put(chunk), !last else { return }
            }
        } catch {
            var chunk = ScannedRows()
            chunk.end = .failed(AuditFailure(seq: head.seq + 1, reason: "could not hash: \(error)"))
            _ = handoff.put(chunk)
        }
    }

    /// The finished tree's checks, once the replay has confirmed the journal's head.
    func finishTree(head: Int64) throws {
        try tree.finish(head: head, beyond: treeBeyond)
    }

    private func check(_ chunk: inout ScannedRows, hasher: SHA256.Hasher) {
        // Locals for the loop: a class's stored properties are checked for exclusive access at
        // every use.
        var tree = self.tree, head = self.head
        defer { (self.tree, self.head) = (tree, head) }
        var treeAt = 0
        let failed: (index: Int, failure: AuditFailure)? = chunk.bytes.withUnsafeBytes { bytes in
            for (index, row) in chunk.rows.enumerated() {
                do {
                    let recomputed = try Result { () throws(CryptoError) in
                        try hasher.digest(after: row.prevHash, UnsafeRawBufferPointer(rebasing: bytes[row.canonicalAt..<row.end]))
                    }.mapError { AuditFailure(seq: row.seq, reason: "could not hash: \($0)") }.get()
                    try ChainLink.check(seq: row.seq, timeMs: row.timeMs, prevHash: row.prevHash, hash: row.hash,
                                        recomputed: recomputed, after: head)
                    try tree.append(entryHash: row.hash, seq: row.seq, stored: chunk.tree[treeAt..<treeAt + row.treeRows],
                                    readFailure: chunk.treeFailure?.row == index ? chunk.treeFailure?.error : nil)
                } catch let failure as AuditFailure {
                    return (index, failure)
                } catch {
                    return (index, AuditFailure(seq: row.seq, reason: "could not check the tree: \(error)"))
                }
                treeAt += row.treeRows
                head = ChainHead(seq: row.seq, hash: row.hash, timeMs: row.timeMs)
            }
            return nil
        }
        if let failed { chunk.fail(at: failed.index, failed.failure) }
    }
}
