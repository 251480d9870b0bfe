import Foundation
import LedgerCore
import LedgerFixtures
import LedgerPersistence
@testable import LedgerStore
import Testing

/// The audit runs in three stages on threads of their own, over chunks of 2,048 rows: the scan
/// judges what a row is made of, `ChainCheck` its hash, its link and the tree's rows, the replay
/// whether it could have been appended. Whichever stage finds a fault, in whichever chunk, the
/// first bad seq is the one reported.
@Suite("Audit stages", .serialized)
struct AuditStagesTests {
    /// Three chunks' worth, so that faults sit in different chunks and the tree's rows for one
    /// entry (4,096 makes its leaf and twelve nodes) are read ahead of the check.
    static let entries: Int64 = 5_000

    /// A generated ledger of its own for each test, in a directory the test removes.
    func generated(entries: Int64 = Self.entries) throws -> (store: LedgerStore, directory: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ecoledger-stages-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("g.sqlite").path
        return (try LedgerGenerator.create(at: path, entries: entries, accounts: 30), directory)
    }

    /// Where entry `seq`'s leaf is stored: entries 1 … n make 2n - popcount(n) hashes.
    static func leafPosition(_ seq: Int64) -> Int64 { 2 * (seq - 1) - Int64((seq - 1).nonzeroBitCount) }

    @Test("the untouched ledger verifies, every entry through all three stages, its progress counted against the journal's length")
    func untouched() throws {
        let (store, directory) = try generated()
        defer { try? store.close(); try? FileManager.default.removeItem(at: directory) }
        var reports: [(done: Int64, total: Int64)] = []
        guard case .success(let report) = try store.verify(progressEvery: 1_000, progress: { reports.append(($0, $1)) }) else {
            Issue.record("the generated ledger fails its audit"); return
        }
        #expect(report.entries == Self.entries)
        #expect(reports.map(\.done) == [1_000, 2_000, 3_000, 4_000, 5_000, 5_000])
        #expect(reports.allSatisfy { $0.total == Self.entries })
    }

    @Test("a tree that ends part-way through an entry's hashes is caught at that entry")
    func treeEndsInsideAnEntry() throws {
        let (store, directory) = try generated()
        defer { try? store.close(); try? FileManager.default.removeItem(at: directory) }
        // Entry 4,096 makes its leaf and twelve nodes; five of them are left.
        try store.tamper("DROP TRIGGER tree_hashes_append_only_delete; DELETE FROM tree_hashes WHERE position >= \(Self.leafPosition(4_096) + 5)")
        expectAuditFailure(try store.verify(), atSeq: 4_096, mentioning: "the Merkle tree ends before entry 4096")
    }

    @Test("a wrong tree hash is reported before a damaged row further on in the same chunk, found by the stage before")
    func treeFaultBeforeScanFault() throws {
        let (store, directory) = try generated()
        defer { try? store.close(); try? FileManager.default.removeItem(at: directory) }
        // Both in the second chunk (entries 2,049 to 4,096): the scan ends it at 2,600, and the
        // chain's check must end it earlier. The damage alone is found where it is.
        try store.tamperJournal("UPDATE journal SET attrs = replace(attrs, '\":\"', '\": \"') WHERE seq = 2600")
        expectAuditFailure(try store.verify(), atSeq: 2_600, mentioning: "attrs is not in the canonical form")
        try store.tamper("DROP TRIGGER tree_hashes_append_only_update; UPDATE tree_hashes SET hash = zeroblob(32) WHERE position = \(Self.leafPosition(2_500))")
        expectAuditFailure(try store.verify(), atSeq: 2_500, mentioning: "position \(Self.leafPosition(2_500)) is not the one entry 2500 makes")
    }

    @Test("a damaged row is reported before a wrong tree hash further on")
    func scanFaultBeforeTreeFault() throws {
        let (store, directory) = try generated()
        defer { try? store.close(); try? FileManager.default.removeItem(at: directory) }
        try store.tamper("DROP TRIGGER tree_hashes_append_only_update; UPDATE tree_hashes SET hash = zeroblob(32) WHERE position = \(Self.leafPosition(2_500))")
        expectAuditFailure(try store.verify(), atSeq: 2_500, mentioning: "is not the one entry 2500 makes")
        try store.tamperJournal("UPDATE journal SET attrs = replace(attrs, '\":\"', '\": \"') WHERE seq = 2100")
        expectAuditFailure(try store.verify(), atSeq: 2_100, mentioning: "attrs is not in the canonical form")
    }

    @Test("a missing entry is reported as missing, though the scan read the next entry's tree rows ahead")
    func missingEntryBeforeReadAhead() throws {
        let (store, directory) = try generated()
        defer { try? store.close(); try? FileManager.default.removeItem(at: directory) }
        // Entry 2,048 makes its leaf and eleven nodes: the scan reads twelve rows for it where
        // entry 2,047's one row is due.
        try store.tamperJournal("DELETE FROM journal WHERE seq = 2047")
        expectAuditFailure(try store.verify(), atSeq: 2_047, mentioning: "entry 2047 is missing (next stored entry is 2048)")
    }

    @Test("a broken chain in the last chunk is reported before tree hashes beyond the journal")
    func chainFaultBeforeTreeBeyond() throws {
        let (store, directory) = try generated()
        defer { try? store.close(); try? FileManager.default.removeItem(at: directory) }
        try store.tamper("INSERT INTO tree_hashes (position, hash) VALUES (1000000, zeroblob(32))")
        expectAuditFailure(try store.verify(), atSeq: Self.entries + 1, mentioning: "beyond the journal")
        try store.tamperJournal("UPDATE journal SET hash = zeroblob(32) WHERE seq = 4990")
        expectAuditFailure(try store.verify(), atSeq: 4_990, mentioning: "hash does not match")
    }

    @Test("an entry that could not have been appended is reported before a broken chain further on")
    func replayFaultBeforeChainFault() throws {
        let (store, directory) = try generated()
        defer { try? store.close(); try? FileManager.default.removeItem(at: directory) }
        // Rehashed as a forger would: only the replay can tell.
        try store.tamperJournal("UPDATE journal SET amount = amount + 1 WHERE seq = 1500")
        try store.rehashJournal(from: 1_500)
        try store.tamperJournal("UPDATE journal SET hash = zeroblob(32) WHERE seq = 3500")
        expectAuditFailure(try store.verify(), atSeq: 1_500, mentioning: "could not have been appended")
    }

    @Test("a broken chain is reported before an entry further on that could not have been appended")
    func chainFaultBeforeReplayFault() throws {
        let (store, directory) = try generated()
        defer { try? store.close(); try? FileManager.default.removeItem(at: directory) }
        try store.tamperJournal("UPDATE journal SET amount = amount + 1 WHERE seq = 3500")
        try store.rehashJournal(from: 3_500)
        try store.tamperJournal("UPDATE journal SET hash = zeroblob(32) WHERE seq = 1500")
        expectAuditFailure(try store.verify(), atSeq: 1_500, mentioning: "hash does not match")
    }

    @Test("a fault in the first chunk of a long journal ends the audit, and a second audit of the file runs", .timeLimit(.minutes(3)))
    func earlyFaultStopsBlockedStages() throws {
        // Fifteen chunks, more than the hand-offs hold: the scan is still reading (or waiting to
        // hand on a chunk) when the chain's check fails, and must be stopped, not waited for
        // forever. A stage left running would hang this test.
        let (store, directory) = try generated(entries: 30_000)
        defer { try? store.close(); try? FileManager.default.removeItem(at: directory) }
        try store.tamperJournal("UPDATE journal SET hash = zeroblob(32) WHERE seq = 10")
        expectAuditFailure(try store.verify(), atSeq: 10, mentioning: "hash does not match")
        guard case .failure = try store.verify() else { Issue.record("a second audit of the same file passed"); return }
    }
}
