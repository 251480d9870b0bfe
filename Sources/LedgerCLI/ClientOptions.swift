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

    public func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1 to 65535, got \(port)") }
    }

    /// The TLS context when --tls or --ca was given.
    public func tlsContext() throws -> NIOSSLContext? {
        guard tls || ca != nil else { return nil }
        if let ca {
            guard access(ca, R_OK) == 0 else { throw CLIFailure.message("cannot read --ca \(ca): \(String(cString: strerror(errno)))") }
            guard (try? NIOSSLCertificate.fromPEMFile(ca))?.isEmpty == false else {
                throw CLIFailure.message("--ca \(ca) holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")")
            }
        }
        do {
            return try LedgerTLS.clientContext(trusting: ca)
        } catch {
            throw CLIFailure.message("cannot set up TLS\(ca.map { " with --ca \($0)" } ?? " with the system's trusted certificates")")
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
                    // A failure here is the connection's own (TLS, a close): reported as such below.
                    let pong = try await connection.call("PING")
                    guard pong == ["OK pong"] else {
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
            // The body's own errors pass through, but a connection failure inside it is explained.
            if failure.error is CLIFailure || failure.error is ExitCode { throw failure.error }
            if Self.isConnectionError(failure.error) {
                throw CLIFailure.message(ClientErrors.explain(failure.error, host: host, port: port, tls: tls != nil))
            }
            throw failure.error
        } catch let error as CLIFailure {
            throw error
        } catch {
            throw CLIFailure.message(ClientErrors.explain(error, host: host, port: port, tls: tls != nil))
        }
    }
}

extension ClientOptions {
    /// Whether `error` is the connection's (network, TLS, a close) rather than the caller's.
    static func isConnectionError(_ error: any Error) -> Bool {
        error is NIOSSLError || error is NIOSSLExtraError || error is LedgerTLS.NameMismatch || error is IOError || error is ChannelError
            || error is LedgerConnection.ConnectionClosed || error is TLSHandshakeClosed
    }
}

/// An error thrown by the body of `withSession`, carried past the connection-error wrapping.
struct BodyFailure: Error {
    let error: any Error
}
