import LedgerFixtures
import Foundation
import LedgerPersistence
import GRDB
import LedgerCore
@testable import LedgerStore
import Testing

@Suite("Schema and durability")
struct SchemaTests {
    static let schemaFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("schema")

    @Test("every numbered file in schema/ is embedded, in order, with the same bytes")
    func embeddedMatchesFolder() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.schemaFolder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(Schema.migrations.map(\.name) == files)
        for migration in Schema.migrations {
            let onDisk = try Data(contentsOf: Self.schemaFolder.appendingPathComponent(migration.name))
            #expect(Array(onDisk) == migration.sql, "\(migration.name) differs from its embedded copy")
        }
    }

    @Test("migrations run once: reopening a ledger keeps its entries and applies nothing again")
    func migrationsOnce() throws {
        let ledger = try TemporaryLedger(clock: ExampleLedger.clock())
        try ExampleLedger.populate(ledger.store)
        let head = try ledger.store.head()
        try ledger.store.close()
        let reopened = try LedgerStore.open(at: ledger.path)
        #expect(try reopened.head() == head)
        let applied = try reopened.pool.read { db in try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(applied == Schema.migrations.map(\.name))
        try reopened.close()
    }

    @Test("the rules' reads of a resident's credits and debits use the covering indexes alone, never the journal's rows")
    func creditReadsStayInTheIndex() throws {
        let ledger = try TemporaryLedger(clock: ExampleLedger.clock())
        try ExampleLedger.populate(ledger.store)
        for sql in [CreditQueries.all, CreditQueries.earned, CreditQueries.credited] {
            let plan = try ledger.store.pool.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: StatementArguments(Array(repeating: 1, count: sql.count { $0 == "?" })))
                    .map { $0["detail"] as String }
            }
            #expect(plan == ["SEARCH journal USING COVERING INDEX journal_credits (credit=? AND seq>?)"] || plan == ["SEARCH journal USING COVERING INDEX journal_credits (credit=?)"],
                    "\(sql): \(plan)")
        }
        let debits = try ledger.store.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + CreditQueries.debited, arguments: ["R-1"]).map { $0["detail"] as String }
        }
        #expect(debits == ["SEARCH journal USING COVERING INDEX journal_debits (debit=?)"], "BALANCE sums a resident's debits in the index")
    }

    @Test("the file is in WAL mode with synchronous=FULL and foreign keys on, for writer and readers; the writer checkpoints every 500 pages")
    func durabilitySettings() throws {
        let ledger = try TemporaryLedger()
        let check = { (db: Database) throws -> [String] in
            [try String.fetchOne(db, sql: "PRAGMA journal_mode")!,
             try String(Int.fetchOne(db, sql: "PRAGMA synchronous")!),
             try String(Int.fetchOne(db, sql: "PRAGMA foreign_keys")!)]
        }
        #expect(try ledger.store.pool.write(check) == ["wal", "2", "1"])
        #expect(try ledger.store.pool.read(check) == ["wal", "2", "1"])
        // The writer checkpoints the log every 500 pages, not SQLite's 1,000 (shorter waits).
        #expect(try ledger.store.pool.write { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") } == 500)
    }

    @Test("an acknowledged entry is in the file: a second, independent connection sees it")
    func committedOnReturn() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        let receipt = try ledger.store.submit(Make.dropoff("R-1", kg: "1", ref: "k"))
        let other = try DatabaseQueue(path: ledger.path)
        let seq = try other.read { db in try Int64.fetchOne(db, sql: "SELECT max(seq) FROM journal") }
        #expect(seq == receipt.entry.seq)
    }

    @Test("opening a missing file, a non-SQLite file or a foreign SQLite file gives one clear error")
    func openErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ecoledger-open-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("missing.sqlite").path
        #expect(throws: StoreError.missing(path: missing)) { try LedgerStore.open(at: missing) }
        let text = folder.appendingPathComponent("notes.txt")
        try Data("not a database, just some text that is long enough".utf8).write(to: text)
        #expect(throws: StoreError.notALedger(path: text.path, reason: "it is not a SQLite database")) { try LedgerStore.open(at: text.path) }
        let foreign = folder.appendingPathComponent("foreign.sqlite").path
        try DatabaseQueue(path: foreign).write { db in try db.execute(sql: "CREATE TABLE t (x)") }
        #expect(throws: StoreError.notALedger(path: foreign, reason: "it has no ecoledger metadata")) { try LedgerStore.open(at: foreign) }
        let ledger = try TemporaryLedger()
        #expect(throws: StoreError.alreadyExists(path: ledger.path)) { try LedgerStore.create(at: ledger.path) }
    }
}

@Suite("Closing")
struct ClosingTests {
    @Test("a clean close leaves the whole ledger in the main file: a copy of it alone verifies")
    func cleanClose() throws {
        let ledger = try TemporaryLedger(clock: ExampleLedger.clock())
        try ExampleLedger.populate(ledger.store)
        let head = try ledger.store.head()
        try ledger.store.close()
        let wal = (try? FileManager.default.attributesOfItem(atPath: ledger.path + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0)
        let copy = ledger.directory.appendingPathComponent("copy.sqlite").path
        try FileManager.default.copyItem(atPath: ledger.path, toPath: copy)
        let reopened = try LedgerStore.open(at: copy, readOnly: true)
        guard case .success(let report) = try reopened.verify() else { Issue.record("the copy should verify"); return }
        #expect(report.head == head)
        try reopened.close()
    }
}

@Suite("Upgrades")
struct UpgradeTests {
    @Test("a read-only audit of a file not yet upgraded names the missing migration instead of failing on SQL")
    func auditNeedsUpgrade() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        // As an older version left it: the last migration that changes tables not recorded as applied.
        let missing = try #require(Schema.migrations.last { !Schema.indexesOnly.contains($0.name) }).name
        try ledger.store.tamper("DELETE FROM grdb_migrations WHERE identifier = '\(missing)'")
        let readOnly = try LedgerStore.open(at: ledger.path, readOnly: true)
        defer { try? readOnly.close() }
        #expect(throws: StoreError.needsUpgrade(path: ledger.path, migration: missing)) { _ = try readOnly.verify() }
    }

    @Test("a file that lacks only index migrations (as a backup made before them) verifies read-only, and ecoledgerd's open applies them")
    func indexOnlyMigrationsAreNotNeededToAudit() throws {
        let ledger = try TemporaryLedger()
        try ledger.store.seedCatalogue()
        _ = try ledger.store.submit(Make.dropoff("R-1", kg: "2", ref: "old"))
        // As 008's version left it: the journal's plain indexes by debit and credit.
        try ledger.store.tamper("""
            DROP INDEX journal_credits; DROP INDEX journal_debits;
            CREATE INDEX journal_by_debit ON journal (debit, seq) WHERE debit IS NOT NULL;
            CREATE INDEX journal_by_credit ON journal (credit, seq) WHERE credit IS NOT NULL;
            DELETE FROM grdb_migrations WHERE identifier IN ('009_credits_index.sql', '010_debits_index.sql')
            """)
        let head = try ledger.store.head()
        try ledger.store.close()
        let readOnly = try LedgerStore.open(at: ledger.path, readOnly: true)
        guard case .success(let report) = try readOnly.verify() else { Issue.record("a file lacking only indexes must verify"); return }
        #expect(report.head == head)
        try readOnly.close()
        let reopened = try LedgerStore.open(at: ledger.path)
        defer { try? reopened.close() }
        let indexes = try reopened.pool.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'journal' AND name LIKE 'journal_%' ORDER BY name")
        }
        #expect(indexes == ["journal_credits", "journal_debits"])
    }
}

@Suite("The attrs column")
struct AttributesJSONTests {
    @Test("what the store writes reads back the same, and is JSON that any library reads the same way")
    func roundTrip() throws {
        let samples: [EntryAttributes] = [
            [:], ["a": "b"], ["name": "Juan \"JC\" dela Cruz", "district": #"back\slash"#, "reason": "a, b: {c}"],
            ["unicode": "Niño 🌱", "slash": "a/b", "z": ""],
        ]
        for sample in samples {
            let text = AttributesJSON.encode(sample)
            #expect(AttributesJSON.decode(text) == sample)
            #expect(EntryAttributes(try JSONDecoder().decode([String: String].self, from: Data(text.utf8))) == sample)
        }
        #expect(AttributesJSON.encode(["b": "1", "a": "2", "B": "3"]) == #"{"B":"3","a":"2","b":"1"}"#, "byte order of keys")
    }

    @Test("only the canonical form is read: other spellings, escapes, orders and repeated keys are refused", arguments: [
        #"{ "a":"b"}"#, #"{"a" :"b"}"#, #"{"a":"b" }"#, #"{"a":"b",}"#, #"{,"a":"b"}"#,
        #"{"b":"1","a":"2"}"#, #"{"a":"1","a":"1"}"#, #"{"a":"1","a":"2"}"#,
        #"{"a":"\u0041"}"#, #"{"a":"\n"}"#, #"{"a":"\/"}"#, "{\"a\":\"\u{9}\"}", #"{"a":1}"#, #"{"a":null}"#, #"["a"]"#, "",
    ])
    func strict(text: String) {
        #expect(AttributesJSON.decode(text) == nil)
        #expect(Array(text.utf8).withUnsafeBytes { AttributesJSON.canonical($0) } == nil, "the audit's scan refuses it too")
    }

    /// The audit's scan hashes attrs straight from the column (`appendCanonical`), the replay
    /// decodes them (`decode`): on any text, both must accept the same, and mean the same bytes.
    @Test("the scan's reading of attrs agrees with the decoder on 20,000 random and mutated texts")
    func scanAgreesWithDecoder() {
        var generator = SystemRandomNumberGenerator()
        // Values never hold control characters (the rules refuse them), but a damaged row might.
        let alphabet = Array(#"ab"\{}:,ñ🌱 "#.unicodeScalars)
        func randomText(_ length: Int, controls: Bool = false) -> String {
            let scalars = controls ? alphabet + [Unicode.Scalar(0x09)!] : alphabet
            return String(String.UnicodeScalarView((0..<length).map { _ in scalars.randomElement(using: &generator)! }))
        }
        var accepted = 0
        for round in 0..<20_000 {
            var text: String
            if round % 2 == 0 {
                let pairs = (0..<Int.random(in: 0...3, using: &generator)).map { _ in (randomText(Int.random(in: 0...3, using: &generator)), randomText(Int.random(in: 0...4, using: &generator))) }
                text = AttributesJSON.encode(EntryAttributes(Dictionary(pairs, uniquingKeysWith: { a, _ in a })))
                if round % 4 == 0, !text.isEmpty {
                    // One byte changed, inserted or removed.
                    var bytes = Array(text.utf8)
                    let at = Int.random(in: 0..<bytes.count, using: &generator)
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0: bytes[at] = Array(#"ab"\{}:, "#.utf8).randomElement(using: &generator)!
                    case 1: bytes.insert(Array(#""\,:}"#.utf8).randomElement(using: &generator)!, at: at)
                    default: bytes.remove(at: at)
                    }
                    text = String(decoding: bytes, as: UTF8.self)
                }
            } else {
                text = "{" + randomText(Int.random(in: 0...12, using: &generator), controls: true) + "}"
            }
            let decoded = AttributesJSON.decode(text)
            let scanned = Array(text.utf8).withUnsafeBytes { AttributesJSON.canonical($0) }
            #expect((scanned != nil) == (decoded != nil), "\(text.debugDescription)")
            guard let decoded, let scanned else { continue }
            accepted += 1
            var expected: [UInt8] = []
            CanonicalEncoding.appendUInt32(UInt32(decoded.count), to: &expected)
            for key in decoded.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                CanonicalEncoding.appendString(key.utf8, to: &expected)
                CanonicalEncoding.appendString(decoded[key]!.utf8, to: &expected)
            }
            #expect(scanned == expected, "\(text.debugDescription)")
            // The replay reads the attributes back from what the scan hashed.
            #expect(scanned.withUnsafeBytes { AttributesJSON.attributes(canonical: $0) } == decoded, "\(text.debugDescription)")
        }
        #expect(accepted > 5_000, "enough valid texts were tried")
    }

    /// The scan sets aside `canonicalCapacity` bytes for a text's canonical attributes, and a
    /// write past them stops the process: every text, damaged or not, must fit. Here, every text
    /// of up to seven bytes between braces over the bytes that matter (quotes, separators, an
    /// escape, a letter), empty literals (the most output per byte) among them.
    @Test("every short attrs text, however malformed, fits the space the scan sets aside, and is read as the decoder reads it")
    func canonicalFitsItsCapacity() {
        let alphabet: [UInt8] = [UInt8(ascii: "\""), UInt8(ascii: ":"), UInt8(ascii: ","), UInt8(ascii: "\\"), UInt8(ascii: "a")]
        var accepted = 0, tried = 0
        var middle: [UInt8] = []
        func visit(_ length: Int) {
            if middle.count == length {
                let text = [UInt8(ascii: "{")] + middle + [UInt8(ascii: "}")]
                let scanned = text.withUnsafeBytes { AttributesJSON.canonical($0) }
                #expect((scanned != nil) == (AttributesJSON.decode(String(decoding: text, as: UTF8.self)) != nil), "\(String(decoding: text, as: UTF8.self))")
                if let scanned {
                    #expect(scanned.count <= AttributesJSON.canonicalCapacity(text.count))
                    accepted += 1
                }
                tried += 1
                return
            }
            for byte in alphabet {
                middle.append(byte)
                visit(length)
                middle.removeLast()
            }
        }
        for length in 0...7 { visit(length) }
        #expect(tried == (0...7).reduce(0) { $0 + Int(pow(5.0, Double($1))) })
        #expect(accepted > 10, "some are canonical: {\"\":\"\"} and the like")
    }

    @Test("attributes read back from their canonical bytes: invalid UTF-8, a short or a long buffer, keys out of byte order or repeated are refused")
    func canonicalAttributesStrict() {
        func canonical(_ pairs: [([UInt8], [UInt8])], extra: [UInt8] = []) -> [UInt8] {
            var out: [UInt8] = []
            CanonicalEncoding.appendUInt32(UInt32(pairs.count), to: &out)
            for (key, value) in pairs {
                CanonicalEncoding.appendString(key, to: &out)
                CanonicalEncoding.appendString(value, to: &out)
            }
            return out + extra
        }
        let good = canonical([(Array("grams".utf8), Array("1500".utf8)), (Array("name".utf8), Array("Café 🌱".utf8))])
        #expect(good.withUnsafeBytes { AttributesJSON.attributes(canonical: $0) } == ["grams": "1500", "name": "Café 🌱"])
        #expect(canonical([(Array("name".utf8), [0x43, 0xC3, 0x28])]).withUnsafeBytes { AttributesJSON.attributes(canonical: $0) } == nil)
        #expect(Array(good.dropLast()).withUnsafeBytes { AttributesJSON.attributes(canonical: $0) } == nil)
        #expect(canonical([], extra: [0]).withUnsafeBytes { AttributesJSON.attributes(canonical: $0) } == nil)
        // Byte order, a prefix first: "a" < "ab" < "b"; "Z" (0x5A) < "a" (0x61); "é" (0xC3 0xA9) after "z".
        func read(_ keys: [String]) -> EntryAttributes? {
            canonical(keys.map { (Array($0.utf8), Array("1".utf8)) }).withUnsafeBytes { AttributesJSON.attributes(canonical: $0) }
        }
        #expect(read(["Z", "a", "ab", "b", "z", "é"])?.keys == ["Z", "a", "ab", "b", "z", "é"])
        for refused in [["ab", "a"], ["a", "a"], ["b", "ab"], ["a", "Z"], ["é", "z"], ["a", "b", "b"]] {
            #expect(read(refused) == nil, "\(refused)")
        }
    }
}

import Foundation
