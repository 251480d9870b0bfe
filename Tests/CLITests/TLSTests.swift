import Foundation
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
        #expect(!old.contains("OK pong"), "TLS 1.1 is refused: \(old)")
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
}
