import LedgerFixtures
import Foundation
import LedgerPersistence
import GRDB
import LedgerCore
@testable import LedgerStore
import Testing

/// A generated ledger of any size holds every kind of entry, so that audits and benchmarks on
/// it meet every rule, not only drop-offs (issue 18, item 19).
@Suite("Generated ledgers hold every kind")
struct GeneratedKindsTests {
    /// Kinds in the journal, and how many of each.
    static func kinds(_ store: LedgerStore) throws -> [String: Int] {
        try store.pool.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT kind, count(*) FROM journal GROUP BY kind").map {
                (try RowDecoding.value($0, 0) as String, Int(try RowDecoding.value($0, 1) as Int64))
            })
        }
    }

    @Test("small ledgers (the default intervals) hold every entry kind, exactly the entries asked for, and verify", arguments: [
        (Int64(200), 10_000), (500, 1), (2_000, 50), (2_000, 10_000), (5_000, 7),
    ])
    func everyKind(entries: Int64, accounts: Int) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ecoledger-gen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try LedgerGenerator.create(at: directory.appendingPathComponent("g.sqlite").path, entries: entries, accounts: accounts,
                                               now: 1_795_000_000_000)
        defer { try? store.close() }
        #expect(try store.head().seq == entries)
        let kinds = try Self.kinds(store)
        let missing = EntryKind.allCases.map(\.rawValue).filter { kinds[$0] == nil }
        #expect(missing.isEmpty, "no \(missing) in \(kinds)")
        // Still mostly drop-offs, as a real scheme's journal is, once the ledger is not tiny.
        if entries >= 2_000 { #expect(kinds["dropoff", default: 0] * 2 > Int(entries), "\(kinds)") }
        switch try store.verify() {
        case .success(let report): #expect(report.entries == entries)
        case .failure(let failure): Issue.record("a generated ledger must verify: \(failure)")
        }
    }

    @Test("fewer entries than every kind needs are refused before any file is made")
    func tooSmall() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ecoledger-gen-\(UUID().uuidString).sqlite").path
        #expect(throws: LedgerError.self) { try LedgerGenerator.create(at: path, entries: LedgerGenerator.minimumEntries - 1, accounts: 10) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
