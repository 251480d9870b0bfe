import ArgumentParser
import Foundation
import LedgerPersistence
import LedgerCore
import LedgerHost
import LedgerPostgres
import LedgerServer
import LedgerStore
import LedgerTransparency
import LedgerWire
import Logging
import Metrics
import NIOCore
import NIOSSL
import Prometheus
import ServiceLifecycle

/// `ecoledgerd`: the ledger's TCP command server.
@main
struct EcoLedgerDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ecoledgerd",
        abstract: "Serve a ledger over the line-oriented ecoledger protocol (docs/PROTOCOL.md).",
        discussion: "Prints 'listening on HOST:PORT' once it accepts connections. SIGTERM or SIGINT: stops accepting, finishes the commands in flight, closes the ledger and exits 0.",
        version: EcoLedgerVersion.text)

    @Option(help: "The ledger file (created if missing), or postgres://USER@HOST:PORT[,HOST:PORT…]/DATABASE (made with `ecoledger init`; needs --key and --pin-key).")
    var db = "ecoledger.sqlite"

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port = 7707

    @Option(name: .customLong("admin-token-file"), help: "When the ledger has no admin token yet, the token in this file (at least 128 bits, e.g. 32 hex digits) becomes one; a missing file is created (0600) with a new token.")
    var adminTokenFile: String?

    @Option(name: .customLong("pin-key"), help: "The server's PIN key file (created 0600 on first start; back it up). Default: DB.pin-key.")
    var pinKeyFile: String?

    @Option(help: "The log's Ed25519 signing key file (created 0600 when missing; back it up). Default: DB.log-key.")
    var key: String?

    @Option(help: "The log's origin, the name its checkpoints carry: a schema-less URL such as ledger.quezoncity.example/ecoledger. Fixed for a ledger once set.")
    var origin = "localhost/ecoledger"

    @Option(name: .customLong("checkpoint-interval"), help: "Seconds between checkpoints while the ledger grows.")
    var checkpointInterval = 1.0

    @Option(name: .customLong("witness"), help: "A witness's verifier key (NAME+KEYID+BASE64); its cosignatures are accepted and served. Repeatable.")
    var witnesses: [String] = []

    @Flag(name: .customLong("new-pin-key"), help: "Create a new PIN key even though the ledger holds PINs made with a lost one; those residents then need a new PIN (ACCOUNT PIN).")
    var newPINKey = false

    @Option(name: .customLong("max-connections"), help: "Connections beyond this are answered ERR LIMIT_EXCEEDED and closed.")
    var maxConnections = 1024

    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may stay idle before ERR TIMEOUT and close; a connection that does not read its replies for this long is closed too.")
    var idleTimeout = 300

    @Option(name: .customLong("shutdown-grace"), help: "On SIGTERM or SIGINT, seconds connections get to finish and read their replies before they are closed.")
    var shutdownGrace = 10

    @Option(name: .customLong("max-line"), help: "Longest request line in bytes; longer ones get ERR LINE_TOO_LONG and the connection closes.")
    var maxLine = 4096

    @Flag(help: "On an empty ledger, add a demo catalogue and write one token per role to DB.demo-tokens.")
    var demo = false

    /// How the log on standard error is written.
    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Option(name: .customLong("log-format"), help: "text (swift-log's lines) or json (one JSON object per line, for log collectors).")
    var logFormat: LogFormat = .text

    @Option(name: .customLong("tls-cert"), help: ArgumentHelp("Serve TLS (1.2 or later) with this certificate chain (PEM, leaf first); needs --tls-key.", valueName: "file"))
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: ArgumentHelp("The private key (PEM) of --tls-cert; owner-only.", valueName: "file"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("Serve Prometheus metrics over HTTP at http://HOST:PORT/metrics (unauthenticated: loopback or a monitoring network); port 0 picks a free one.", valueName: "host:port"))
    var metrics: String?

    @Option(name: .customLong("log-level"), help: "The least severe level logged: trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be positive") }
        guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be positive") }
        guard shutdownGrace >= 0 else { throw ValidationError("--shutdown-grace must be 0 or more") }
        guard checkpointInterval >= 0.01, checkpointInterval <= 86_400 else { throw ValidationError("--checkpoint-interval must be 0.01 to 86400 seconds") }
        guard NoteKey.isValidName(origin) else { throw ValidationError("--origin must be non-empty, without spaces or +") }
        for witness in witnesses {
            do { _ = try NoteKey(verifierKey: witness) } catch { throw ValidationError("--witness \(witness): \(error)") }
        }
        guard maxLine >= 64 else { throw ValidationError("--max-line must be at least 64") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        if let metrics, Self.hostAndPort(metrics) == nil {
            throw ValidationError("--metrics must be HOST:PORT (such as 127.0.0.1:9464 or [::1]:9464), got \(metrics.debugDescription)")
        }
        if PostgresURL.isPostgres(db) {
            do { _ = try PostgresURL(db) } catch { throw ValidationError("\(error)") }
            guard key != nil, pinKeyFile != nil else {
                throw ValidationError("a PostgreSQL ledger needs --key and --pin-key: the key files cannot sit beside a database")
            }
            guard !demo else { throw ValidationError("--demo is for a ledger file; on PostgreSQL, run ecoledger init --example instead") }
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        AllocatorTuning.applyByReexecuting()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        switch logFormat {
        case .text: LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        case .json: LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        }
        var logger = Logger(label: "ecoledgerd")
        logger.logLevel = level
        // Before anything creates a metric: they bind to the backend bootstrapped when made.
        let registry: PrometheusCollectorRegistry? = metrics == nil ? nil : Self.bootstrapPrometheus()
        let openFiles = FileDescriptorLimit.raiseToHardLimit()
        if openFiles < maxConnections + 64 {
            logger.warning("the open-file limit is below --max-connections", metadata: ["limit": "\(openFiles)"])
        }
        let store: any LedgerDatabase
        var fileStore: LedgerStore?
        var postgres: PostgresLedger?
        let pinKey: PINKey
        let logSigner: NoteSigner
        var tls: NIOSSLContext?
        var servingLock: ServingLock?
        let postgresURL = PostgresURL.isPostgres(db) ? try PostgresURL(db) : nil
        do {
            // Everything that can be checked is checked before anything is written: a failed
            // start leaves no ledger, key or origin behind to trip over on the next one.
            if postgresURL == nil { servingLock = try ServingLock.acquire(ledger: db) }
            if let tlsCert, let tlsKey {
                guard !SecretFile.isExposed(tlsKey) else {
                    throw Bootstrap.Failure(description: "\(tlsKey) holds the TLS private key and others on this machine may read or change it; run: chmod 600 \(tlsKey)")
                }
                tls = try LedgerTLS.serverContext(certificateFile: tlsCert, keyFile: tlsKey)
            }
            if let adminTokenFile { _ = try Bootstrap.adminTokenSecret(in: adminTokenFile) }
            // The key files: an existing one must be usable now, a missing one creatable.
            let logKeyFile = key ?? db + ".log-key", pinKeyPath = pinKeyFile ?? db + ".pin-key"
            if FileManager.default.fileExists(atPath: logKeyFile) { _ = try KeyFile.load(logKeyFile) }
            if FileManager.default.fileExists(atPath: pinKeyPath) { _ = try Bootstrap.readPINKey(pinKeyPath) }
            for (file, option) in [(logKeyFile, "--key"), (pinKeyPath, "--pin-key"), (adminTokenFile, "--admin-token-file"),
                                   (postgresURL == nil ? db : nil, "--db")] {
                guard let file, !FileManager.default.fileExists(atPath: file) else { continue }
                var info = stat()
                if lstat(file, &info) == 0 {
                    throw Bootstrap.Failure(description: "\(option) \(file) is a symlink to nothing; remove it, or point it at the real file")
                }
                let folder = ServingLock.split(file).folder
                guard access(folder, W_OK | X_OK) == 0 else {
                    throw Bootstrap.Failure(description: "\(option) \(file) cannot be created: \(String(cString: strerror(errno))) (its folder \(folder))")
                }
            }
            if demo, !FileManager.default.fileExists(atPath: db), FileManager.default.fileExists(atPath: db + ".demo-tokens") {
                throw Bootstrap.Failure(description: "\(db).demo-tokens already exists but the ledger does not: remove the old tokens file, or use another --db")
            }
            var addresses = [(host: host, port: port, option: "--port")]
            if let metrics, let (metricsHost, metricsPort) = Self.hostAndPort(metrics) {
                addresses.append((host: metricsHost, port: metricsPort, option: "--metrics"))
            }
            try await ListenAddress.check(addresses)
            // A new, empty ledger beside the log key ecoledgerd made for it would be a second
            // history signed as the same log (a fork): most likely the ledger was moved away to be
            // restored. (A key given with --key may be new, made with `ecoledger key new`.)
            let logKeyPath = db + ".log-key"
            if key == nil, postgresURL == nil, !FileManager.default.fileExists(atPath: db), FileManager.default.fileExists(atPath: logKeyPath) {
                throw Bootstrap.Failure(description: "\(db) does not exist but its log key \(logKeyPath) does: a new ledger under that key would fork the log. "
                                        + "Restore the ledger (ecoledger restore), or give a new --key for a new log")
            }
            if let postgresURL {
                let ledger = try PostgresLedger.open(url: postgresURL, password: try postgresURL.password())
                postgres = ledger
                // One writer per ledger: a second ecoledgerd waits here until the lease lapses.
                guard await WriterLease.wait(for: ledger, logger: logger, announce: standardOutput) else {
                    ledger.close()
                    return
                }
                store = ledger
            } else {
                let file = try LedgerStore.openOrCreate(at: db)
                fileStore = file
                store = file
                // A new ledger is claimed as a file too, so that no other name for it can be served.
                try servingLock?.lockLedgerFile(db)
                for exposed in file.exposedFiles() {
                    logger.warning("the ledger file is readable or writable by others; run: chmod 600", metadata: ["file": "\(exposed)"])
                }
            }
            let recordedOrigin = try store.read({ try $0.meta("origin") }), recordedKey = try store.read({ try $0.meta("log_key") })
            if let recordedOrigin, recordedOrigin != origin {
                throw Bootstrap.Failure(description: "this ledger's log is \(recordedOrigin); start with --origin \(recordedOrigin)")
            }
            if let recordedKey, !FileManager.default.fileExists(atPath: logKeyFile) {
                throw Bootstrap.Failure(description: "the log key file \(logKeyFile) is missing, but this ledger's checkpoints are signed with \(recordedKey); "
                                        + "restore the key file from your backup (a new key would be a new log)")
            }
            let (seed, newLogKey) = try KeyFile.loadOrCreate(logKeyFile)
            logSigner = try NoteSigner(name: origin, seed: seed)
            if let recordedKey, recordedKey != logSigner.key.verifierKey {
                throw Bootstrap.Failure(description: "\(logKeyFile) is not this ledger's log key (its checkpoints are signed with \(recordedKey))")
            }
            if newLogKey { logger.notice("new log key written; back it up", metadata: ["file": "\(logKeyFile)"]) }
            // After the log's checks: a refused start leaves no new PIN key behind.
            let created: Bool
            (pinKey, created) = try Bootstrap.pinKey(file: pinKeyPath, store: store, replacingLost: newPINKey)
            if created { logger.notice("new PIN key written; back it up with the ledger", metadata: ["file": "\(pinKeyPath)"]) }
            standardOutput("log key \(logSigner.key.verifierKey)")
            if demo, let fileStore {
                let tokensFile = db + ".demo-tokens"
                if try DemoSetup.demo(store: fileStore, tokensFile: tokensFile, pinKey: pinKey) {
                    standardOutput("demo ledger ready; tokens (one per role) in \(tokensFile)")
                } else {
                    standardOutput("ledger \(db) is not empty: no demo catalogue added; tokens, if any, are in \(tokensFile)")
                }
            }
            if let adminTokenFile {
                switch try Bootstrap.adminToken(from: adminTokenFile, store: store) {
                case .alreadyPresent:
                    break
                case .issued(let id):
                    logger.info("admin token created from file", metadata: ["token": "\(id)"])
                case .generated(let id):
                    standardOutput("new admin token written to \(adminTokenFile)")
                    logger.info("admin token generated", metadata: ["token": "\(id)", "file": "\(adminTokenFile)"])
                }
            }
        } catch {
            FileHandle.standardError.write(Data("ecoledgerd: error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.maxConnections = maxConnections
        configuration.idleTimeout = .seconds(Int64(idleTimeout))
        configuration.maxLine = maxLine
        configuration.shutdownGrace = .seconds(Int64(shutdownGrace))
        configuration.pinKey = pinKey
        configuration.logSigner = logSigner
        configuration.checkpointInterval = .milliseconds(Int64(checkpointInterval * 1000))
        configuration.witnesses = try witnesses.map { try NoteKey(verifierKey: $0) }
        configuration.tls = tls
        if tls != nil { standardOutput("TLS on; clients connect with --tls (and --ca when the certificate is not from a public authority)") }
        if let metrics, let registry, let (metricsHost, metricsPort) = Self.hostAndPort(metrics) {
            configuration.metrics = MetricsEndpoint(host: metricsHost, port: metricsPort) { registry.emitToString() }
        }
        let server = try await LedgerServer(store: store, configuration: configuration, logger: logger) { address in
            standardOutput("listening on \(address.ipAddress ?? host):\(address.port ?? port)")
        } onMetricsListening: { address in
            standardOutput("metrics on http://\(address.ipAddress ?? "?"):\(address.port ?? 0)/metrics")
        }
        // The lease is renewed beside the jobs, and given up last (after the writer has stopped).
        let lease: [any Service] = postgres.map { [WriterLease(ledger: $0, logger: logger)] } ?? []
        // A service that ends or fails (the lease lost) shuts the others down gracefully, as a
        // signal does: cancelling the server instead would drop connections it has accepted but
        // not yet served, which NIO traps on ("Deinited NIOAsyncWriter without calling
        // finish()", apple/swift-nio#2637), and clients in flight would get no reply.
        let services = (lease + server.services).map { service in
            ServiceGroupConfiguration.ServiceConfiguration(service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                                                           failureTerminationBehavior: .gracefullyShutdownGroup)
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            FileHandle.standardError.write(Data("ecoledgerd: error: \(error)\n".utf8))
            try? fileStore?.close()
            postgres?.close()
            throw ExitCode.failure
        }
        try fileStore?.close()
        postgres?.close()
        withExtendedLifetime(servingLock) {}
        logger.info("ledger closed; bye")
    }
}

extension EcoLedgerDaemon {
    /// `HOST:PORT`, the host possibly in brackets (`[::1]:9464`).
    static func hostAndPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    /// swift-prometheus as swift-metrics' backend, with buckets fit for a ledger: request and
    /// commit durations from 0.5 ms to 10 s, batch sizes in powers of two up to the writer's 256.
    static func bootstrapPrometheus() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                                   .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                                   .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10)]
        factory.valueHistogramBuckets["ecoledger_write_batch_size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256]
        MetricsSystem.bootstrap(factory)
        return registry
    }
}

/// One line to stdout, flushed at once (scripts wait for `listening on`).
func standardOutput(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
