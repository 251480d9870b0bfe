import LedgerPostgres
import Testing

@Suite("PostgreSQL URLs")
struct PostgresURLTests {
    @Test("several hosts, ports, the database and parameters are read; loopback defaults to no TLS")
    func parsesHostsAndParameters() throws {
        let url = try PostgresURL("postgres://ledger@127.0.0.1:5433,localhost/qc?connect_timeout=2&application_name=kiosk-gw")
        #expect(url.user == "ledger")
        #expect(url.endpoints.map(\.description) == ["127.0.0.1:5433", "localhost:5432"])
        #expect(url.database == "qc")
        #expect(url.tls == .disable)
        #expect(url.connectTimeoutSeconds == 2)
        #expect(url.applicationName == "kiosk-gw")
        #expect(url.description == "postgres://ledger@127.0.0.1:5433,localhost:5432/qc")
    }

    @Test("a remote host defaults to verify-full, which needs the CA file")
    func remoteNeedsVerifiedTLS() throws {
        #expect(throws: PostgresURL.Invalid.self) { try PostgresURL("postgres://ledger@db.city.example/qc") }
        let url = try PostgresURL("postgres://ledger@db.city.example/qc?sslrootcert=/etc/ecoledger/ca.pem")
        #expect(url.tls == .verifyFull)
        #expect(url.rootCertificate == "/etc/ecoledger/ca.pem")
    }

    @Test("a password in the URL is refused, and the message does not repeat it")
    func refusesPasswordInURL() {
        do {
            _ = try PostgresURL("postgres://ledger:hunter2@127.0.0.1/qc")
            Issue.record("a password in the URL was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains("passfile"))
            #expect(!message.contains("hunter2"))
        }
    }

    @Test("malformed URLs get a clear error", arguments: [
        "postgres://127.0.0.1/qc", "postgres://ledger@127.0.0.1", "postgres://ledger@127.0.0.1:99999/qc",
        "postgres://ledger@127.0.0.1/qc?sslmode=maybe", "postgres://ledger@127.0.0.1/qc?colour=green",
        "postgres://ledger@127.0.0.1/qc?target_session_attrs=any", "postgres://ledger@:5432/qc", "postgres://ledger@127.0.0.1/qc\nx",
    ])
    func refusesMalformed(_ text: String) {
        #expect(throws: PostgresURL.Invalid.self) { try PostgresURL(text) }
    }

    @Test("the password comes from an owner-only file or PGPASSWORD, never elsewhere")
    func passwordSources() throws {
        #expect(try PostgresURL("postgres://u@127.0.0.1/d").password(environment: ["PGPASSWORD": "from-env"]) == "from-env")
        #expect(try PostgresURL("postgres://u@127.0.0.1/d").password(environment: [:]) == nil)
        #expect(throws: PostgresURL.Invalid.self) {
            try PostgresURL("postgres://u@127.0.0.1/d?passfile=/nonexistent/pw").password(environment: [:])
        }
    }
}
