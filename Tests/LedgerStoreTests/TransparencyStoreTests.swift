import LedgerFixtures
import Foundation
import LedgerPersistence
import LedgerCore
import LedgerCrypto
@testable import LedgerStore
import LedgerTransparency
import Testing

/// The Merkle tree and the signed checkpoints in the ledger file, and their audit.
@Suite("The journal's Merkle tree and checkpoints")
struct TransparencyStoreTests {
    static let logSigner = try! NoteSigner(name: "ledger.test/ecoledger", seed: Array(repeating: 7, count: 32))

    func exampleLedger() throws -> TemporaryLedger {
        let ledger = try TemporaryLedger(clock: ExampleLedger.clock())
        try ExampleLedger.populate(ledger.store)
        return ledger
    }

    /// Signs and records the checkpoint of the ledger's current head, as the server does.
    static func sign(_ store: LedgerStore) throws -> Checkpoint {
        let (size, root) = try store.treeHead()
        let checkpoint = Checkpoint(origin: logSigner.key.name, size: size, root: root)
        var note = SignedNote(text: checkpoint.text)
        try note.sign(with: logSigner)
        try store.setMetaOnce("log_key", logSigner.key.verifierKey)
        try store.recordCheckpoint(size: size, root: root, note: note.encoded, timeMs: 0)
        return checkpoint
    }

    @Test("the stored tree is RFC 6962 over the entry hashes, and its proofs verify")
    func treeMatchesJournal() throws {
        let ledger = try exampleLedger()
        var frontier = MerkleFrontier()
        var roots = [MerkleHash.empty]
        for seq in 1...14 {
            try frontier.append(leaf: MerkleHash.leaf(try #require(try ledger.store.entry(seq: Int64(seq))).hash))
            roots.append(try frontier.root())
        }
        #expect(try ledger.store.treeHead().root == roots[14])
        for size in Int64(1)...14 {
            #expect(try ledger.store.treeRoot(size: size) == roots[Int(size)])
            for old in Int64(0)...size {
                let proof = try ledger.store.consistencyProof(old: old, new: size)
                #expect(try MerkleVerifier.verifyConsistency(old: old, new: size, oldRoot: roots[Int(old)], newRoot: roots[Int(size)], proof: proof))
            }
        }
        _ = try Self.sign(ledger.store)
        for seq in Int64(1)...14 {
            let receipt = try #require(try ledger.store.receipt(seq: seq))
            #expect(try receipt.verify(logKey: Self.logSigner.key).size == 14)
            #expect(try receipt.entryHash() == ledger.store.entry(seq: seq)?.hash)
        }
        #expect(throws: LedgerError.self) { try ledger.store.receipt(seq: 15) }
    }

    @Test("a ledger without its tree (made before the tree existed) gets it built when opened, and verifies")
    func treeIsBuiltOnOpen() throws {
        let ledger = try exampleLedger()
        let root = try ledger.store.treeHead().root
        try ledger.store.tamper("DROP TRIGGER tree_hashes_append_only_delete; DELETE FROM tree_hashes")
        guard case .failure = try ledger.store.verify() else { Issue.record("a missing tree fails the audit"); return }
        try ledger.store.close()
        let reopened = try LedgerStore.open(at: ledger.path)
        defer { try? reopened.close() }
        #expect(try reopened.treeHead().root == root)
        guard case .success = try reopened.verify() else { Issue.record("the rebuilt tree verifies"); return }
    }

    @Test("an altered or extra tree hash is caught at the entry that makes it")
    func tamperedTree() throws {
        let ledger = try exampleLedger()
        try ledger.store.tamper("DROP TRIGGER tree_hashes_append_only_update; UPDATE tree_hashes SET hash = zeroblob(32) WHERE position = 9")
        // Position 9 is the level-1 node that entry 6 completes (leaves 4 and 5).
        guard case .failure(let failure) = try ledger.store.verify() else { Issue.record("tampering was not detected"); return }
        #expect(failure.seq == 6 && failure.reason.contains("position 9"), "\(failure)")
        let other = try exampleLedger()
        try other.store.tamper("INSERT INTO tree_hashes (position, hash) VALUES (1000, zeroblob(32))")
        guard case .failure(let extra) = try other.store.verify() else { Issue.record("an extra hash was not detected"); return }
        #expect(extra.seq == 15 && extra.reason.contains("beyond the journal"), "\(extra)")
    }

    @Test("a history rewritten and fully re-hashed (chain, head and tree) is caught by the checkpoint the log signed")
    func rewrittenAfterCheckpoint() throws {
        let ledger = try exampleLedger()
        _ = try Self.sign(ledger.store)
        guard case .success = try ledger.store.verify() else { Issue.record("the signed ledger verifies"); return }
        try ledger.store.tamperJournal("""
            UPDATE journal SET attrs = replace(attrs, '"2345"', '"3345"'), amount = 6021 WHERE seq = 8;
            UPDATE accounts SET balance = balance + 1800 WHERE id = 'R-0001';
            UPDATE accounts SET balance = balance - 1800 WHERE id = 'sys:issuance';
            """)
        try ledger.store.rehashJournal(from: 8)
        guard case .failure(let failure) = try ledger.store.verify() else { Issue.record("the forgery passed"); return }
        #expect(failure.seq == 14 && failure.reason.contains("history was rewritten after it was signed"), "\(failure)")
    }

    @Test("a checkpoint whose signature does not check, or signed by another key, fails the audit")
    func forgedCheckpoint() throws {
        let ledger = try exampleLedger()
        _ = try Self.sign(ledger.store)
        let other = try NoteSigner(name: "ledger.test/ecoledger", seed: Array(repeating: 8, count: 32))
        guard case .failure(let failure) = try ledger.store.verify(logKey: other.key) else { Issue.record("another key passed"); return }
        #expect(failure.reason.contains("is not signed by"), "\(failure)")
        try ledger.store.tamper("DROP TRIGGER checkpoints_append_only_update; UPDATE checkpoints SET note = replace(note, char(10) || '14' || char(10), char(10) || '13' || char(10))")
        guard case .failure(let edited) = try ledger.store.verify() else { Issue.record("an edited note passed"); return }
        #expect(edited.seq == 14 && edited.reason.contains("checkpoint 14"), "\(edited)")
    }

    @Test("a malformed cosignature line, which would break every served note, fails the audit")
    func malformedCosignature() throws {
        let ledger = try exampleLedger()
        let checkpoint = try Self.sign(ledger.store)
        try ledger.store.recordCosignature(size: checkpoint.size, witness: "w", line: "junk\n")
        guard case .failure(let failure) = try ledger.store.verify() else { Issue.record("a junk cosignature passed"); return }
        #expect(failure.seq == 14 && failure.reason.contains("malformed cosignature line"), "\(failure)")
    }

    @Test("a checkpoint kept elsewhere catches a truncated or rewritten ledger, as --checkpoint does")
    func anchor() throws {
        let ledger = try exampleLedger()
        let checkpoint = try Self.sign(ledger.store)
        guard case .success = try ledger.store.verify(logKey: Self.logSigner.key, anchor: checkpoint) else { Issue.record("verifies"); return }
        // An anchor of the same size as a stored checkpoint is checked too, not instead of it.
        let forged = Checkpoint(origin: checkpoint.origin, size: checkpoint.size, root: MerkleHash.empty)
        guard case .failure(let mismatch) = try ledger.store.verify(anchor: forged) else { Issue.record("a wrong anchor passed"); return }
        #expect(mismatch.reason.contains("the given checkpoint"), "\(mismatch)")
        let old = try TemporaryLedger(clock: ExampleLedger.clock())
        for request in try ExampleLedger.requests().dropLast(3) { _ = try old.store.submit(request) }
        guard case .failure(let failure) = try old.store.verify(anchor: checkpoint) else { Issue.record("a truncated copy passed"); return }
        #expect(failure.seq == 12 && failure.reason.contains("truncated"), "\(failure)")
    }
}
