import ArgumentParser
import Foundation
import LedgerWire
import NIOCore
import NIOSSL

/// Where the server is and how to authenticate, shared by the clients (`ecoledger call`,
/// `connect`, `receipt get`, `witness`, and `ecoledger-bench`).
public struct ClientOptions: ParsableArguments, Sendable {
    public init() {}

    @Option(help: "Server address.")
    public var host = "127.0.0.1"

    @Option(help: "Server port.")
    public var port = 7707

    @Option(name: .customLong("token-file"), help: ArgumentHelp(
        "A file holding the token to AUTH with: the token alone, or ROLE=TOKEN lines (as --demo writes them).",
        valueName: "file"))
    public var tokenFile: String?

    @Option(help: "With ROLE=TOKEN lines in --token-file, which role to use.")
    public var role = "admin"

    @Flag(help: "Connect over TLS (1.2 or later), checking the server's certificate and name.")
    public var tls = false

    @Option(help: ArgumentHelp("The certificate (PEM) the server's must chain to; implies --tls. Default: the system's trusted roots.", valueName: "file"))
    public var ca: String?

    /// The TLS context when --tls or --ca was given.
    public func tlsContext() throws -> NIOSSLContext? {
        guard tls || ca != nil else { return nil }
        do {
            return try LedgerTLS.clientContext(trusting: ca)
        } catch {
            throw CLIFailure.message("cannot set up TLS\(ca.map { " with \($0)" } ?? ""): \(error)")
        }
    }

    /// The token from --token-file, if one was given.
    public func token() throws -> String? {
        guard let tokenFile else { return nil }
        guard let data = FileManager.default.contents(atPath: tokenFile) else {
            throw CLIFailure.message("cannot read the token file \(tokenFile)")
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        if lines.count == 1, !lines[0].contains("=") { return lines[0] }
        guard let line = lines.first(where: { $0.hasPrefix("\(role)=") }) else {
            throw CLIFailure.message("no \(role)= line in \(tokenFile)")
        }
        return String(line.dropFirst(role.count + 1))
    }

    /// Connects, authenticates when a token is given, and runs `body`. `silenceLimit`: give up
    /// when the server sends nothing for this long (see `LedgerConnection.withConnection`).
    ///
    /// Before sending a token it checks that the server speaks this protocol (`PING`), so a
    /// token never goes in clear to a TLS port, or to something else listening there.
    /// Errors of `body` itself pass through as they are; only the connection's own failures
    /// are reported as "cannot talk to HOST:PORT".
    public func withSession<T>(silenceLimit: Duration? = nil, _ body: (LedgerConnection) async throws -> T) async throws -> T {
        let token = try token()
        let tls = try tlsContext()
        let limit = silenceLimit.map { TimeAmount.nanoseconds(Int64($0.components.seconds) * 1_000_000_000 + $0.components.attoseconds / 1_000_000_000) }
        do {
            return try await LedgerConnection.withConnection(host: host, port: port, tls: tls, silenceLimit: limit) { connection in
                if let token {
                    guard (try? await connection.call("PING")) == ["OK pong"] else {
                        throw CLIFailure.message("\(host):\(port) does not answer in the ecoledger protocol\(tls == nil ? " (does it want TLS? try --tls)" : ""); the token was not sent")
                    }
                    let reply = try await connection.call("AUTH \(token)")
                    guard reply.first?.hasPrefix("OK") == true else {
                        throw CLIFailure.message("AUTH refused: \(reply.first ?? "no reply")")
                    }
                }
                do {
                    return try await body(connection)
                } catch let error as LedgerConnection.ConnectionClosed {
                    throw error
                } catch {
                    throw BodyFailure(error: error)
                }
            }
        } catch let failure as BodyFailure {
            throw Self.explainTLS(failure.error, host: host, port: port) ?? failure.error
        } catch let error where Self.explainTLS(error, host: host, port: port) != nil {
            throw Self.explainTLS(error, host: host, port: port)!
        } catch let error as CLIFailure {
            throw error
        } catch let error as LedgerConnection.ConnectionClosed {
            throw CLIFailure.message("\(error)")
        } catch {
            throw CLIFailure.message("cannot talk to \(host):\(port): \(error)")
        }
    }
}

extension ClientOptions {
    /// A TLS failure in words an operator can act on; nil for any other error.
    static func explainTLS(_ error: any Error, host: String, port: Int) -> CLIFailure? {
        if error is NIOSSLExtraError {
            return .message("cannot talk to \(host):\(port) over TLS: its certificate is not for \(host) (\(error))")
        }
        guard error is NIOSSLError else { return nil }
        let detail = "\(error)"
        if detail.contains("CERTIFICATE_VERIFY_FAILED") {
            return .message("cannot talk to \(host):\(port) over TLS: its certificate is not trusted, or not for \(host); "
                            + "give the certificate it chains to with --ca")
        }
        return .message("cannot talk to \(host):\(port) over TLS: \(detail)")
    }
}

/// An error thrown by the body of `withSession`, carried past the connection-error wrapping.
struct BodyFailure: Error {
    let error: any Error
}
