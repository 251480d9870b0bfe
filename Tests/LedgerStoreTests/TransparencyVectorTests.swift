import LedgerFixtures
import Foundation
import LedgerPersistence
import LedgerCore
import LedgerCrypto
@testable import LedgerStore
import LedgerTransparency
import Testing

/// The transparency-log vectors of docs/LEDGER.md (computed there by an independent Python
/// program), parsed from the page and reproduced by ecoledger's own code, byte for byte.
@Suite("docs/LEDGER.md transparency log vectors")
struct TransparencyVectorTests {
    /// The fenced `text` blocks of the page, keyed by their first line (the whole block for notes).
    static func blocks() throws -> [String] {
        let text = try String(contentsOf: SpecVectorTests.page, encoding: .utf8)
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if current == nil, line == "```text" { current = [] } else if current != nil, line == "```" {
                blocks.append(current!.joined(separator: "\n") + "\n")
                current = nil
            } else if current != nil {
                current!.append(line)
            }
        }
        return blocks
    }

    static func block(_ heading: String) throws -> String {
        try #require(try blocks().first { $0.hasPrefix(heading + "\n") }, "no `\(heading)` block in docs/LEDGER.md")
    }

    /// The hex hashes of a proof block: the second column of each numbered line.
    static func hashes(_ block: String) -> [Hash256] {
        // The lines after the heading, up to the first empty one (a block may hold two proofs).
        block.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().prefix { !$0.isEmpty }.compactMap { line in
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            return columns.count >= 2 && Int(columns[0]) != nil ? Hash256(hex: String(columns[1])) : nil
        }
    }

    @Test("the example ledger's roots, leaf, proofs, checkpoint, receipt and cosignature are the page's")
    func reproduce() throws {
        let ledger = try TemporaryLedger(clock: ExampleLedger.clock())
        try ExampleLedger.populate(ledger.store)
        let tree = try Self.block("tree of the example ledger")
        var roots = 0
        for line in tree.split(separator: "\n") where line.hasPrefix("root ") {
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count == 3, let size = Int64(columns[1]) else { continue }
            #expect(try ledger.store.treeRoot(size: size).hex == columns[2], "root \(size)")
            roots += 1
        }
        #expect(roots == 15)
        let entry8 = try #require(try ledger.store.entry(seq: 8))
        #expect(tree.contains("= \(try MerkleHash.leaf(entry8.hash).hex)"))
        #expect(try ledger.store.consistencyProof(old: 8, new: 14) == Self.hashes(try Self.block("consistency proof, 8 to 14")))
        let sixToFourteen = try Self.blocks().first { $0.contains("consistency proof, 6 to 14\n") }.map { String($0[$0.range(of: "consistency proof, 6 to 14\n")!.lowerBound...]) }
        #expect(try ledger.store.consistencyProof(old: 6, new: 14) == Self.hashes(try #require(sixToFourteen)))

        let signer = try NoteSigner(name: "example.ecoledger.test/ledger", seed: (0..<32).map { UInt8($0) })
        #expect(try Self.block("log key").contains("verifier key  \(signer.key.verifierKey)\n"))
        let (size, root) = try ledger.store.treeHead()
        var note = SignedNote(text: Checkpoint(origin: signer.key.name, size: size, root: root).text)
        try note.sign(with: signer)
        #expect(try Self.blocks().contains(note.encoded), "the signed checkpoint")
        try ledger.store.recordCheckpoint(size: size, root: root, note: note.encoded, timeMs: 0)
        let receipt = try #require(try ledger.store.receipt(seq: 8))
        #expect(receipt.proof == Self.hashes(try Self.block("inclusion proof, index 7, size 14")))
        #expect(receipt.encoded == (try Self.block("c2sp.org/tlog-proof@v1")))

        let witness = try NoteSigner(name: "witness.example.ecoledger.test/w1", kind: .cosignatureV1, seed: (32..<64).map { UInt8($0) })
        #expect(try Self.block("witness key").contains("verifier key  \(witness.key.verifierKey)\n"))
        let line = try Cosignature.sign(note, by: witness, time: 1_767_225_600)
        #expect(try Self.blocks().contains(line.line), "the cosignature line")
        #expect(EntryDescription.describe(entry8) == "seq 8, 2026-01-01 00:00 UTC: drop-off of 2.345 kg PET at CP-BATASAN, 42.21 points to R-0001")
    }
}
