import Foundation
import LedgerCore
import LedgerCrypto
import LedgerTransparency

/// The audit's first stage, on a thread of its own: steps the journal and the tree's rows
/// (`AuditCursor`s), writes every entry's canonical bytes from its columns into a chunk and
/// checks its link to the chain by hashing them there, checks the Merkle tree beside it, and
/// hands the chunks on to the replay on the caller's thread (`LedgerAuditor`), which decodes
/// each entry from the bytes that were hashed. The two run on the machine's two cores at once;
/// at most `Handoff.capacity` chunks wait between them, each of at most `ScannedRows.capacity`
/// rows and about `ScannedRows.byteLimit` bytes, so memory stays bounded whatever the journal's
/// length.
final class JournalScan<Cursor: AuditCursor>: @unchecked Sendable {
    private let journal: Cursor
    private let connection: NSLock
    private var tree: TreeAudit<Cursor>
    let handoff = Handoff()

    /// A whole-journal check that needs nothing from the replay, run on the scan's thread
    /// (holding `connection`) once the journal has been read to its end, while the replay
    /// catches up; its outcome is read once `run` has returned.
    private let afterwards: () throws -> Void
    private(set) var afterwardsOutcome: Result<Void, any Error>?

    /// `journal` selects `RowDecoding.journalColumns` in seq order.
    init(journal: Cursor, tree: TreeAudit<Cursor>, connection: NSLock, afterwards: @escaping () throws -> Void) {
        self.journal = journal
        self.tree = tree
        self.connection = connection
        self.afterwards = afterwards
    }

    /// Scans to the end, or to the first failure, which ends the last chunk.
    func run() {
        var head = ChainHead.genesis
        var scratch: [UInt8] = []
        scratch.reserveCapacity(512)
        var chunk = ScannedRows()
        do {
            let hasher = try SHA256.Hasher()
            while true {
                let more = try connection.withLock {
                    try scanChunk(into: &chunk, head: &head, hasher: hasher, scratch: &scratch)
                }
                if !more { chunk.end = .complete }
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
            chunk.end = .failed(AuditFailure(seq: head.seq + 1, reason: "could not read the journal: \(error)"))
        }
        _ = handoff.put(chunk)
    }

    /// The tree's last checks, once the scan has ended and the journal's head is known to be
    /// right (called on the replay's thread after `run` has returned).
    func finishTree(head: Int64) throws {
        try tree.finish(head: head)
    }

    /// Up to `ScannedRows.capacity` rows; false once the journal has no more.
    private func scanChunk(into chunk: inout ScannedRows, head: inout ChainHead, hasher: SHA256.Hasher,
                           scratch: inout [UInt8]) throws -> Bool {
        // The tree as a local for the chunk: a class's stored property is checked for exclusive
        // access at every use, a cost per row.
        var tree = self.tree
        defer { self.tree = tree }
        let journal = self.journal
        while chunk.rows.count < ScannedRows.capacity, chunk.bytes.count < ScannedRows.byteLimit {
            guard let columns = try journal.next() else { return false }
            scratch.removeAll(keepingCapacity: true)
            let read = try JournalRow(columns: columns, after: head, copyingInto: &scratch)
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
            let recomputed = try chunk.bytes.withUnsafeBytes { bytes in
                Result { () throws(CryptoError) in try hasher.digest(after: read.prevHash, UnsafeRawBufferPointer(rebasing: bytes[start...])) }
            }.mapError { AuditFailure(seq: read.seq, reason: "could not hash: \($0)") }.get()
            try ChainLink.check(seq: read.seq, timeMs: read.timeMs, prevHash: read.prevHash, hash: read.hash,
                                recomputed: recomputed, after: head)
            try tree.append(entryHash: read.hash, seq: read.seq)
            head = ChainHead(seq: read.seq, hash: read.hash, timeMs: read.timeMs)
            chunk.rows.append(ScannedRow(read, canonicalAt: start, attributesAt: start + attributesAt,
                                         end: chunk.bytes.count))
        }
        return true
    }
}

/// Rows the scan has checked, for the replay: the fixed-size fields, and every row's canonical
/// bytes in one buffer.
struct ScannedRows: Sendable {
    static let capacity = 2048
    /// A chunk also ends once its bytes pass this, so that forged rows with huge texts cannot
    /// make the chunks waiting between the threads hold gigabytes.
    static let byteLimit = 64 << 20

    var bytes: [UInt8] = []
    var rows: [ScannedRow] = []
    /// Set on the last chunk.
    var end: End?

    enum End: Sendable {
        case complete
        case failed(AuditFailure)
    }

    init() {
        bytes.reserveCapacity(Self.capacity * 200)
        rows.reserveCapacity(Self.capacity)
    }
}

/// One journal row as the scan hashed it, for the replay: the fixed-size fields, and its text
/// fields as spans of the canonical bytes in `ScannedRows.bytes` (where each sits after its
/// length), its attributes too (the count, then length-prefixed keys and values, as
/// `AttributesJSON.appendCanonical` wrote them).
struct ScannedRow: Sendable {
    let seq: Int64
    let timeMs: Int64
    let amount: Int64
    let prevHash: Hash256
    let hash: Hash256
    let kind: Span, debit: Span, credit: Span, actor: Span, ref: Span, attributes: Span

    /// A text's place in a buffer; `length` -1 for NULL.
    struct Span: Sendable {
        let offset: Int
        let length: Int

        static let null = Span(offset: 0, length: -1)

        func `in`(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
            length < 0 ? nil : UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
        }
    }

    /// `row` as `CanonicalEncoding` laid it out from `canonicalAt` (version, seq and time, then
    /// each text after its 4-byte length, the amount after the credit), its attributes from
    /// `attributesAt` up to the 32 bytes of prev_hash that end it at `end`.
    init(_ row: JournalRow, canonicalAt: Int, attributesAt: Int, end: Int) {
        (seq, timeMs, amount, prevHash, hash) = (row.seq, row.timeMs, row.amount, row.prevHash, row.hash)
        var offset = canonicalAt + 1 + 8 + 8
        func text(_ span: Span) -> Span {
            defer { offset += 4 + max(span.length, 0) }
            return span.length < 0 ? .null : Span(offset: offset + 4, length: span.length)
        }
        kind = text(row.kind)
        debit = text(row.debit)
        credit = text(row.credit)
        offset += 8
        actor = text(row.actor)
        ref = text(row.ref)
        precondition(offset == attributesAt, "the canonical layout is the one CanonicalEncoding writes")
        attributes = Span(offset: attributesAt, length: end - Hash256.byteCount - attributesAt)
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

/// The scan's chunks on their way to the replay: at most `capacity` wait; `cancel` (the replay
/// failed) makes the scan stop at its next chunk.
final class Handoff: @unchecked Sendable {
    static let capacity = 4

    private let condition = NSCondition()
    private var chunks: [ScannedRows] = []
    private var cancelled = false

    /// Waits for room; false when cancelled (the chunk is dropped).
    func put(_ chunk: ScannedRows) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= Self.capacity, !cancelled { condition.wait() }
        guard !cancelled else { return false }
        chunks.append(chunk)
        condition.broadcast()
        return true
    }

    func take() -> ScannedRows {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty { condition.wait() }
        condition.broadcast()
        return chunks.removeFirst()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        chunks = []
        condition.broadcast()
        condition.unlock()
    }
}
