import LedgerFixtures
import Foundation
import LedgerPersistence
import LedgerCore
import LedgerCrypto
@testable import LedgerStore
import Testing

/// The vectors published in docs/LEDGER.md, parsed from the page itself, so the
/// specification and the code cannot drift apart.
@Suite("docs/LEDGER.md test vectors")
struct SpecVectorTests {
    struct Vector {
        let seq: Int64
        let canonical: [UInt8]
        let hash: Hash256
    }

    static let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/LEDGER.md")

    static func vectors() throws -> [Vector] {
        let text = try String(contentsOf: page, encoding: .utf8)
        var vectors: [Vector] = []
        var seq: Int64?
        var hex = ""
        var inCanonical = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("entry "), let number = Int64(line.dropFirst(6)) {
                seq = number
                hex = ""
            } else if line == "canonical" {
                inCanonical = true
            } else if inCanonical, line.hasPrefix("  ") {
                hex += line.trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("hash "), let current = seq {
                inCanonical = false
                let bytes = try #require(Hex.decode(hex), "entry \(current): canonical is not hex")
                let hash = try #require(Hash256(hex: String(line.dropFirst(5))), "entry \(current): bad hash")
                vectors.append(Vector(seq: current, canonical: bytes, hash: hash))
                seq = nil
            }
        }
        return vectors
    }

    @Test("the page has vectors for entries 1, 2, 3, 4, 8, 10 and 13")
    func pageHasVectors() throws {
        #expect(try Self.vectors().map(\.seq) == [1, 2, 3, 4, 8, 10, 13])
    }

    @Test("each vector's hash is SHA-256(prev_hash ‖ canonical), prev_hash being the canonical bytes' last 32")
    func vectorsAreSelfConsistent() throws {
        for vector in try Self.vectors() {
            #expect(vector.canonical.first == 1, "version byte")
            let prev = Array(vector.canonical.suffix(32))
            #expect(try SHA256.digest(prev + vector.canonical) == vector.hash, "entry \(vector.seq)")
        }
    }

    @Test("the example ledger's entries encode and hash exactly as the page says")
    func codeMatchesPage() throws {
        let ledger = try TemporaryLedger(clock: ExampleLedger.clock())
        try ExampleLedger.populate(ledger.store)
        for vector in try Self.vectors() {
            let entry = try #require(try ledger.store.entry(seq: vector.seq))
            #expect(entry.canonicalBytes == vector.canonical, "entry \(vector.seq) canonical bytes")
            #expect(entry.hash == vector.hash, "entry \(vector.seq) hash")
        }
        let head = try ledger.store.head()
        let text = try String(contentsOf: Self.page, encoding: .utf8)
        #expect(text.contains("Its head is `\(head.seq):\(head.hash.hex)`"))
    }
}
