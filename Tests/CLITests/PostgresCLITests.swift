import Foundation
import LedgerTestSupport
import Testing

/// `ecoledger init`, `verify`, `copy`, `export`, `report` and `generate` with `--db postgres://…`,
/// against a real server.
@Suite("The command line on PostgreSQL", .enabled(if: PostgresCluster.isInstalled))
struct PostgresCLITests {
    @Test("a ledger copied from a file to PostgreSQL and back keeps its head, passes the audit each way, and the example is byte-identical")
    func copyBothWaysAndVerify() throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        try cluster.psql("CREATE DATABASE copied")
        try cluster.psql("CREATE DATABASE example")
        let scratch = try Scratch()
        let file = scratch.path("ledger.sqlite"), back = scratch.path("back.sqlite")
        let copied = cluster.url(database: "copied"), example = cluster.url(database: "example")
        #expect(try CLI.run(["init", "--db", file, "--example"]).status == 0)

        let there = try CLI.run(["copy", "--from", file, "--to", copied])
        #expect(there.status == 0, "\(there.stderr)")
        #expect(there.stdout.contains("head=\(CLITests.exampleHead); the copy passed the audit"), "\(there.stdout)")
        let verified = try CLI.run(["verify", "--db", copied])
        #expect(verified.stdout == "OK entries=14 head=\(CLITests.exampleHead)\n", "\(verified.stdout)\(verified.stderr)")

        let again = try CLI.run(["copy", "--from", file, "--to", copied])
        #expect(again.status != 0)
        #expect(again.stderr.contains("already exists"), "\(again.stderr)")

        let home = try CLI.run(["copy", "--from", copied, "--to", back])
        #expect(home.status == 0, "\(home.stderr)")
        #expect(try CLI.run(["verify", "--db", back]).stdout == "OK entries=14 head=\(CLITests.exampleHead)\n")

        // The specification's example, written by the PostgreSQL engine itself: the same head.
        let made = try CLI.run(["init", "--db", example, "--example"])
        #expect(made.stdout.contains("entries=14 head=\(CLITests.exampleHead)"), "\(made.stdout)\(made.stderr)")
    }

    @Test("export and report read a PostgreSQL ledger exactly as they read the file it was copied from; generate writes one that verifies")
    func exportReportGenerate() throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        try cluster.psql("CREATE DATABASE copied")
        try cluster.psql("CREATE DATABASE generated")
        let scratch = try Scratch()
        let file = scratch.path("ledger.sqlite"), copied = cluster.url(database: "copied")
        #expect(try CLI.run(["generate", "--db", file, "--entries", "400", "--accounts", "20"]).status == 0)
        #expect(try CLI.run(["copy", "--from", file, "--to", copied]).status == 0)
        for format in ["jsonl", "csv"] {
            let fromFile = try CLI.run(["export", "--db", file, "--format", format]), fromPostgres = try CLI.run(["export", "--db", copied, "--format", format])
            #expect(fromPostgres.status == 0, "\(fromPostgres.stderr)")
            #expect(fromPostgres.stdout.split(separator: "\n").count >= 400)
            #expect(fromPostgres.stdout == fromFile.stdout, "\(format) differs")
        }
        for arguments in [["--format", "csv", "--by", "material"], ["--format", "html", "--by", "point"]] {
            let fromFile = try CLI.run(["report", "--db", file] + arguments), fromPostgres = try CLI.run(["report", "--db", copied] + arguments)
            #expect(fromPostgres.status == 0, "\(fromPostgres.stderr)")
            #expect(!fromPostgres.stdout.isEmpty)
            #expect(fromPostgres.stdout == fromFile.stdout, "\(arguments) differs")
        }

        let generated = cluster.url(database: "generated")
        let made = try CLI.run(["generate", "--db", generated, "--entries", "300", "--accounts", "10"])
        #expect(made.status == 0, "\(made.stderr)")
        let head = try #require(made.stdout.split(separator: " ").first { $0.hasPrefix("head=") })
        #expect(made.stdout.hasPrefix("generated postgres://postgres@127.0.0.1:\(cluster.port)/generated"), "\(made.stdout)")
        let verified = try CLI.run(["verify", "--db", generated])
        #expect(verified.stdout == "OK entries=300 \(head)\n", "\(verified.stdout)\(verified.stderr)")
        let twice = try CLI.run(["generate", "--db", generated, "--entries", "300"])
        #expect(twice.status != 0)
        #expect(twice.stderr.contains("already exists"), "\(twice.stderr)")
    }

    @Test("a row changed behind the ledger's back in PostgreSQL fails verify, as it would in a file")
    func tamperingFailsVerify() throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        try cluster.psql("CREATE DATABASE ledger")
        let url = cluster.url(database: "ledger")
        #expect(try CLI.run(["init", "--db", url, "--example"]).status == 0)
        #expect(try CLI.run(["verify", "--db", url]).status == 0)
        try cluster.psql("UPDATE accounts SET balance = balance + 100 WHERE id = 'R-0001'", database: "ledger")
        let tampered = try CLI.run(["verify", "--db", url])
        #expect(tampered.status == 1)
        #expect(tampered.stdout.hasPrefix("CHAIN_BROKEN"), "\(tampered.stdout)\(tampered.stderr)")
        // The journal itself is guarded by the database: only by switching its triggers off first.
        try cluster.psql("""
            ALTER TABLE journal DISABLE TRIGGER USER; UPDATE journal SET amount = amount + 1 WHERE seq = 8;
            ALTER TABLE journal ENABLE TRIGGER USER; UPDATE accounts SET balance = balance - 100 WHERE id = 'R-0001'
            """, database: "ledger")
        let rewritten = try CLI.run(["verify", "--db", url])
        #expect(rewritten.status == 1)
        #expect(rewritten.stdout.contains("seq=8"), "\(rewritten.stdout)")
    }

    @Test("a password on the command line, a wrong password and a database holding other tables are refused in words")
    func refusals() throws {
        let cluster = try PostgresCluster()
        defer { cluster.stop() }
        let withPassword = try CLI.run(["verify", "--db", "postgres://postgres:\(cluster.password)@127.0.0.1:\(cluster.port)/postgres"])
        #expect(withPassword.status != 0)
        #expect(withPassword.stderr.contains("passfile"), "\(withPassword.stderr)")
        #expect(!withPassword.stderr.contains(cluster.password))
        try cluster.psql("CREATE DATABASE shop")
        try cluster.psql("CREATE TABLE orders (id int)", database: "shop")
        let occupied = try CLI.run(["init", "--db", cluster.url(database: "shop")])
        #expect(occupied.status != 0)
        #expect(occupied.stderr.contains("holds other tables (orders)"), "\(occupied.stderr)")
        let scratch = try Scratch()
        let wrong = scratch.path("wrong.password")
        try "not-it\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: wrong)
        let denied = try CLI.run(["init", "--db", cluster.url(database: "postgres", passfile: wrong)])
        #expect(denied.status != 0)
        #expect(denied.stderr.contains("password authentication failed"), "\(denied.stderr)")
    }
}
