import Foundation
import LedgerPersistence

/// Where a PostgreSQL ledger lives, from `--db postgres://USER@HOST[:PORT][,HOST[:PORT]…]/DB?…`.
///
/// Several hosts may be named: ecoledgerd connects to the one that accepts writes (what libpq's
/// `target_session_attrs=read-write` does), so after a failover it finds the promoted standby.
/// A password is never part of the URL (command lines are visible to every user of the machine):
/// it comes from the file named by `passfile=` or from the `PGPASSWORD` environment variable.
///
/// Parameters: `sslmode` (`disable`, `require`, `verify-ca`, `verify-full`; default `disable` on
/// loopback and `verify-full` elsewhere), `sslrootcert` (the CA file for the verify modes),
/// `passfile`, `connect_timeout` (seconds, default 5), `application_name`.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
        public let host: String
        public let port: Int
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    public enum TLSMode: String, Sendable {
        case disable, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public let user: String
    public let endpoints: [Endpoint]
    public let database: String
    public let tls: TLSMode
    public let rootCertificate: String?
    public let passwordFile: String?
    public let connectTimeoutSeconds: Int
    public let applicationName: String

    /// Whether `text` names a PostgreSQL ledger rather than a file.
    public static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Why a `--db postgres://…` could not be read; one line for the CLI.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ text: String) throws {
        func invalid(_ why: String) -> Invalid { Invalid(description: "--db \(PostgresURL.redacted(text)): \(why)") }
        guard Self.isPostgres(text) else { throw invalid("a PostgreSQL ledger is named postgres://USER@HOST:PORT/DATABASE") }
        let rest = text.drop(while: { $0 != ":" }).dropFirst(3)
        guard !rest.contains(where: { $0.isNewline || $0 == " " }) else { throw invalid("it holds a space or a line break") }
        guard let at = rest.firstIndex(of: "@") else { throw invalid("name the user: postgres://USER@HOST/DATABASE") }
        let userPart = rest[..<at]
        guard !userPart.contains(":") else {
            throw invalid("a password does not belong on the command line; put it in a file named by passfile=PATH, or in PGPASSWORD")
        }
        guard let user = String(userPart).removingPercentEncoding, !user.isEmpty else { throw invalid("the user is empty") }
        let afterUser = rest[rest.index(after: at)...]
        guard let slash = afterUser.firstIndex(of: "/") else { throw invalid("name the database: postgres://USER@HOST/DATABASE") }
        let hostList = afterUser[..<slash]
        let pathAndQuery = afterUser[afterUser.index(after: slash)...]
        let (path, query) = pathAndQuery.firstIndex(of: "?").map { (pathAndQuery[..<$0], pathAndQuery[pathAndQuery.index(after: $0)...]) }
            ?? (pathAndQuery, Substring(""))
        guard let database = String(path).removingPercentEncoding, !database.isEmpty, !database.contains("/") else {
            throw invalid("name the database: postgres://USER@HOST/DATABASE")
        }
        var endpoints: [Endpoint] = []
        for item in hostList.split(separator: ",", omittingEmptySubsequences: false) {
            var host = Substring(item), port = 5432
            if host.hasPrefix("[") {
                guard let close = host.firstIndex(of: "]") else { throw invalid("an IPv6 address needs its closing ]") }
                let after = host[host.index(after: close)...]
                host = host[host.index(after: host.startIndex)..<close]
                if !after.isEmpty {
                    guard after.hasPrefix(":"), let number = Int(after.dropFirst()) else { throw invalid("\(item) has a malformed port") }
                    port = number
                }
            } else if let colon = host.lastIndex(of: ":") {
                guard let number = Int(host[host.index(after: colon)...]) else { throw invalid("\(item) has a malformed port") }
                port = number
                host = host[..<colon]
            }
            guard !host.isEmpty else { throw invalid("a host is empty") }
            guard (1...65535).contains(port) else { throw invalid("port \(port) is out of range") }
            endpoints.append(Endpoint(host: String(host), port: port))
        }
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let key = String(parts[0]).removingPercentEncoding,
                  let value = String(parts[1]).removingPercentEncoding else { throw invalid("\(pair) is not NAME=VALUE") }
            guard parameters[key] == nil else { throw invalid("\(key) is given twice") }
            parameters[key] = value
        }
        let known: Set = ["sslmode", "sslrootcert", "passfile", "connect_timeout", "application_name", "target_session_attrs"]
        if let unknown = parameters.keys.sorted().first(where: { !known.contains($0) }) {
            throw invalid("unknown parameter \(unknown) (known: \(known.sorted().joined(separator: ", ")))")
        }
        if let attrs = parameters["target_session_attrs"], attrs != "read-write" {
            throw invalid("target_session_attrs can only be read-write: ecoledgerd always looks for the writable host")
        }
        let loopback = endpoints.allSatisfy { ["localhost", "127.0.0.1", "::1"].contains($0.host) }
        let tls: TLSMode
        if let mode = parameters["sslmode"] {
            guard let parsed = TLSMode(rawValue: mode) else {
                throw invalid("sslmode must be disable, require, verify-ca or verify-full, not \(mode)")
            }
            tls = parsed
        } else {
            tls = loopback ? .disable : .verifyFull
        }
        if tls == .verifyCA || tls == .verifyFull, parameters["sslrootcert"] == nil {
            throw invalid("sslmode=\(tls.rawValue) needs sslrootcert=PATH, the CA that signed the server's certificate")
        }
        let timeout = try parameters["connect_timeout"].map { text -> Int in
            guard let seconds = Int(text), (1...300).contains(seconds) else { throw invalid("connect_timeout must be 1 to 300 seconds") }
            return seconds
        } ?? 5
        self.user = user
        self.endpoints = endpoints
        self.database = database
        self.tls = tls
        rootCertificate = parameters["sslrootcert"]
        passwordFile = parameters["passfile"]
        connectTimeoutSeconds = timeout
        applicationName = parameters["application_name"] ?? "ecoledger"
    }

    /// The password: the first line of `passfile`, else `PGPASSWORD`, else none (trust or peer
    /// authentication). A password file others can read is refused.
    public func password(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        if let passwordFile {
            guard let data = FileManager.default.contents(atPath: passwordFile) else {
                throw Invalid(description: "cannot read the password file \(passwordFile)")
            }
            let attributes = try? FileManager.default.attributesOfItem(atPath: passwordFile)
            if let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
                throw Invalid(description: "the password file \(passwordFile) may be read by others (mode \(String(mode, radix: 8))); chmod 600 it")
            }
            let text = String(decoding: data, as: UTF8.self)
            return String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        }
        return environment["PGPASSWORD"]
    }

    /// The URL as given, which never holds a secret.
    public var description: String {
        "postgres://\(user)@\(endpoints.map(\.description).joined(separator: ","))/\(database)"
    }

    /// `text` with anything between `://` and `@` that holds a `:` hidden, for error messages.
    static func redacted(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@") else { return text }
        let userInfo = text[scheme.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }
}
