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
/// compared with the stored rows in position order, and the root at each signed size. Runs on
/// `JournalScan`'s thread, stepping its cursor.
struct TreeAudit<Cursor: AuditCursor> {
    private var frontier = MerkleFrontier()
    private let hasher: SHA256.Hasher
    /// The hashes the last entry made, reused from entry to entry.
    private var created: [(position: Int64, hash: Hash256)] = []
    private let rows: Cursor
    private let roots: [Int64: [(root: Hash256, what: String)]]

    /// `rows` selects (position, hash) in position order.
    init(rows: Cursor, roots: [Int64: [(root: Hash256, what: String)]]) throws {
        self.rows = rows
        self.roots = roots
        hasher = try SHA256.Hasher()
        created.reserveCapacity(64)
        try checkRoot(seq: 0)
    }

    private func nextRow(seq: Int64) throws -> (position: Int64, hash: Hash256?)? {
        guard let columns = try rows.next() else { return nil }
        guard let position = columns.int64(0) else { throw AuditFailure(seq: seq, reason: "a tree_hashes row has no integer position") }
        return (position, columns.hash(1))
    }

    mutating func append(entryHash: Hash256, seq: Int64) throws {
        created.removeAll(keepingCapacity: true)
        do {
            try frontier.append(leaf: MerkleHash.leaf(entryHash, using: hasher), using: hasher, into: &created)
        } catch {
            throw AuditFailure(seq: seq, reason: "could not hash the tree: \(error)")
        }
        for (position, hash) in created {
            guard let row = try nextRow(seq: seq) else {
                throw AuditFailure(seq: seq, reason: "the Merkle tree ends before entry \(seq) (no hash at position \(position))")
            }
            guard row.position == position, row.hash == hash else {
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

    func finish(head: Int64) throws {
        if let row = try nextRow(seq: head + 1) {
            throw AuditFailure(seq: head + 1, reason: "the Merkle tree has hashes beyond the journal (position \(row.position))")
        }
        if let beyond = roots.keys.filter({ $0 > head }).min() {
            throw AuditFailure(seq: head + 1, reason: "\(roots[beyond]![0].what) covers \(beyond) entries, but the journal ends at \(head): it is truncated")
        }
    }
}

extension ScannedRow {
    /// The entry, decoded and validated by `RowDecoding.entry` (on the replay's thread), with
    /// its attributes as the scan read them for the hash.
    func entry(in bytes: UnsafeRawBufferPointer) throws -> Entry {
        func string(_ span: Span) -> String? { span.in(bytes).map { String(decoding: $0, as: UTF8.self) } }
        // Ids and kinds need no UTF-8 check: a replacement character is never a valid id or
        // kind. Attributes are read strictly: the scan hashed the stored bytes as they are, so
        // a repaired reading would judge something other than what was hashed.
        return try RowDecoding.entry(seq: seq, timeMs: timeMs, kind: string(kind), debit: string(debit), credit: string(credit),
                                     amount: amount, actor: string(actor), ref: string(ref),
                                     attributes: attributes.in(bytes).flatMap(AttributesJSON.attributes(canonical:)),
                                     prevHash: prevHash, hash: hash)
    }
}
