import Foundation
import LedgerCrypto
import LedgerTransparency
import Testing

/// Signed notes, checkpoints, cosignatures and tlog-proof files, against vectors made by other
/// implementations: golang.org/x/mod/sumdb/note's documentation, and a checkpoint signed with
/// Python's `cryptography` (Ed25519 is deterministic, so our signatures must be byte-identical).
@Suite("Signed notes, checkpoints, cosignatures and receipts")
struct NoteTests {
    static let logSeed = (0..<32).map { UInt8($0) }
    static let witnessSeed = (32..<64).map { UInt8($0) }
    static let signedCheckpoint = """
        example.com/ledger
        13
        lqWoftesYODBs9vY1oIn7jfilxqSadt+k6KgLO0/cWA=

        — example.com/ledger k3J95hMSCPFv8IC01TombpUdVUIeTQ125QcQizPLACrqQnyQ2/Uh0qoFsKtk+kG6lX72m7pAUZOrnCZDdvpooTE0HAk=
        — witness.example/w1 IDJKvgAAAABlU/EADJWpRShuSlkQxos161MvbYVPg/81uFC8goV+Q+pIAru5kVWpq/+qq7zbXdClFGXxORP6G+WcP8ikjSWnl1vrAQ==

        """

    @Test("the signed-note known answer of golang.org/x/mod verifies; a changed byte does not")
    func goKnownAnswer() throws {
        let key = try NoteKey(verifierKey: "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        let note = """
            If you think cryptography is the answer to your problem,
            then you don't know what your problem is.

            — PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=

            """
        #expect(try SignedNote(parsing: note).isSigned(by: key))
        #expect(throws: NoteError.self) { try SignedNote(parsing: note.replacingOccurrences(of: "answer", with: "Answer")).isSigned(by: key) }
        #expect(throws: NoteError.self) { try NoteKey(verifierKey: "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") }
    }

    @Test("a checkpoint and a witness cosignature are byte-identical to an independent signer's")
    func checkpointVector() throws {
        let log = try NoteSigner(name: "example.com/ledger", seed: Self.logSeed)
        #expect(log.key.verifierKey == "example.com/ledger+93727de6+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4")
        let witness = try NoteSigner(name: "witness.example/w1", kind: .cosignatureV1, seed: Self.witnessSeed)
        #expect(witness.key.verifierKey == "witness.example/w1+20324abe+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X")
        var frontier = MerkleFrontier()
        for n in 0..<13 { try frontier.append(leaf: MerkleHash.leaf(data: Array("entry-\(n)".utf8))) }
        var note = SignedNote(text: Checkpoint(origin: "example.com/ledger", size: 13, root: try frontier.root()).text)
        try note.sign(with: log)
        note.signatures.append(try Cosignature.sign(note, by: witness, time: 1_700_000_000))
        #expect(note.encoded == Self.signedCheckpoint)
        let (checkpoint, opened) = try Checkpoint.open(Self.signedCheckpoint, logKey: log.key)
        let root = try frontier.root()
        #expect(checkpoint.size == 13 && checkpoint.root == root)
        #expect(try Cosignature.verify(opened, witness: witness.key) == 1_700_000_000)
    }

    @Test("a tampered checkpoint, a wrong origin or a forged cosignature is refused")
    func refusals() throws {
        let log = try NoteSigner(name: "example.com/ledger", seed: Self.logSeed)
        let witness = try NoteKey(verifierKey: "witness.example/w1+20324abe+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X")
        #expect(throws: NoteError.self) { try Checkpoint.open(Self.signedCheckpoint.replacingOccurrences(of: "\n13\n", with: "\n14\n"), logKey: log.key) }
        let other = try NoteSigner(name: "example.com/other", seed: Self.logSeed)
        #expect(throws: NoteError.self) { try Checkpoint.open(Self.signedCheckpoint, logKey: other.key) }
        let forged = Self.signedCheckpoint.replacingOccurrences(of: "IDJKvgAAAABlU/EA", with: "IDJKvgAAAABlU/EB")
        let (_, note) = try Checkpoint.open(forged, logKey: log.key)
        #expect(throws: NoteError.self) { try Cosignature.verify(note, witness: witness) }
        #expect(throws: NoteError.self) { try Checkpoint(text: "example.com/ledger\n013\nlqWoftesYODBs9vY1oIn7jfilxqSadt+k6KgLO0/cWA=\n") }
        // A good cosignature followed by a bad one of the same witness is not a cosignature.
        let good = Self.signedCheckpoint.split(separator: "\n").last!
        let doubled = Self.signedCheckpoint + good.replacingOccurrences(of: "IDJKvgAAAABlU/EA", with: "IDJKvgAAAABlU/EB") + "\n"
        let (_, both) = try Checkpoint.open(doubled, logKey: log.key)
        #expect(throws: NoteError.self) { try Cosignature.verify(both, witness: witness) }
    }

    @Test("a tlog-proof file made by another implementation parses, re-encodes identically and verifies")
    func tlogProofVector() throws {
        let file = "c2sp.org/tlog-proof@v1\nindex 5\nGUu1otW9EOXRqm/V1CmAs1bK8dpiPNmYfEv6L4F3Htc=\n1EgFk1RgUwW/k2qmoOTHCTIclg4rpskhuYuaFlMZy+I=\n"
            + "JWueiCXl03CkrgBdCQHqKRl34pJ/XPjj5yZg3QlRnts=\n1ILNm5pavywgJqFzMzmGI6wwoP7/JB/uncGSK5VR9yI=\n\n" + Self.signedCheckpoint
        let receipt = try InclusionReceipt(parsing: file)
        #expect(receipt.encoded == file)
        let log = try NoteSigner(name: "example.com/ledger", seed: Self.logSeed)
        let checkpoint = try receipt.verify(logKey: log.key, leaf: MerkleHash.leaf(data: Array("entry-5".utf8)))
        #expect(checkpoint.size == 13)
        #expect(throws: NoteError.self) { try receipt.verify(logKey: log.key, leaf: MerkleHash.leaf(data: Array("entry-6".utf8))) }
    }
}
