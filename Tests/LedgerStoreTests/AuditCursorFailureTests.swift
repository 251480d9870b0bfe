import Foundation
import GRDB
import LedgerCore
import LedgerCrypto
import LedgerFixtures
import LedgerPersistence
@testable import LedgerStore
import Testing

/// The audit's scan reads the tree's rows ahead of the check that compares them. A failure of
/// the tree's cursor (a damaged page) is reported where a check reading the rows one by one
/// would meet it: at the entry whose rows it was reading, after that entry's link; and reading
/// past the tree's last row is the audit's own failure to read, not a fault of the ledger.
@Suite("Audit: a tree cursor that fails")
struct AuditCursorFailureTests {
    /// Steps a SQLite statement; a `tree_hashes` cursor fails once it has answered
    /// `rowsBeforeFailure` rows.
    final class CountdownCursor: AuditCursor {
        let inner: SQLiteCursor
        var left: Int?

        init(_ inner: SQLiteCursor, failAfter rows: Int?) {
            self.inner = inner
            left = rows
        }

        func next() throws -> CountdownCursor? {
            if let remaining = left {
                guard remaining > 0 else { throw StoreError.corrupt("tree_hashes page unreadable (simulated)") }
                left = remaining - 1
            }
            return try inner.next() == nil ? nil : self
        }

        func isNull(_ index: Int32) -> Bool { inner.isNull(index) }
        func int64(_ index: Int32) -> Int64? { inner.int64(index) }
        func appendText(_ index: Int32, to bytes: inout [UInt8]) -> Int? { inner.appendText(index, to: &bytes) }
        func hash(_ index: Int32) -> Hash256? { inner.hash(index) }
        func storedValue(at index: Int) -> StoredValue { inner.storedValue(at: index) }
    }

    struct Source: AuditSource {
        let inner: SQLAuditSource
        let treeRowsBeforeFailure: Int

        func tableExists(_ name: String) throws -> Bool { try inner.tableExists(name) }
        var refsToCompare: String { inner.refsToCompare }
        var accountColumns: String { inner.accountColumns }
        func cursor(_ sql: String) throws -> CountdownCursor {
            CountdownCursor(try inner.cursor(sql), failAfter: sql.contains("FROM tree_hashes") ? treeRowsBeforeFailure : nil)
        }
        func entry(seq: Int64) throws -> Entry? { try inner.entry(seq: seq) }
        func entry(ref: ClientRef) throws -> Entry? { try inner.entry(ref: ref) }
    }

    static let entries: Int64 = 3_000

    /// Where entry `seq`'s leaf is stored: entries 1 … n make 2n - popcount(n) hashes.
    static func leafPosition(_ seq: Int64) -> Int { Int(2 * (seq - 1) - Int64((seq - 1).nonzeroBitCount)) }

    func audit(_ store: LedgerStore, treeRowsBeforeFailure rows: Int) throws -> AuditReport {
        try store.withSnapshot { db in
            try LedgerAuditor(source: Source(inner: SQLAuditSource(db: db), treeRowsBeforeFailure: rows),
                              logKey: nil, anchor: nil, witnessKeys: []).run(expected: nil, progressEvery: 50_000, progress: nil)
        }
    }

    func generated() throws -> (store: LedgerStore, directory: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ecoledger-cursor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (try LedgerGenerator.create(at: directory.appendingPathComponent("g.sqlite").path, entries: Self.entries, accounts: 20), directory)
    }

    @Test("a failure reading an entry's tree rows is reported at that entry, as a failure to read", arguments: [
        // A node of entry 2,048 (its rows start at its leaf; the fourth), the leaf of the first
        // entry of the second chunk, and an entry inside it.
        (Int64(2_048), 3), (2_049, 0), (2_500, 0),
    ])
    func failureAtAnEntry(seq: Int64, row: Int) throws {
        let (store, directory) = try generated()
        defer { try? store.close(); try? FileManager.default.removeItem(at: directory) }
        do {
            _ = try audit(store, treeRowsBeforeFailure: Self.leafPosition(seq) + row)
            Issue.record("the audit passed")
        } catch let failure as AuditFailure {
            #expect(failure.seq == seq, "\(failure)")
            #expect(failure.reason.contains("could not read the Merkle tree's rows") && failure.reason.contains("simulated"), "\(failure)")
        }
    }

    @Test("an entry whose link is broken is reported as such, though reading its tree rows failed too")
    func brokenLinkBeforeFailedRead() throws {
        let (store, directory) = try generated()
        defer { try? store.close(); try? FileManager.default.removeItem(at: directory) }
        try store.tamperJournal("UPDATE journal SET hash = zeroblob(32) WHERE seq = 2048")
        do {
            _ = try audit(store, treeRowsBeforeFailure: Self.leafPosition(2_048) + 3)
            Issue.record("the audit passed")
        } catch let failure as AuditFailure {
            #expect(failure.seq == 2_048, "\(failure)")
            #expect(failure.reason.contains("hash does not match"), "\(failure)")
        }
    }

    @Test("a failure reading past the tree's last row is the audit's, not the ledger's")
    func failureBeyondTheTree() throws {
        let (store, directory) = try generated()
        defer { try? store.close(); try? FileManager.default.removeItem(at: directory) }
        let rows = Self.leafPosition(Self.entries + 1)
        #expect(throws: StoreError.self) { _ = try audit(store, treeRowsBeforeFailure: rows) }
        // With one more row allowed, the cursor ends cleanly and the ledger verifies.
        #expect(try audit(store, treeRowsBeforeFailure: rows + 1).entries == Self.entries)
    }
}
