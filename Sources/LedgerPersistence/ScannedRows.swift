import LedgerCore
import LedgerCrypto

/// A chunk of the journal on its way through the audit's stages (`JournalScan`, `ChainCheck`,
/// the replay): the rows' fixed-size fields, every row's canonical bytes in one buffer, and the
/// tree's stored rows each entry should have made.
struct ScannedRows: Sendable {
    static let capacity = 2048
    /// A chunk also ends once its bytes pass this, so that forged rows with huge texts cannot
    /// make the chunks between the stages hold gigabytes: at most `Handoff.capacity` wait at
    /// each of the two hand-offs and one is in each of the three stages, each of this many bytes
    /// and its last row (a row SQLite holds is below 1 GB).
    static let byteLimit = 64 << 20

    var bytes: [UInt8] = []
    var rows: [ScannedRow] = []
    /// The `tree_hashes` rows read for the rows, in position order: `ScannedRow.treeRows` of
    /// them for each row, one after the other.
    var tree: [TreeRow] = []
    /// The tree's cursor failed while the scan read the tree rows of `rows[row]`.
    var treeFailure: (row: Int, error: any Error)?
    /// Set on the last chunk.
    var end: End?
    /// On a complete journal's last chunk: the tree's first row after those the entries made,
    /// if there is one (there should be none), or the cursor's failure reading it.
    var treeBeyond: Result<TreeRow?, any Error> = .success(nil)

    enum End: Sendable {
        case complete
        case failed(AuditFailure)
    }

    init() {
        bytes.reserveCapacity(Self.capacity * 200)
        rows.reserveCapacity(Self.capacity)
        tree.reserveCapacity(Self.capacity * 2)
    }

    /// Keeps the rows before `index` and ends the chunk with `failure` (found at that row).
    mutating func fail(at index: Int, _ failure: AuditFailure) {
        rows.removeSubrange(index...)
        treeBeyond = .success(nil)
        end = .failed(failure)
    }
}

/// One stored `tree_hashes` row: its position (nil when not an integer) and its hash (nil when
/// not 32 bytes).
struct TreeRow: Sendable {
    let position: Int64?
    let hash: Hash256?
}

/// One journal row as the scan encoded it: the fixed-size fields, its canonical bytes in
/// `ScannedRows.bytes` from `canonicalAt` to `end`, and its text fields as spans of them (where
/// each sits after its length), its attributes too (the count, then length-prefixed keys and
/// values, as `AttributesJSON.appendCanonical` wrote them).
struct ScannedRow: Sendable {
    let seq: Int64
    let timeMs: Int64
    let amount: Int64
    let prevHash: Hash256
    let hash: Hash256
    let kind: Span, debit: Span, credit: Span, actor: Span, ref: Span, attributes: Span
    let canonicalAt: Int, end: Int
    /// How many tree rows the scan read for this entry: the leaf and a node for each subtree
    /// the entry completes, unless the stored tree ended first.
    let treeRows: Int

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
    init(_ row: JournalRow, canonicalAt: Int, attributesAt: Int, end: Int, treeRows: Int) {
        (seq, timeMs, amount, prevHash, hash) = (row.seq, row.timeMs, row.amount, row.prevHash, row.hash)
        (self.canonicalAt, self.end, self.treeRows) = (canonicalAt, end, treeRows)
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
