import Foundation
import LedgerPersistence
import LedgerHost
import LedgerStore
import LedgerTestSupport
import Testing

/// `ecoledgerd --tls-cert/--tls-key` with our client and with OpenSSL's own `s_client`, on a
/// certificate made here by the `openssl` command.
@Suite("TLS", .serialized, .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
struct TLSTests {
    static let openssl = URL(fileURLWithPath: "/usr/bin/openssl")

    /// A self-signed P-256 certificate for localhost and 127.0.0.1, and its key (0600).
    static func certificate(in scratch: Scratch) throws -> (cert: String, key: String) {
        let cert = scratch.path("server.pem"), key = scratch.path("server.key")
        let made = try CLI.run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                                "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                               executable: openssl)
        #expect(made.status == 0, "\(made.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
        return (cert, key)
    }

    /// `openssl s_client` sending PING (with extra options); what it printed.
    static func sClient(port: Int, _ options: [String]) throws -> String {
        let process = Process()
        process.executableURL = openssl
        process.arguments = ["s_client", "-connect", "127.0.0.1:\(port)", "-quiet", "-verify_return_error"] + options
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data("PING\nQUIT\n".utf8))
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text
    }

    @Test("with TLS, our client (checking the certificate) and openssl s_client talk to the server; plain TCP, an unknown CA and TLS 1.1 do not")
    func tls() throws {
        let scratch = try Scratch()
        let (cert, key) = try Self.certificate(in: scratch)
        let db = scratch.path("t.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo", "--tls-cert", cert, "--tls-key", key])
        defer { daemon.terminate() }
        let port = String(daemon.port)
        let ping = try CLI.run(["call", "--port", port, "--ca", cert, "PING"])
        #expect(ping.status == 0 && ping.stdout == "OK pong\n", "\(ping.stdout)\(ping.stderr)")
        let authed = try CLI.run(["call", "--port", port, "--tls", "--ca", cert, "--token-file", db + ".demo-tokens", "--role", "auditor", "HEAD"])
        #expect(authed.status == 0 && authed.stdout.hasPrefix("OK seq="), "\(authed.stdout)\(authed.stderr)")
        let byName = try CLI.run(["call", "--host", "localhost", "--port", port, "--ca", cert, "PING"])
        #expect(byName.status == 0, "the certificate names localhost too: \(byName.stderr)")

        let plain = try CLI.run(["call", "--port", port, "PING"])
        #expect(plain.status != 0, "a plain-TCP client gets nothing: \(plain.stdout)")
        let untrusted = try CLI.run(["call", "--port", port, "--tls", "PING"])
        #expect(untrusted.status == 1 && untrusted.stderr.contains("cannot talk to"), "\(untrusted.stderr)")

        #expect(try Self.sClient(port: daemon.port, ["-CAfile", cert]).contains("OK pong"))
        #expect(try Self.sClient(port: daemon.port, ["-CAfile", cert, "-tls1_2"]).contains("OK pong"))
        let old = try Self.sClient(port: daemon.port, ["-CAfile", cert, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"])
        #expect(!old.contains("OK pong") && old.contains("alert protocol version"), "TLS 1.1 is refused by the server, for its version: \(old)")
    }

    @Test("a TLS key others may read, or a certificate without its key, stops the start with one clear line")
    func refusals() throws {
        let scratch = try Scratch()
        let (cert, key) = try Self.certificate(in: scratch)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        let exposed = try CLI.run(["--db", scratch.path("a.sqlite"), "--port", "0", "--tls-cert", cert, "--tls-key", key],
                                  executable: DaemonProcess.binary)
        #expect(exposed.status != 0 && exposed.stderr.contains("chmod 600"), "\(exposed.stderr)")
        let alone = try CLI.run(["--db", scratch.path("b.sqlite"), "--port", "0", "--tls-cert", cert], executable: DaemonProcess.binary)
        #expect(alone.status != 0 && alone.stderr.contains("--tls-cert and --tls-key go together"), "\(alone.stderr)")
    }

    /// What no message for a person may hold: NIO's types, raw errno tuples, BoringSSL's internals.
    static func expectReadable(_ text: String, _ comment: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
        for raw in ["NIO", "errno", "SingleConnectionFailure", "BoringSSL", "OPENSSL_internal", "Error(", "ioOnClosedChannel", "descriptor"] {
            #expect(!text.contains(raw), "\(comment): \(raw) in \(text.debugDescription)", sourceLocation: sourceLocation)
        }
    }

    @Test("every client failure says what happened in words, with a token file or without, and never names a NIO type or an errno")
    func clientErrorsInWords() throws {
        let scratch = try Scratch()
        let (cert, key) = try Self.certificate(in: scratch)
        let db = scratch.path("t.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo", "--tls-cert", cert, "--tls-key", key])
        defer { daemon.terminate() }
        let port = String(daemon.port), tokens = db + ".demo-tokens"
        let otherScratch = try Scratch()
        let (otherCert, _) = try Self.certificate(in: otherScratch)
        for withToken in [false, true] {
            let token = withToken ? ["--token-file", tokens] : []
            let untrusted = try CLI.run(["call", "--port", port, "--tls"] + token + ["PING"])
            #expect(untrusted.status == 1 && untrusted.stderr.contains("its certificate is not trusted"), "token \(withToken): \(untrusted.stderr)")
            Self.expectReadable(untrusted.stderr, "untrusted")
            let wrongCA = try CLI.run(["call", "--port", port, "--ca", otherCert] + token + ["PING"])
            #expect(wrongCA.status == 1 && wrongCA.stderr.contains("its certificate is not trusted"), "token \(withToken): \(wrongCA.stderr)")
            Self.expectReadable(wrongCA.stderr, "wrong --ca")
            // The certificate names localhost and 127.0.0.1, not 127.0.0.2 (which reaches the same loopback).
            let misnamed = try CLI.run(["call", "--host", "127.0.0.2", "--port", port, "--ca", cert] + token + ["PING"])
            #expect(misnamed.status == 1 && (misnamed.stderr.contains("not for 127.0.0.2") || misnamed.stderr.contains("connection refused")),
                    "token \(withToken): \(misnamed.stderr)")
            Self.expectReadable(misnamed.stderr, "misnamed")
            let plain = try CLI.run(["call", "--port", port] + token + ["PING"])
            #expect(plain.status == 1, "\(plain.stdout)")
            Self.expectReadable(plain.stderr, "plain TCP to TLS")
            let refused = try CLI.run(["call", "--port", "1"] + token + ["PING"])
            #expect(refused.stderr == "ecoledger: error: cannot connect to 127.0.0.1:1: connection refused (is ecoledgerd running there, on that --port?)\n",
                    "\(refused.stderr)")
            let unresolved = try CLI.run(["call", "--host", "no-such-host.invalid", "--port", "7707"] + token + ["PING"])
            #expect(unresolved.stderr.contains("the host name \"no-such-host.invalid\" does not resolve"), "\(unresolved.stderr)")
            Self.expectReadable(unresolved.stderr, "unresolved")
        }
        // TLS spoken to a plain-TCP server.
        let plainServer = try DaemonProcess(arguments: ["--db", scratch.path("p.sqlite"), "--port", "0"])
        defer { plainServer.terminate() }
        let tlsToPlain = try CLI.run(["call", "--port", String(plainServer.port), "--ca", cert, "PING"])
        #expect(tlsToPlain.status == 1 && tlsToPlain.stderr.contains("over TLS"), "\(tlsToPlain.stderr)")
        Self.expectReadable(tlsToPlain.stderr, "TLS to plain TCP")
        let missingCA = try CLI.run(["call", "--port", port, "--ca", scratch.path("nope.pem"), "PING"])
        #expect(missingCA.stderr.contains("cannot read --ca \(scratch.path("nope.pem")): No such file or directory"), "\(missingCA.stderr)")
        let notPEM = try CLI.run(["call", "--port", port, "--ca", key, "PING"])
        #expect(notPEM.status == 1 && notPEM.stderr.contains("--ca \(key) holds no PEM certificate"), "\(notPEM.stderr)")
        Self.expectReadable(notPEM.stderr, "--ca not PEM")
    }

    @Test("a connection over --max-connections that never begins its TLS handshake is still closed, within the idle timeout")
    func refusedWithoutHandshake() throws {
        let scratch = try Scratch()
        let (cert, key) = try Self.certificate(in: scratch)
        let db = scratch.path("r.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo", "--tls-cert", cert, "--tls-key", key,
                                                   "--max-connections", "1", "--idle-timeout", "3"])
        defer { daemon.terminate() }
        // Two clients that never say hello, for one slot: whichever the server counts first is
        // served (and closed when idle); the other is refused, and the refusal waits for a
        // handshake that never comes (before the fix, for ever).
        let first = try RawClient(port: daemon.port, receiveTimeout: 60)
        let second = try RawClient(port: daemon.port, receiveTimeout: 60)
        #expect(first.waitForClose(), "both connections must be closed, not left open")
        #expect(second.waitForClose(), "both connections must be closed, not left open")
    }

    @Test("a client that dialled a name wants a certificate for that name: an IP address entry matching the connection is not enough, and the token is not sent")
    func nameNotAddress() throws {
        let scratch = try Scratch()
        let cert = scratch.path("ip.pem"), key = scratch.path("ip.key")
        let made = try CLI.run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                                "-days", "2", "-subj", "/CN=attacker.example", "-addext", "subjectAltName=IP:127.0.0.1"], executable: Self.openssl)
        #expect(made.status == 0, "\(made.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
        let db = scratch.path("n.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo", "--tls-cert", cert, "--tls-key", key])
        defer { daemon.terminate() }
        let port = String(daemon.port)
        let byAddress = try CLI.run(["call", "--port", port, "--ca", cert, "--token-file", db + ".demo-tokens", "--role", "auditor", "HEAD"])
        #expect(byAddress.status == 0, "dialled by its address, the certificate names it: \(byAddress.stderr)")
        let before = try CLI.run(["call", "--port", port, "--ca", cert, "--token-file", db + ".demo-tokens", "--role", "auditor", "STATS"]).stdout
        let byName = try CLI.run(["call", "--host", "localhost", "--port", port, "--ca", cert, "--token-file", db + ".demo-tokens", "--role", "auditor", "HEAD"])
        #expect(byName.status == 1 && byName.stderr.contains("its certificate is not for localhost"), "\(byName.stdout)\(byName.stderr)")
        let after = try CLI.run(["call", "--port", port, "--ca", cert, "--token-file", db + ".demo-tokens", "--role", "auditor", "STATS"]).stdout
        let commands = { (reply: String) in Int(reply.split(separator: " ").first { $0.hasPrefix("commands=") }?.dropFirst(9) ?? "") ?? -1 }
        #expect(commands(after) - commands(before) == 3, "only the second STATS (with its PING and AUTH) reached the server: \(before) → \(after)")
    }

    @Test("a server certificate with an Ed25519 key works with our client as with openssl s_client")
    func ed25519Certificate() throws {
        let scratch = try Scratch()
        let cert = scratch.path("ed.pem"), key = scratch.path("ed.key")
        let made = try CLI.run(["req", "-x509", "-newkey", "ed25519", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], executable: Self.openssl)
        #expect(made.status == 0, "\(made.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
        let db = scratch.path("e.sqlite")
        let daemon = try DaemonProcess(arguments: ["--db", db, "--port", "0", "--demo", "--tls-cert", cert, "--tls-key", key])
        defer { daemon.terminate() }
        #expect(try Self.sClient(port: daemon.port, ["-CAfile", cert]).contains("OK pong"))
        let ping = try CLI.run(["call", "--port", String(daemon.port), "--ca", cert, "--token-file", db + ".demo-tokens", "--role", "auditor", "HEAD"])
        #expect(ping.status == 0 && ping.stdout.hasPrefix("OK seq="), "\(ping.stdout)\(ping.stderr)")
    }

    @Test("TLS files that fail to load say which file and why: missing, not PEM, or a key of another certificate")
    func tlsFilesExplained() throws {
        let scratch = try Scratch()
        let (cert, key) = try Self.certificate(in: scratch)
        let other = try Scratch()
        let (_, otherKey) = try Self.certificate(in: other)
        func start(_ cert: String, _ key: String) throws -> String {
            let run = try CLI.run(["--db", scratch.path("x.sqlite"), "--port", "0", "--tls-cert", cert, "--tls-key", key], executable: DaemonProcess.binary)
            #expect(run.status != 0)
            Self.expectReadable(run.stderr, "start")
            return run.stderr
        }
        #expect(try start(cert, otherKey).contains("--tls-key \(otherKey) is not the private key of the certificate in --tls-cert \(cert)"))
        #expect(try start(key, key).contains("--tls-cert \(key) holds no PEM certificate"))
        let notKey = scratch.path("not.key")
        try SecretFile.create(notKey, contents: Array("hello".utf8))
        #expect(try start(cert, notKey).contains("--tls-key \(notKey) holds no unencrypted PEM private key"))
        #expect(try start(scratch.path("missing.pem"), key).contains("cannot read --tls-cert \(scratch.path("missing.pem")): No such file or directory"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("x.sqlite")), "a failed start writes no ledger")
    }

}
