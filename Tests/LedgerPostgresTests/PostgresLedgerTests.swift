import Foundation
import LedgerCore
import LedgerFixtures
@testable import LedgerPersistence
@testable import LedgerPostgres
import LedgerStore
import LedgerTestSupport
import Synchronization
import Testing

/// The PostgreSQL engine against a real server (`PostgresCluster`), and against SQLite.
@Suite("PostgreSQL ledger", .serialized, .enabled(if: PostgresCluster.isInstalled))
struct PostgresLedgerTests {
    /// A fresh database on a fresh cluster, for `body`; everything is stopped afterwards.
    static func withDatabase(_ body: (PostgresCluster, PostgresURL) throws -> Void) throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        try cluster.psql("CREATE DATABASE ledger")
        try body(cluster, try PostgresURL(cluster.url(database: "ledger")))
    }

    /// Records each batch a generator submits, with the time the store's clock said. A resident
    /// opened without a profile salt gets one fixed by its id (the rules would draw a random
    /// one), so that replaying the batches elsewhere makes the same entries.
    final class Recorder: LedgerWriting, @unchecked Sendable {
        let store: LedgerStore
        let clock: @Sendable () -> Int64
        var batches: [(timeMs: Int64, requests: [LedgerRequest])] = []

        init(store: LedgerStore, clock: @escaping @Sendable () -> Int64) {
            self.store = store
            self.clock = clock
        }

        func read<T>(_ body: (any LedgerReads) throws -> T) throws -> T { try store.read(body) }

        func submitBatch(_ requests: [LedgerRequest]) throws -> [Result<WriteReceipt, any Error>] {
            let requests = requests.map { request in
                guard case .openAccount(var open) = request.command, open.kind == .resident, open.profileSalt == nil else { return request }
                open.profileSalt = Array((Array(open.id.rawValue.utf8.reversed()) + Array(repeating: 7, count: 16)).prefix(16))
                return LedgerRequest(actor: request.actor, command: .openAccount(open))
            }
            batches.append((clock(), requests))
            return try store.submitBatch(requests)
        }
    }

    @Test("the same requests make byte-identical entries, tree and reads on PostgreSQL and on SQLite")
    func sameLedgerOnBothEngines() throws {
        let scratch = try Scratch()
        let recorder = try LedgerGenerator.fill(entries: 1_500, accounts: 40, now: 1_780_000_000_000, roundEvery: 150, sweepEvery: 300) { clock in
            Recorder(store: try LedgerStore.create(at: scratch.path("ledger.sqlite"), clock: clock), clock: clock)
        }
        try Self.withDatabase { _, url in
            let time = Mutex<Int64>(0)
            let postgres = try PostgresLedger.create(url: url, password: try url.password(), clock: { time.withLock { $0 } })
            defer { postgres.close() }
            #expect(try postgres.acquireLease() == .acquired(epoch: 1))
            for batch in recorder.batches {
                time.withLock { $0 = batch.timeMs }
                for result in try postgres.submitBatch(batch.requests) { _ = try result.get() }
            }
            let sqlite = recorder.store
            let head = try sqlite.head()
            #expect(head.seq == 1_500)
            try postgres.read { pg in
                try sqlite.read { file in
                    #expect(try pg.head() == file.head())
                    // The first entry that differs, if any, named with both texts.
                    let differing = try (1...head.seq).first { seq in
                        try pg.entry(seq: seq)?.canonicalBytes != file.entry(seq: seq)?.canonicalBytes
                    }
                    if let seq = differing {
                        let text = { (entry: Entry?) in entry.map { String(decoding: $0.canonicalBytes, as: UTF8.self) } ?? "none" }
                        Issue.record("entry \(seq) differs:\nPostgreSQL: \(text(try pg.entry(seq: seq)))\nSQLite:     \(text(try file.entry(seq: seq)))")
                    }
                    #expect(try pg.treeHead() == file.treeHead())
                    #expect(try pg.consistencyProof(old: 700, new: head.seq) == file.consistencyProof(old: 700, new: head.seq))
                    #expect(try pg.tokens() == file.tokens())
                    #expect(try pg.points() == file.points())
                    #expect(try pg.materials() == file.materials())
                    #expect(try pg.scheme() == file.scheme())
                    #expect(try pg.report(fromMs: nil, toMs: nil) == file.report(fromMs: nil, toMs: nil))
                    #expect(try pg.alerts(since: 0, limit: 50).map(\.seq) == file.alerts(since: 0, limit: 50).map(\.seq))
                    #expect(try pg.holdsDue(asOf: .max) == file.holdsDue(asOf: .max))
                    let asOf = head.timeMs + 6 * 365 * 86_400_000
                    #expect(try pg.residentsWithExpiredPoints(asOf: asOf) == file.residentsWithExpiredPoints(asOf: asOf))
                    for index in [0, 1, 7, 39] {
                        let id = try AccountID("R-GEN-\(index)")
                        #expect(try pg.account(id) == file.account(id))
                        #expect(try pg.profile(id) == file.profile(id))
                        #expect(try pg.history(of: id, limit: 20, before: .max).map(\.seq) == file.history(of: id, limit: 20, before: .max).map(\.seq))
                    }
                    // BALANCE's next lot, whole, for every resident: PostgreSQL reads the credits a
                    // page at a time (16, then 64…), SQLite steps them.
                    var lots = 0
                    for index in 0..<40 {
                        let id = try AccountID("R-GEN-\(index)")
                        let (onPostgres, onFile) = (try pg.nextExpiring(id), try file.nextExpiring(id))
                        #expect(onPostgres?.points == onFile?.points && onPostgres?.expiresMs == onFile?.expiresMs, "\(id)")
                        if onFile != nil { lots += 1 }
                    }
                    #expect(lots > 10)
                }
            }
        }
    }

    @Test("the journal, tree and checkpoints refuse UPDATE, DELETE and TRUNCATE, even from the superuser")
    func appendOnlyInTheDatabase() throws {
        try Self.withDatabase { cluster, url in
            let ledger = try PostgresLedger.create(url: url, password: try url.password(), clock: ExampleLedger.clock())
            defer { ledger.close() }
            _ = try ledger.acquireLease()
            for request in try ExampleLedger.requests().prefix(8) { _ = try ledger.submitOne(request) }
            for statement in ["UPDATE journal SET amount = amount + 1 WHERE seq = 8", "DELETE FROM journal WHERE seq = 8",
                              "TRUNCATE journal CASCADE", "UPDATE tree_hashes SET hash = hash WHERE position = 0", "DELETE FROM tree_hashes"] {
                do {
                    try cluster.psql(statement, database: "ledger")
                    Issue.record("\(statement) was allowed")
                } catch {
                    #expect("\(error)".contains("append-only"), "\(statement): \(error)")
                }
            }
            #expect(try ledger.read { try $0.head().seq } == 8)
        }
    }

    @Test("create refuses a database holding other tables or a ledger; open refuses a non-ledger and a newer schema")
    func refusesWhatIsNotItsOwn() throws {
        try Self.withDatabase { cluster, url in
            try cluster.psql("CREATE TABLE invoices (id int)", database: "ledger")
            #expect(throws: StoreError.self) { try PostgresLedger.create(url: url, password: try url.password()) }
            #expect(throws: StoreError.self) { try PostgresLedger.open(url: url, password: try url.password()) }
            try cluster.psql("DROP TABLE invoices", database: "ledger")
            try PostgresLedger.create(url: url, password: try url.password()).close()
            #expect(throws: StoreError.alreadyExists(path: url.description)) { try PostgresLedger.create(url: url, password: try url.password()) }
            try cluster.psql("INSERT INTO schema_migrations (name) VALUES ('999_future')", database: "ledger")
            do {
                _ = try PostgresLedger.open(url: url, password: try url.password())
                Issue.record("a newer schema was opened")
            } catch {
                #expect("\(error)".contains("newer ecoledger"))
            }
        }
    }

    @Test("a wrong password and an unreachable host are clear errors, and nothing is written")
    func connectionFailures() throws {
        try Self.withDatabase { cluster, url in
            let wrong = try PostgresURL(cluster.url(database: "ledger").replacingOccurrences(of: "?passfile=\(cluster.passwordFile)", with: ""))
            do {
                _ = try PostgresLedger.create(url: wrong, password: "not-the-password")
                Issue.record("a wrong password connected")
            } catch {
                #expect("\(error)".contains("password authentication failed"), "\(error)")
            }
            let nobody = try PostgresURL("postgres://postgres@127.0.0.1:\(try PostgresCluster.freePort())/ledger?connect_timeout=2")
            #expect(throws: StoreError.self) { try PostgresLedger.create(url: nobody, password: nil) }
            #expect(try cluster.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: "ledger")
                .trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        }
    }

    @Test("a writer whose lease another took over fails its next batch: no fork, and its client gets a clear error")
    func pausedWriterIsFenced() throws {
        try Self.withDatabase { cluster, url in
            let requests = try ExampleLedger.requests()
            let old = try PostgresLedger.create(url: url, password: try url.password(), holder: "old", clock: ExampleLedger.clock())
            defer { old.close() }
            let new = try PostgresLedger.open(url: url, password: try url.password(), holder: "new", clock: ExampleLedger.clock())
            defer { new.close() }
            #expect(try old.acquireLease() == .acquired(epoch: 1))
            #expect(try new.acquireLease() == .heldBy("old"))
            for request in requests.prefix(4) { _ = try old.submitOne(request) }
            // The old writer stops renewing (SIGSTOP): its lease runs out.
            try cluster.psql("UPDATE writer_lease SET expires_at = '-infinity'", database: "ledger")
            #expect(try new.acquireLease() == .acquired(epoch: 2))
            for request in requests[4..<8] { _ = try new.submitOne(request) }
            // The old writer wakes and tries its next request.
            // Its batch fails whole (thrown, as any batch whose transaction fails); the writer
            // answers each of its clients with that error.
            do {
                _ = try old.submitBatch([requests[8], requests[9]])
                Issue.record("the fenced writer's batch did not fail")
            } catch {
                #expect("\(error)".contains("took over"), "\(error)")
            }
            #expect(try new.read { try $0.head().seq } == 8)
            #expect(try old.acquireLease() == .heldBy("new"))
            _ = try new.submitOne(requests[8])
            #expect(try new.read { try $0.head().seq } == 9)
        }
    }

    @Test("a generated ledger copied to PostgreSQL and back is row for row the same, and PostgreSQL's audit passes it")
    func copyRoundTripAndAudit() throws {
        let scratch = try Scratch()
        let file = try LedgerGenerator.create(at: scratch.path("ledger.sqlite"), entries: 1_200, accounts: 30)
        defer { try? file.close() }
        try Self.withDatabase { cluster, url in
            let postgres = try PostgresLedger.create(url: url, password: try url.password())
            defer { postgres.close() }
            try file.withRowSource { source in try postgres.withRowSink { sink in try LedgerCopy.copy(from: source, to: sink) } }
            let audited = try postgres.verify()
            #expect(try audited.get().head == file.head())
            let back = try LedgerStore.create(at: scratch.path("back.sqlite"))
            defer { try? back.close() }
            try postgres.withRowSource { source in try back.withRowSink { sink in try LedgerCopy.copy(from: source, to: sink) } }
            for table in LedgerTables.all {
                var original: [[StoredValue]] = [], returned: [[StoredValue]] = []
                try file.withRowSource { try $0.forEachRow(of: table) { original.append($0) } }
                try back.withRowSource { try $0.forEachRow(of: table) { returned.append($0) } }
                #expect("\(original)" == "\(returned)", "table \(table.name)")
                #expect(!original.isEmpty || ["profiles", "reversals", "checkpoints", "cosignatures"].contains(table.name), "table \(table.name) is empty")
            }
            // A second copy into the same database is refused, and leaves it as it was.
            #expect(throws: StoreError.self) {
                try file.withRowSource { source in try postgres.withRowSink { sink in try LedgerCopy.copy(from: source, to: sink) } }
            }
            try cluster.psql("UPDATE accounts SET pending = pending + 1 WHERE id = 'R-GEN-2'", database: "ledger")
            guard case .failure(let failure) = try postgres.verify() else { Issue.record("a tampered projection passed the audit"); return }
            #expect(failure.reason.contains("R-GEN-2"), "\(failure)")
            // Refs are compared as the server groups them: none repeated, nothing to report; two
            // entries given a third's ref (the unique constraint dropped, the triggers off), the
            // later of them is named.
            let refs = try cluster.psql("SELECT seq FROM journal WHERE ref IS NOT NULL ORDER BY seq LIMIT 3", database: "ledger")
                .split(whereSeparator: \.isWhitespace).compactMap { Int64($0) }
            try #require(refs.count == 3)
            let connection = try postgres.connectWritable()
            defer { connection.close() }
            func repeated() throws -> AuditFailure? {
                try connection.transaction {
                    let source = PGAuditSource(connection: connection)
                    do {
                        try LedgerAuditor<PGAuditSource>.checkRefsAreUnique(try source.cursor(source.refsToCompare))
                        return nil
                    } catch let failure as AuditFailure {
                        return failure
                    }
                }
            }
            #expect(try repeated() == nil)
            try cluster.psql("""
                ALTER TABLE journal DROP CONSTRAINT journal_ref_key;
                SET session_replication_role = replica;
                UPDATE journal SET ref = (SELECT ref FROM journal WHERE seq = \(refs[0])) WHERE seq IN (\(refs[1]), \(refs[2]));
                """, database: "ledger")
            let found = try repeated()
            #expect(found?.seq == refs[2] && found?.reason.contains("is used by more than one entry") == true, "\(String(describing: found))")
            // A ref column retyped by the owner is a damaged row at the first ref, not an error of
            // the audit's own statements (the refs are ordered as text whatever the column's type).
            try cluster.psql("ALTER TABLE journal ALTER COLUMN ref TYPE bytea USING convert_to(ref, 'UTF8')", database: "ledger")
            guard case .failure(let retyped) = try postgres.verify() else { Issue.record("a retyped ref column passed the audit"); return }
            #expect(retyped.reason.contains("ref is not text"), "\(retyped)")
        }
    }

    @Test("the server's role, granted as schema/postgres/grants.sql says, writes the ledger but cannot change the journal")
    func serverRoleGrants() throws {
        try Self.withDatabase { cluster, url in
            try PostgresLedger.create(url: url, password: try url.password()).close()
            let grants = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("schema/postgres/grants.sql"), encoding: .utf8)
            try cluster.psql("CREATE ROLE ecoledger_server LOGIN PASSWORD 'server-secret'")
            try cluster.psql(grants, database: "ledger")
            let server = try PostgresURL("postgres://ecoledger_server@127.0.0.1:\(cluster.port)/ledger")
            let ledger = try PostgresLedger.open(url: server, password: "server-secret", clock: ExampleLedger.clock())
            defer { ledger.close() }
            #expect(try ledger.acquireLease() == .acquired(epoch: 1))
            try ExampleLedger.populate(ledger)
            try ledger.setMetaOnce("origin", "example.org/ledger")
            let (size, root) = try ledger.read { try $0.treeHead() }
            try ledger.recordCheckpoint(size: size, root: root, note: "a note\n", timeMs: 1)
            try ledger.recordCosignature(size: size, witness: "w1", line: "line\n")
            try ledger.recordCosignature(size: size, witness: "w1", line: "newer line\n")
            #expect(try ledger.read { try $0.checkpoint(size: size)?.cosignatures } == ["newer line\n"])
            let psql = { (sql: String) throws -> String in
                try PostgresCluster.run("/usr/bin/psql", ["postgresql://ecoledger_server:server-secret@127.0.0.1:\(cluster.port)/ledger",
                                                           "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql])
            }
            for statement in ["UPDATE journal SET amount = 1 WHERE seq = 8", "DELETE FROM journal WHERE seq = 14",
                              "ALTER TABLE journal DISABLE TRIGGER USER", "DELETE FROM checkpoints", "DELETE FROM accounts WHERE id = 'M-MERALCO'"] {
                do {
                    _ = try psql(statement)
                    Issue.record("the server's role may run: \(statement)")
                } catch {
                    #expect("\(error)".contains("permission denied") || "\(error)".contains("must be owner"), "\(statement): \(error)")
                }
            }
            #expect(try ledger.read { try $0.head().seq } == 14)
        }
    }
}

