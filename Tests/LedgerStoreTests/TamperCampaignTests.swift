import Foundation
import LedgerPersistence
import GRDB
import LedgerCore
import LedgerCrypto
import LedgerPostgres
@testable import LedgerStore
import LedgerTestSupport
import Testing

/// `make tamper-test`: many random tamperings, each on a fresh copy of a realistic ledger,
/// through SQL as the file's owner (or PostgreSQL's superuser) could do them. `verify` must
/// catch every one and name the first bad seq, on both engines. `ECOLEDGER_TAMPERINGS` (default
/// 60, as in CI; `make tamper-test` runs 1,000) and `ECOLEDGER_TAMPER_SEED` (replays a run).
@Suite("Tamper campaign", .serialized)
struct TamperCampaignTests {
    static var count: Int { Int(ProcessInfo.processInfo.environment["ECOLEDGER_TAMPERINGS"] ?? "") ?? 60 }
    static var seed: UInt64 { UInt64(ProcessInfo.processInfo.environment["ECOLEDGER_TAMPER_SEED"] ?? "") ?? UInt64.random(in: 1...1_000_000) }

    /// One tampering: its SQL, the seq verify must report, and an expected head when the
    /// tampering is a truncation (only an anchor kept elsewhere can reveal one).
    struct Tampering {
        let kind: String
        let sql: String
        let firstBadSeq: Int64
        var expectedHead: ExpectedHead?
    }

    @Test("every random tampering is caught at its first bad seq")
    func campaign() throws {
        let seed = Self.seed
        var random = SeededGenerator(seed: seed)
        let original = try Self.realisticLedger(seed: seed)
        defer { try? FileManager.default.removeItem(at: original.deletingLastPathComponent()) }
        let facts = try Self.Facts(path: original.path)
        var tally = Tally(seed: seed)
        for index in 0..<Self.count {
            let tampering = try Self.randomTampering(facts, dialect: .sqlite, using: &random)
            let copy = original.deletingLastPathComponent().appendingPathComponent("copy-\(index).sqlite")
            try FileManager.default.copyItem(at: original, to: copy)
            defer { try? FileManager.default.removeItem(at: copy) }
            try DatabaseQueue(path: copy.path).writeWithoutTransaction { db in
                try db.execute(sql: """
                    PRAGMA foreign_keys = OFF;
                    PRAGMA ignore_check_constraints = ON;
                    DROP TRIGGER IF EXISTS journal_is_append_only_update;
                    DROP TRIGGER IF EXISTS journal_is_append_only_delete;
                    \(tampering.sql)
                    """)
            }
            let store = try LedgerStore.open(at: copy.path, readOnly: true)
            let result = try store.verify(expecting: tampering.expectedHead)
            try store.close()
            tally.record(result, of: tampering, index: index)
        }
        print("tamper-test: " + tally.summary)
    }

    /// The same campaign on PostgreSQL: the realistic ledger copied into a database, every
    /// tampering made on a fresh copy of it (`CREATE DATABASE … TEMPLATE`) by the superuser, who
    /// can drop the CHECK constraints and switch the append-only and foreign-key triggers off
    /// (`session_replication_role = replica`); the engine's own audit must name the first bad
    /// seq, as the file's does.
    @Test("every random tampering of a PostgreSQL ledger is caught at its first bad seq", .enabled(if: PostgresCluster.isInstalled))
    func campaignOnPostgres() throws {
        let seed = Self.seed
        var random = SeededGenerator(seed: seed)
        let original = try Self.realisticLedger(seed: seed)
        defer { try? FileManager.default.removeItem(at: original.deletingLastPathComponent()) }
        let facts = try Self.Facts(path: original.path)
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        try cluster.psql("CREATE DATABASE original")
        do {
            let url = try PostgresURL(cluster.url(database: "original"))
            let target = try PostgresLedger.create(url: url, password: try url.password())
            defer { target.close() }
            let file = try LedgerStore.open(at: original.path, readOnly: true)
            defer { try? file.close() }
            try file.withRowSource { source in try target.withRowSink { sink in try LedgerCopy.copy(from: source, to: sink) } }
            #expect(throws: Never.self) { try target.verify().get() }
        }
        try cluster.psql("""
            DO $$ DECLARE r record; BEGIN
                FOR r IN SELECT conrelid::regclass AS t, conname FROM pg_constraint WHERE contype = 'c' AND connamespace = 'public'::regnamespace LOOP
                    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.t, r.conname);
                END LOOP;
            END $$
            """, database: "original")
        var tally = Tally(seed: seed)
        for index in 0..<Self.count {
            let tampering = try Self.randomTampering(facts, dialect: .postgres, using: &random)
            let copy = "copy\(index)"
            try cluster.psql("CREATE DATABASE \(copy) TEMPLATE original")
            defer { _ = try? cluster.psql("DROP DATABASE \(copy) WITH (FORCE)") }
            try cluster.psql("SET session_replication_role = replica; \(tampering.sql)", database: copy)
            let url = try PostgresURL(cluster.url(database: copy))
            let ledger = try PostgresLedger.open(url: url, password: try url.password())
            let result = try ledger.verify(expecting: tampering.expectedHead)
            ledger.close()
            tally.record(result, of: tampering, index: index)
        }
        print("tamper-test on PostgreSQL: " + tally.summary)
    }

    /// What a campaign caught, by kind; a tampering missed or found at another seq is an issue.
    struct Tally {
        let seed: UInt64
        var tried: [String: Int] = [:], caught: [String: Int] = [:]

        mutating func record(_ result: Result<AuditReport, AuditFailure>, of tampering: Tampering, index: Int) {
            tried[tampering.kind, default: 0] += 1
            switch result {
            case .success:
                Issue.record("not detected (seed \(seed), #\(index)): \(tampering.kind): \(tampering.sql)")
            case .failure(let failure):
                if failure.seq == tampering.firstBadSeq {
                    caught[tampering.kind, default: 0] += 1
                } else {
                    Issue.record("detected at seq \(failure.seq), expected \(tampering.firstBadSeq) (seed \(seed), #\(index)): \(tampering.kind): \(tampering.sql) → \(failure.reason)")
                }
            }
        }

        var summary: String {
            "seed=\(seed) caught \(caught.values.reduce(0, +)) of \(tried.values.reduce(0, +)) at the right seq; by kind: "
                + tried.keys.sorted().map { "\($0)=\(caught[$0, default: 0])/\(tried[$0]!)" }.joined(separator: " ")
        }
    }

    /// Where the two engines' SQL differs for the same tampering.
    enum Dialect {
        case sqlite, postgres

        func blob(_ bytes: [UInt8]) -> String {
            switch self {
            case .sqlite: "X'\(Hex.encode(bytes))'"
            case .postgres: "'\\x\(Hex.encode(bytes))'::bytea"
            }
        }

        var attrsEdit: String {
            switch self {
            case .sqlite: #"attrs = json_set(attrs, '$.tampered', 'yes')"#
            case .postgres: #"attrs = (attrs::jsonb || '{"tampered": "yes"}'::jsonb)::text"#
            }
        }
    }

    /// What the tamperer needs to know about the original file.
    struct Facts {
        var head: Int64
        var headHash: Hash256
        var accounts: [(id: String, lastSeq: Int64)]
        var materials: [(code: String, lastSeq: Int64)]
        var tokens: [(id: String, lastSeq: Int64)]
        var points: [(id: String, lastSeq: Int64)]
        /// Residents with a profile, and residents whose profile was erased.
        var profiles: [(id: String, lastSeq: Int64)]
        var erased: [(id: String, lastSeq: Int64)]

        init(path: String) throws {
            let store = try LedgerStore.open(at: path, readOnly: true)
            defer { try? store.close() }
            let head = try store.head()
            self.head = head.seq
            headHash = head.hash
            (accounts, materials, tokens, points, profiles, erased) = try store.pool.read { db in
                (try Row.fetchAll(db, sql: "SELECT id, last_seq FROM accounts WHERE last_seq > 0").map { ($0[0], $0[1]) },
                 try Row.fetchAll(db, sql: "SELECT code, last_seq FROM materials").map { ($0[0], $0[1]) },
                 try Row.fetchAll(db, sql: "SELECT id, last_seq FROM tokens").map { ($0[0], $0[1]) },
                 try Row.fetchAll(db, sql: "SELECT id, last_seq FROM points").map { ($0[0], $0[1]) },
                 try Row.fetchAll(db, sql: "SELECT id, last_seq FROM accounts JOIN profiles ON account = id").map { ($0[0], $0[1]) },
                 try Row.fetchAll(db, sql: "SELECT id, last_seq FROM accounts WHERE erased = 1").map { ($0[0], $0[1]) })
            }
        }
    }

    static func randomTampering(_ facts: Facts, dialect: Dialect, using random: inout SeededGenerator) throws -> Tampering {
        let seq = Int64.random(in: 1...facts.head, using: &random)
        let blob = dialect.blob((0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<50: // any column of any journal row
            let edits = [
                ("time_ms", "time_ms = time_ms + 1"), ("kind", "kind = CASE kind WHEN 'dropoff' THEN 'donation' ELSE 'dropoff' END"),
                ("debit", "debit = CASE WHEN debit IS NULL THEN 'R-1' ELSE NULL END"),
                ("credit", "credit = CASE WHEN credit = 'R-2' THEN 'R-1' ELSE 'R-2' END"),
                ("amount", "amount = amount + 1"), ("actor", "actor = 'mallory'"),
                ("ref", "ref = CASE WHEN ref IS NULL THEN 'forged' ELSE ref || 'x' END"),
                ("attrs", dialect.attrsEdit), ("prev_hash", "prev_hash = \(blob)"),
                ("hash", "hash = \(blob)"), ("seq", "seq = seq + 1000000"),
            ]
            let (column, edit) = edits.randomElement(using: &random)!
            return Tampering(kind: "journal.\(column)", sql: "UPDATE journal SET \(edit) WHERE seq = \(seq)", firstBadSeq: seq)
        case 50..<60:
            return Tampering(kind: "journal.delete", sql: "DELETE FROM journal WHERE seq = \(seq)", firstBadSeq: seq)
        case 60..<70:
            let other = seq == facts.head ? seq - 1 : seq + 1 + Int64.random(in: 0...min(5, facts.head - seq - 1), using: &random)
            let (low, high) = (min(seq, other), max(seq, other))
            return Tampering(kind: "journal.swap", sql: """
                CREATE TEMP TABLE pair AS SELECT * FROM journal WHERE seq IN (\(low), \(high));
                DELETE FROM journal WHERE seq IN (\(low), \(high));
                INSERT INTO journal SELECT CASE seq WHEN \(low) THEN \(high) ELSE \(low) END, time_ms, kind, debit, credit, amount,
                    actor, ref, attrs, prev_hash, hash FROM pair;
                """, firstBadSeq: low)
        case 70..<77:
            let account = facts.accounts.randomElement(using: &random)!
            let edits = ["balance = balance + 1", "balance = balance - 1", "name = coalesce(name, '') || '!'", "locked = 1 - locked",
                         "pin_failures = pin_failures + 1", "district = 'Elsewhere'", "last_seq = last_seq + 1", "erased = 1 - erased"]
            return Tampering(kind: "accounts", sql: "UPDATE accounts SET \(edits.randomElement(using: &random)!) WHERE id = '\(account.id)'",
                             firstBadSeq: account.lastSeq)
        case 77..<80:
            // Personal data outside the journal: a profile changed or removed, or an erased one put back.
            if Bool.random(using: &random), let account = facts.erased.randomElement(using: &random) {
                return Tampering(kind: "profiles.restore", sql: "INSERT INTO profiles VALUES ('\(account.id)', '\(Hex.encode(Array(0..<16)))', 'Back', NULL)",
                                 firstBadSeq: account.lastSeq)
            }
            let account = facts.profiles.randomElement(using: &random)!
            let edit = ["UPDATE profiles SET name = name || '!'", "UPDATE profiles SET district = 'Elsewhere'",
                        "UPDATE profiles SET salt = '\(Hex.encode(Array(0..<16)))'", "DELETE FROM profiles"].randomElement(using: &random)!
            return Tampering(kind: "profiles", sql: "\(edit) WHERE account = '\(account.id)'", firstBadSeq: account.lastSeq)
        case 80..<86:
            let material = facts.materials.randomElement(using: &random)!
            let edit = ["rate = rate + 1", "min_grams = coalesce(min_grams, 0) + 1", "name = name || '!'"].randomElement(using: &random)!
            return Tampering(kind: "materials", sql: "UPDATE materials SET \(edit) WHERE code = '\(material.code)'", firstBadSeq: material.lastSeq)
        case 86..<90:
            let token = facts.tokens.randomElement(using: &random)!
            let edit = ["role = CASE role WHEN 'admin' THEN 'auditor' ELSE 'admin' END", "revoked = 1 - revoked", "secret_hash = \(blob)"]
                .randomElement(using: &random)!
            return Tampering(kind: "tokens", sql: "UPDATE tokens SET \(edit) WHERE id = '\(token.id)'", firstBadSeq: token.lastSeq)
        case 90..<93:
            let point = facts.points.randomElement(using: &random)!
            return Tampering(kind: "points", sql: "UPDATE points SET active = 1 - active WHERE id = '\(point.id)'", firstBadSeq: point.lastSeq)
        default: // truncate the tail and make the rest consistent with it (restore an old head row)
            let keep = Int64.random(in: max(1, facts.head - 10)...(facts.head - 1), using: &random)
            return Tampering(kind: "truncate", sql: """
                DELETE FROM journal WHERE seq > \(keep);
                UPDATE chain_head SET seq = \(keep), hash = (SELECT hash FROM journal WHERE seq = \(keep)),
                    time_ms = (SELECT time_ms FROM journal WHERE seq = \(keep));
                """, firstBadSeq: keep + 1, expectedHead: ExpectedHead(seq: facts.head, hash: facts.headHash))
        }
    }

    /// The example ledger plus a few hundred seeded random operations of every kind, closed cleanly.
    static func realisticLedger(seed: UInt64) throws -> URL {
        // An hour passes with every entry, so points expire during the run.
        let clock = SteppingClock(start: 1_767_225_600_000, step: 3_600_000)
        let ledger = try TemporaryLedger(clock: clock.read)
        let store = ledger.store
        try store.seedCatalogue()
        var random = SeededGenerator(seed: seed ^ 0x5eed)
        var transfers: [Int64] = []
        let secret = try SHA256.digest(Array("campaign token secret".utf8))
        _ = try store.submit(Make.request(.issueToken(id: TokenID("tok-a"), role: .auditor, point: nil, merchant: nil, secretHash: secret)))
        _ = try store.submit(Make.request(.issueToken(id: TokenID("tok-o"), role: .operator, point: PointID("CP-1"), merchant: nil, secretHash: secret)))
        _ = try store.submit(Make.request(.revokeToken(id: TokenID("tok-o"))))
        // Caps on earnings, so the replay's counting of each resident's day is exercised too.
        _ = try store.submit(Make.request(.setScheme(offsetMinutes: 480, dailyCap: .some(Points(centipoints: 400_000)),
                                                     monthlyCap: .some(Points(centipoints: 2_000_000)), expiryMs: 7 * 86_400_000)))
        // Cans are held for two hours: some posted, some voided.
        _ = try store.submit(Make.request(.setMaterial(code: MaterialCode("ALU"), rate: Rate(perKilogram: Points(centipoints: 1250)),
                                                       name: nil, minGrams: nil, maxGrams: nil, holdMs: .some(12 * 3_600_000))))
        var held: [Int64] = []
        for step in 0..<400 {
            let resident = "R-\(1 + step % 2)"
            if step % 37 == 0, let receipt = try? store.submit(Make.dropoff(resident, kg: "2", material: "ALU", ref: "held-\(step)")) {
                held.append(receipt.entry.seq)
            }
            if step % 37 == 3, let seq = held.popLast() {
                _ = try store.submit(Make.request(step % 74 == 3 ? .postHold(dropoff: seq) : .voidHold(dropoff: seq, reason: "checked")))
            }
            let request: LedgerRequest = switch Int.random(in: 0..<10, using: &random) {
            case 0..<5: try Make.dropoff(resident, kg: "\(Int.random(in: 1...40, using: &random))", ref: "c-\(step)")
            case 5: try Make.redeem(resident, "\(Int.random(in: 1...30, using: &random))", ref: "c-\(step)")
            case 6: try Make.redeem(resident, "1", pin: "0000", ref: "c-\(step)")
            case 7: try Make.donate(resident, "2.5", ref: "c-\(step)")
            case 8: try Make.settle("M-1", "5", ref: "c-\(step)")
            default:
                transfers.isEmpty ? try Make.dropoff(resident, kg: "2", ref: "c-\(step)")
                    : try Make.reverse(transfers.randomElement(using: &random)!, ref: "c-\(step)")
            }
            if let receipt = try? store.submit(request), receipt.entry.kind.isReversible { transfers.append(receipt.entry.seq) }
            if step % 97 == 0 { _ = try? store.submit(Make.request(.unlock(account: AccountID(resident)))) }
            if step % 50 == 49 {
                // The expiry sweep, as the server runs it.
                let asOf = clock.current
                for resident in try store.residentsWithExpiredPoints(asOf: asOf) {
                    _ = try store.submit(Make.request(.expire(account: resident, asOf: asOf)))
                }
            }
            if step % 131 == 0 {
                // A resident who leaves: opened, credited, closed (the remainder forfeited).
                let leaver = try AccountID("R-LEAVER-\(step)")
                _ = try store.submit(Make.request(.openAccount(.init(id: leaver, kind: .resident, name: "Leaver", district: "Payatas"))))
                _ = try store.submit(Make.dropoff(leaver.rawValue, kg: "3", ref: "leave-\(step)"))
                _ = try store.submit(Make.request(.closeAccount(account: leaver, reason: "moved away")))
                // Every other leaver asks for their personal data to be erased.
                if step % 262 == 0 { _ = try store.submit(Make.request(.eraseAccount(account: leaver, reason: "resident's request"))) }
            }
        }
        // The campaign tampers with every kind of entry the ledger writes, the issue-12 ones included.
        let kinds = Set(try store.pool.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT kind FROM journal") })
        for kind in ["expiry", "account_closed", "account_erased", "scheme_set", "dropoff", "reversal", "hold_posted", "hold_voided"] where !kinds.contains(kind) {
            Issue.record("the realistic ledger has no \(kind) entry")
        }
        try store.close()
        let kept = FileManager.default.temporaryDirectory.appendingPathComponent("ecoledger-campaign-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: kept, withIntermediateDirectories: true)
        let path = kept.appendingPathComponent("realistic.sqlite")
        try FileManager.default.copyItem(atPath: ledger.path, toPath: path.path)
        return path
    }
}
