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

    @Test("TLS to PostgreSQL: verify-full checks the CA and the host name, verify-ca the CA only, and a server that demands TLS refuses sslmode=disable")
    func tlsToPostgres() throws {
        let certificates = try PostgresCluster.run("/bin/mktemp", ["-d", "/tmp/ecoledger-pgtls.XXXXXX"]).trimmingCharacters(in: .whitespacesAndNewlines)
        defer { try? FileManager.default.removeItem(atPath: certificates) }
        func path(_ name: String) -> String { certificates + "/" + name }
        func openssl(_ arguments: [String]) throws { try PostgresCluster.run("/usr/bin/openssl", arguments) }
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for ca in ["ca", "other-ca"] {
            try openssl(["req", "-x509"] + curve + ["-keyout", path("\(ca).key"), "-out", path("\(ca).crt"), "-days", "2", "-subj", "/CN=\(ca)"])
        }
        // The server's certificate names localhost only, not 127.0.0.1.
        try openssl(["req"] + curve + ["-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost"])
        try "subjectAltName=DNS:localhost\n".write(toFile: path("ext.cnf"), atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"), "-CAcreateserial",
                     "-out", path("server.crt"), "-days", "2", "-extfile", path("ext.cnf")])
        try PostgresCluster.run("/bin/chown", ["-R", "postgres", certificates])
        try PostgresCluster.run("/bin/chmod", ["600", path("server.key")])

        let cluster = try PostgresCluster(settings: ["ssl=on", "ssl_cert_file=\(path("server.crt"))", "ssl_key_file=\(path("server.key"))"])
        defer { cluster.stop() }
        // Connections over TCP without TLS are refused by the server itself.
        let hba = cluster.directory + "/data/pg_hba.conf"
        try ("hostnossl all all 0.0.0.0/0 reject\n" + String(contentsOfFile: hba, encoding: .utf8)).write(toFile: hba, atomically: false, encoding: .utf8)
        try cluster.psql("SELECT pg_reload_conf()")
        try cluster.psql("CREATE DATABASE ledger")
        func url(host: String, _ parameters: String) -> String {
            "postgres://postgres@\(host):\(cluster.port)/ledger?passfile=\(cluster.passwordFile)&\(parameters)"
        }

        let full = try CLI.run(["init", "--db", url(host: "localhost", "sslmode=verify-full&sslrootcert=\(path("ca.crt"))")])
        #expect(full.status == 0, "\(full.stdout)\(full.stderr)")
        let verified = try CLI.run(["verify", "--db", url(host: "localhost", "sslmode=verify-full&sslrootcert=\(path("ca.crt"))")])
        #expect(verified.stdout.hasPrefix("OK entries=0 "), "\(verified.stdout)\(verified.stderr)")

        let wrongName = try CLI.run(["verify", "--db", url(host: "127.0.0.1", "sslmode=verify-full&sslrootcert=\(path("ca.crt"))")])
        #expect(wrongName.status != 0)
        #expect(wrongName.stderr.contains("PostgreSQL at 127.0.0.1:\(cluster.port): its TLS certificate does not name 127.0.0.1"), "\(wrongName.stderr)")
        let caOnly = try CLI.run(["verify", "--db", url(host: "127.0.0.1", "sslmode=verify-ca&sslrootcert=\(path("ca.crt"))")])
        #expect(caOnly.stdout.hasPrefix("OK entries=0 "), "\(caOnly.stdout)\(caOnly.stderr)")
        let otherCA = try CLI.run(["verify", "--db", url(host: "localhost", "sslmode=verify-ca&sslrootcert=\(path("other-ca.crt"))")])
        #expect(otherCA.status != 0)
        #expect(otherCA.stderr.contains("its TLS certificate is not signed by the CA in sslrootcert=\(path("other-ca.crt"))"), "\(otherCA.stderr)")
        let plain = try CLI.run(["verify", "--db", url(host: "127.0.0.1", "sslmode=disable")])
        #expect(plain.status != 0)
        #expect(plain.stderr.contains("no encryption"), "\(plain.stderr)")
    }
}
