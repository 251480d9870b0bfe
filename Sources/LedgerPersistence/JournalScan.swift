import Foundation
import LedgerCore
import LedgerCrypto

/// The audit's first stage, on a thread of its own: steps the journal's rows and the tree's
/// (`AuditCursor`s), writes every entry's canonical bytes from its columns into a chunk, reads
/// the tree rows each entry should have made beside it, and hands the chunks on to `ChainCheck`
/// (which hashes them), on to the replay (which decodes each entry from the bytes that were
/// hashed). At most `Handoff.capacity` chunks wait between two stages, each of at most
/// `ScannedRows.capacity` rows and about `ScannedRows.byteLimit` bytes, so memory stays bounded
/// whatever the journal's length.
///
/// It judges only what a row is made of (types, the canonical form of its attributes); whether
/// the row follows the one before is `ChainCheck`'s to say, so a failure here is the first only
/// if every row before it passes there.
final class JournalScan<Cursor: AuditCursor>: @unchecked Sendable {
    private let journal: Cursor
    private let tree: Cursor
    /// Set once the tree's cursor has passed its last row, or failed.
    private var treeEnded = false
    /// The tree cursor's failure, until it is recorded against the row being read (`ChainCheck`
    /// reports it there, after that row's link, as the check reading rows one by one would).
    private var treeFailure: (any Error)?
    private let connection: NSLock
    let handoff = Handoff()

    /// A whole-journal check that needs nothing from the replay, run on the scan's thread
    /// (holding `connection`) once the journal has been read to its end, while the other stages
    /// catch up; its outcome is read once `run` has returned.
    private let afterwards: () throws -> Void
    private(set) var afterwardsOutcome: Result<Void, any Error>?

    /// `journal` selects `RowDecoding.journalColumns` in seq order, `tree` (position, hash) of
    /// `tree_hashes` in position order.
    init(journal: Cursor, tree: Cursor, connection: NSLock, afterwards: @escaping () throws -> Void) {
        self.journal = journal
        self.tree = tree
        self.connection = connection
        self.afterwards = afterwards
    }

    /// Scans to the end, or to the first damaged row, which ends the last chunk.
    func run() {
        var last = ChainHead.genesis
        var scratch: [UInt8] = []
        scratch.reserveCapacity(512)
        var chunk = ScannedRows()
        do {
            while true {
                let more = try connection.withLock { try scanChunk(into: &chunk, last: &last, scratch: &scratch) }
                if !more {
                    chunk.end = .complete
                    let beyond = connection.withLock { nextTreeRow() }
                    chunk.treeBeyond = treeFailure.map { .failure($0) } ?? .success(beyond)
                }
                guard handoff.put(chunk) else { return }
                guard more else {
                    afterwardsOutcome = Result { try connection.withLock { try afterwards() } }
                    return
                }
                chunk = ScannedRows()
            }
        } catch let failure as AuditFailure {
            chunk.end = .failed(failure)
        } catch {
            chunk.end = .failed(AuditFailure(seq: last.seq + 1, reason: "could not read the journal: \(error)"))
        }
        _ = handoff.put(chunk)
    }

    /// Up to `ScannedRows.capacity` rows; false once the journal has no more.
    private func scanChunk(into chunk: inout ScannedRows, last: inout ChainHead, scratch: inout [UInt8]) throws -> Bool {
        let journal = self.journal
        while chunk.rows.count < ScannedRows.capacity, chunk.bytes.count < ScannedRows.byteLimit {
            guard let columns = try journal.next() else { return false }
            scratch.removeAll(keepingCapacity: true)
            let read = try JournalRow(columns: columns, after: last, copyingInto: &scratch)
            // The canonical bytes are written straight into the chunk, hashed there, and read by
            // the replay there: no copy of them is made.
            let start = chunk.bytes.count
            var attributesAt = 0
            let encoded = scratch.withUnsafeBytes { text in
                RowBytes.append(to: &chunk.bytes, reserving: read.canonicalCapacity) { out in
                    CanonicalEncoding.encode(
                        into: &out, seq: read.seq, timeMs: read.timeMs, kind: read.kind.in(text)!, debit: read.debit.in(text),
                        credit: read.credit.in(text), amount: read.amount, actor: read.actor.in(text)!, ref: read.ref.in(text),
                        prevHash: read.prevHash) { out in
                            attributesAt = out.count
                            return AttributesJSON.appendCanonical(read.attrs.in(text)!, to: &out)
                        }
                }
            }
            guard encoded else {
                throw AuditFailure(seq: read.seq, reason: "the ledger is damaged: journal entry \(read.seq): attrs is not in the canonical form")
            }
            // Entry `seq` (the leaf at index seq - 1) makes its leaf and a node for every subtree
            // it completes: one per trailing zero bit of seq. If seq is not the next one,
            // `ChainCheck` stops at this row and these tree rows are never looked at.
            var treeRows = 0
            for _ in 0...read.seq.trailingZeroBitCount {
                guard let row = nextTreeRow() else { break }
                chunk.tree.append(row)
                treeRows += 1
            }
            if let failure = treeFailure {
                chunk.treeFailure = (row: chunk.rows.count, error: failure)
                treeFailure = nil
            }
            last = ChainHead(seq: read.seq, hash: read.hash, timeMs: read.timeMs)
            chunk.rows.append(ScannedRow(read, canonicalAt: start, attributesAt: start + attributesAt,
                                         end: chunk.bytes.count, treeRows: treeRows))
        }
        return true
    }

    /// The tree's next row; nil after its last, or once its cursor failed (`treeFailure`).
    private func nextTreeRow() -> TreeRow? {
        guard !treeEnded else { return nil }
        do {
            guard let columns = try tree.next() else {
                treeEnded = true
                return nil
            }
            return TreeRow(position: columns.int64(0), hash: columns.hash(1))
        } catch {
            treeEnded = true
            treeFailure = error
            return nil
        }
    }
}

/// One journal row as read from its columns, type-checked, its text copied into the scan's
/// scratch buffer (spans of it), before its canonical bytes are written.
struct JournalRow {
    let seq: Int64
    let timeMs: Int64
    let amount: Int64
    let prevHash: Hash256
    let hash: Hash256
    let kind: ScannedRow.Span, debit: ScannedRow.Span, credit: ScannedRow.Span, actor: ScannedRow.Span
    let ref: ScannedRow.Span, attrs: ScannedRow.Span

    /// Reads and type-checks the current row (`RowDecoding.journalColumns`), copying its text.
    init(columns: some AuditColumns, after head: ChainHead, copyingInto bytes: inout [UInt8]) throws {
        let seq = columns.int64(0)
        let at = seq ?? head.seq + 1
        func bad(_ what: String) -> AuditFailure { AuditFailure(seq: at, reason: "the ledger is damaged: journal entry \(at): \(what)") }
        func text(_ index: Int32, _ name: String, optional: Bool = false) throws -> ScannedRow.Span {
            let offset = bytes.count
            guard let length = columns.appendText(index, to: &bytes) else {
                if optional, columns.isNull(index) { return .null }
                throw bad("\(name) is \(columns.isNull(index) ? "missing" : "not text")")
            }
            return ScannedRow.Span(offset: offset, length: length)
        }
        guard let seq else { throw bad("seq is not an integer") }
        // Entry 1 comes first: a row before it is no entry, and the chain would never reach it.
        guard seq >= 1 else { throw bad("seq \(seq) is below 1, where the journal starts") }
        guard let timeMs = columns.int64(1) else { throw bad("time_ms is not an integer") }
        guard let amount = columns.int64(5) else { throw bad("amount is not an integer") }
        guard let prevHash = columns.hash(9), let hash = columns.hash(10) else {
            throw bad("hashes are not 32 bytes")
        }
        (self.seq, self.timeMs, self.amount, self.prevHash, self.hash) = (seq, timeMs, amount, prevHash, hash)
        kind = try text(2, "kind")
        debit = try text(3, "debit", optional: true)
        credit = try text(4, "credit", optional: true)
        actor = try text(6, "actor")
        ref = try text(7, "ref", optional: true)
        attrs = try text(8, "attrs")
    }

    /// The most bytes its canonical encoding takes (`CanonicalEncoding`'s layout, the
    /// attributes at their longest).
    var canonicalCapacity: Int {
        func text(_ span: ScannedRow.Span) -> Int { 4 + max(span.length, 0) }
        return 1 + 8 + 8 + text(kind) + text(debit) + text(credit) + 8 + text(actor) + text(ref)
            + AttributesJSON.canonicalCapacity(attrs.length) + Hash256.byteCount
    }
}
