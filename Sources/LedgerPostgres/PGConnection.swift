import Logging
import LedgerPersistence
import NIOCore
import NIOPosix
import NIOSSL
import NIOConcurrencyHelpers
import PostgresNIO

/// One connection to PostgreSQL, used synchronously by one thread at a time: the store's
/// callers (the writer thread, the read pool, the offline tools) are threads of their own, never
/// Swift's cooperative pool, so waiting on a reply here blocks nobody else.
final class PGConnection: @unchecked Sendable {
    let raw: PostgresConnection
    let endpoint: PostgresURL.Endpoint
    private let logger: Logger

    /// The statement this connection's thread waits for, failed at once if the connection closes:
    /// a query sent just as the server went away was seen (failover test) to be left waiting
    /// for its reply until the statement limit, though the socket was gone.
    private let pending = NIOLockedValueBox<(@Sendable (any Error) -> Void)?>(nil)

    private init(raw: PostgresConnection, endpoint: PostgresURL.Endpoint, logger: Logger) {
        self.raw = raw
        self.endpoint = endpoint
        self.logger = logger
        let pending = self.pending
        raw.closeFuture.whenComplete { _ in
            pending.withLockedValue { $0 }?(StoreError.unreachable("PostgreSQL at \(endpoint) closed the connection"))
        }
    }

    /// Connects to `endpoint`; a failure is `StoreError.unreachable` naming the host and the cause.
    static func connect(_ url: PostgresURL, endpoint: PostgresURL.Endpoint, password: String?,
                        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws -> PGConnection {
        var logger = Logger(label: "ecoledger.postgres")
        logger.logLevel = .critical
        let tls: PostgresConnection.Configuration.TLS
        switch url.tls {
        case .disable:
            tls = .disable
        case .require, .verifyCA, .verifyFull:
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let root = url.rootCertificate {
                configuration.trustRoots = .file(root)
            }
            configuration.certificateVerification = switch url.tls {
            case .require: .none
            case .verifyCA: .noHostnameVerification
            default: .fullVerification
            }
            do {
                tls = .require(try NIOSSLContext(configuration: configuration))
            } catch {
                throw StoreError.unreachable("PostgreSQL TLS set-up failed: \(error)")
            }
        }
        var configuration = PostgresConnection.Configuration(host: endpoint.host, port: endpoint.port, username: url.user,
                                                             password: password, database: url.database, tls: tls)
        configuration.options.connectTimeout = .seconds(Int64(url.connectTimeoutSeconds))
        // postgres-nio names the host for SNI and the name check, or, for an IP address (not
        // valid in SNI), NIOSSL checks the certificate's IP addresses against the peer's.
        configuration.options.additionalStartupParameters = [("application_name", url.applicationName)]
        // The whole start-up, not only the TCP connect, within connect_timeout: a port still open
        // on a dead server's machine can accept and never answer.
        let loop = group.next()
        let connected = loop.makePromise(of: PostgresConnection.self)
        PostgresConnection.connect(on: loop, configuration: configuration, id: 1, logger: logger).whenComplete { result in
            switch result {
            case .success(let raw):
                connected.futureResult.whenFailure { _ in _ = raw.close() as EventLoopFuture<Void> }
                connected.succeed(raw)
            case .failure(let error):
                connected.fail(error)
            }
        }
        let limit = loop.scheduleTask(in: .seconds(Int64(url.connectTimeoutSeconds))) {
            connected.fail(StoreError.unreachable("PostgreSQL at \(endpoint) did not answer within \(url.connectTimeoutSeconds) s"))
        }
        defer { limit.cancel() }
        do {
            let raw = try connected.futureResult.wait()
            return PGConnection(raw: raw, endpoint: endpoint, logger: logger)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.unreachable("PostgreSQL at \(endpoint): \(PGFailure.describeConnect(error, url: url, endpoint: endpoint))")
        }
    }

    /// How long one statement may take before the connection is given up: a server that died
    /// without closing its sockets, or a COMMIT waiting for a standby that is gone, must not
    /// hold a writer (and the kiosks behind it) for ever. The request then fails as
    /// `unavailable`, and a retry with the same ref finds out whether it was committed.
    static let statementLimit: TimeAmount = .seconds(10)

    /// Runs one statement with its parameters and returns its rows.
    @discardableResult
    func query(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> [PGRow] {
        try run(sql, binds).rows.map(PGRow.init)
    }

    /// Runs one statement and returns how many rows it changed.
    func execute(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws -> Int {
        try run(sql, binds).metadata.rows ?? 0
    }

    private func run(_ sql: String, _ binds: PostgresBindings) throws -> PostgresQueryResult {
        try pipeline([(sql, binds)])[0]
    }

    /// Sends `statements` one after the other without waiting for each reply (postgres-nio
    /// queues them on the connection), and waits once for all of them: the writer thread wakes
    /// once, not once per statement. The first failure, in order, is thrown; PostgreSQL then
    /// fails the rest of an open transaction (and answers its COMMIT with ROLLBACK).
    func pipeline(_ statements: [(sql: String, binds: PostgresBindings)]) throws -> [PostgresQueryResult] {
        let loop = raw.eventLoop
        let answer = loop.makePromise(of: [PostgresQueryResult].self)
        pending.withLockedValue { $0 = { answer.fail($0) } }
        defer { pending.withLockedValue { $0 = nil } }
        if raw.isClosed { answer.fail(StoreError.unreachable("PostgreSQL at \(endpoint) closed the connection")) }
        let connection = self.raw, logger = self.logger
        let sent = statements.map { connection.query(PostgresQuery(unsafeSQL: $0.sql, binds: $0.binds), logger: logger) }
        EventLoopFuture.whenAllComplete(sent, on: loop).whenSuccess { results in
            var rows: [PostgresQueryResult] = []
            for result in results {
                switch result {
                case .success(let value): rows.append(value)
                case .failure(let error): return answer.fail(error)
                }
            }
            answer.succeed(rows)
        }
        let raw = self.raw, endpoint = self.endpoint
        let sql = statements.last?.sql ?? ""
        let limit = loop.scheduleTask(in: Self.statementLimit) {
            let verb = sql.split(whereSeparator: \.isWhitespace).prefix(2).joined(separator: " ")
            answer.fail(StoreError.unreachable("PostgreSQL at \(endpoint) did not answer \(verb) within \(Self.statementLimit.nanoseconds / 1_000_000_000) s"))
            // Closing fails whatever else waits on the connection; the store then opens a new one.
            let closing: EventLoopFuture<Void> = raw.close()
            _ = closing
        }
        defer { limit.cancel() }
        do {
            return try answer.futureResult.wait()
        } catch let error as StoreError {
            throw error
        } catch {
            throw PGFailure.classify(error, on: endpoint)
        }
    }

    /// Runs `body` in a transaction begun with `begin`, committed when it returns and rolled
    /// back when it throws (a rollback that fails too leaves the connection to be closed).
    func transaction<T>(_ begin: String = "BEGIN", _ body: () throws -> T) throws -> T {
        try query(begin)
        let result: T
        do {
            result = try body()
        } catch {
            _ = try? query("ROLLBACK")
            throw error
        }
        try query("COMMIT")
        return result
    }

    var isClosed: Bool { raw.isClosed }

    func close() {
        guard !raw.isClosed else { return }
        _ = try? raw.close().wait()
    }

    /// postgres-nio requires a connection to be closed before it goes away.
    deinit {
        close()
    }
}

/// One result row, read by position as `StoredColumns`: integers (of any width), text and bytea
/// map onto the storage classes the shared decoders expect, so a PostgreSQL row is validated
/// exactly as a SQLite row is.
struct PGRow: StoredColumns {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) {
        self.row = PostgresRandomAccessRow(row)
    }

    var count: Int { row.count }

    func storedValue(at index: Int) -> StoredValue {
        let cell = row[index]
        guard var bytes = cell.bytes else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8:
            return (try? cell.decode(Int64.self)).map(StoredValue.integer) ?? .text(nil)
        case .bool:
            return (try? cell.decode(Bool.self)).map { .integer($0 ? 1 : 0) } ?? .text(nil)
        case .bytea:
            return .blob(bytes.readBytes(length: bytes.readableBytes) ?? [])
        default:
            let raw = bytes.readBytes(length: bytes.readableBytes) ?? []
            return .text(String(validating: raw, as: UTF8.self))
        }
    }
}

/// How a PostgreSQL failure reaches the ledger's callers: connection trouble is
/// `StoreError.unreachable` (retry later); a refusal by the server carries its message and SQLSTATE.
enum PGFailure {
    /// The server's SQLSTATE, when the error came from the server.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo {
            return "\(info[.message] ?? "error") (SQLSTATE \(info[.sqlState] ?? "?"))"
        }
        if let underlying = error.underlying { return "\(underlying)" }
        return "\(error.code)"
    }

    /// A failure to connect, with the two TLS refusals an operator meets first put in words.
    static func describeConnect(_ error: any Error, url: PostgresURL, endpoint: PostgresURL.Endpoint) -> String {
        let text = describe(error)
        if text.contains("failedToValidateHostname") {
            return "its TLS certificate does not name \(endpoint.host) (sslmode=verify-full checks the name: connect by a name the certificate lists, or use verify-ca)"
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "its TLS certificate is not signed by the CA in sslrootcert=\(url.rootCertificate ?? "(none)") (or it has expired)"
        }
        return text
    }

    static func classify(_ error: any Error, on endpoint: PostgresURL.Endpoint) -> any Error {
        guard let psql = error as? PSQLError else { return error }
        if psql.serverInfo == nil || isConnectionState(sqlState(psql)) {
            return StoreError.unreachable("PostgreSQL at \(endpoint): \(describe(psql))")
        }
        return PostgresRefusal(sqlState: sqlState(psql) ?? "", message: describe(psql))
    }

    /// SQLSTATE classes that mean the connection or the server went away, not the statement:
    /// 08 (connection exception), 57P01–57P03 (shutdown), 25006 (a read-only transaction: the
    /// host is a standby now).
    private static func isConnectionState(_ state: String?) -> Bool {
        guard let state else { return false }
        return state.hasPrefix("08") || ["57P01", "57P02", "57P03", "25006"].contains(state)
    }
}

/// A statement PostgreSQL refused (a constraint, a permission, a trigger); its message is the server's.
public struct PostgresRefusal: Error, CustomStringConvertible {
    public let sqlState: String
    public let message: String
    public var description: String { "PostgreSQL refused: \(message)" }
}
