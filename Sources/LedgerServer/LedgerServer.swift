import LedgerCore
import LedgerPersistence
import LedgerCrypto
import LedgerHost
import LedgerTransparency
import LedgerWire
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// Settings of the command server (the flags of `ecoledgerd`).
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port.
    public var port = 7707
    public var maxConnections = 1024
    /// Idle connections are closed after this; so are connections that do not read their replies.
    public var idleTimeout: TimeAmount = .seconds(300)
    /// On graceful shutdown, how long connections get to finish their commands and read their
    /// replies before they are closed regardless.
    public var shutdownGrace: TimeAmount = .seconds(10)
    /// The longest request line, in bytes, not counting its LF.
    public var maxLine = 4096
    /// Failed AUTHs from one address, within `authFailureWindow`, after which its AUTHs are refused.
    public var authFailuresPerAddress = 20
    public var authFailureWindow: Duration = .seconds(60)
    /// Where PIN salts, token ids and token secrets come from: the system's CSPRNG, unless a
    /// test injects a seeded source to replay a run exactly.
    public var randomBytes: @Sendable (Int) throws -> [UInt8] = { try SecureRandom.bytes($0) }
    /// The key PIN records are made and checked with (`Bootstrap.pinKey`). Without one, new
    /// PIN records are unkeyed, as offline tools make them; ecoledgerd always has one.
    public var pinKey: PINKey?
    /// The log's signing key, named with its origin; without one the server signs no
    /// checkpoints and answers the transparency commands UNAVAILABLE.
    public var logSigner: NoteSigner?
    /// How often the server signs a checkpoint when the ledger has grown.
    public var checkpointInterval: Duration = .seconds(1)
    /// What "now" is for an expiry sweep; it must be the store's clock (tests inject both).
    public var clock: @Sendable () -> Int64 = WallClock.now
    /// How often the server runs the expiry sweep itself (as `EXPIRE` does).
    public var expirySweepInterval: Duration = .seconds(3600)
    /// How often an erasure's scrub that a reader held up is tried again.
    public var scrubRetryInterval: Duration = .seconds(1)
    /// How the background jobs wait between runs (`Task.sleep`; tests inject their own).
    public var jobSleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    /// The witnesses whose cosignatures the server accepts and serves.
    public var witnesses: [NoteKey] = []
    /// TLS for every connection (`--tls-cert`, `--tls-key`; `LedgerTLS.serverContext`); nil: plain TCP.
    public var tls: NIOSSLContext?
    /// Where to serve Prometheus text (`--metrics`); nil: nowhere.
    public var metrics: MetricsEndpoint?

    public init() {}
}

/// The line-oriented TCP command server: accepts connections and puts a `Session` in each; on
/// graceful shutdown (SIGTERM/SIGINT through swift-service-lifecycle) stops accepting and lets
/// every command in flight finish and reply.
///
/// It is one of the services a ledger needs; `services` lists them all, in the order a
/// `ServiceGroup` starts them (and stops them, in reverse): the writer, the checkpointer, the
/// connections, the expiry sweep, the erasure scrub's retry, the metrics endpoint. So on
/// shutdown the jobs stop first, then the connections drain, then the last checkpoint is
/// signed, and the writer stops last.
public final class LedgerServer: Service, CustomStringConvertible {
    private let configuration: ServerConfiguration
    private let gateway: LedgerGateway
    private let parts: ServerServices
    private let logger: Logger
    private let onListening: @Sendable (SocketAddress) -> Void

    private let metrics: MetricsService?
    public var description: String { "connections" }

    /// `onListening` is called once connections are accepted, with the bound address;
    /// `onMetricsListening` once the metrics endpoint is bound, if there is one.
    public init(store: any LedgerDatabase, configuration: ServerConfiguration, logger: Logger,
                onListening: @escaping @Sendable (SocketAddress) -> Void = { _ in },
                onMetricsListening: @escaping @Sendable (SocketAddress) -> Void = { _ in }) async throws {
        self.configuration = configuration
        self.logger = logger
        let stats = ServerStats()
        let gateway = LedgerGateway(database: store, metrics: stats.metrics)
        self.gateway = gateway
        parts = ServerServices(gateway: gateway, tokens: TokenRegistry(), stats: stats, logger: logger,
                                  authThrottle: AuthThrottle(limit: configuration.authFailuresPerAddress,
                                                             window: configuration.authFailureWindow),
                                  randomBytes: configuration.randomBytes, pinKey: configuration.pinKey,
                                  checkpointer: configuration.logSigner.map { Checkpointer(signer: $0, gateway: gateway, logger: logger) },
                                  witnesses: configuration.witnesses, clock: configuration.clock)
        self.onListening = onListening
        if let signer = configuration.logSigner {
            // One log, one origin, one key: the audit checks every stored checkpoint with it.
            try store.setMetaOnce("origin", signer.key.name)
            try store.setMetaOnce("log_key", signer.key.verifierKey)
        }
        try await parts.reloadTokens()
        // The first checkpoint before the first connection; a journal that no longer extends
        // the last checkpoint signed stops the server here (Checkpointer.checkStillExtends).
        // Then the metrics address, so a taken one stops the start before anything listens.
        do {
            try await parts.checkpointer?.tick()
            if let endpoint = configuration.metrics {
                let listener = try await endpoint.bind()
                if let address = listener.channel.localAddress {
                    logger.info("metrics listening", metadata: ["address": "\(address)"])
                    onMetricsListening(address)
                }
                metrics = MetricsService(endpoint: endpoint, listener: listener, gateway: gateway, stats: stats, logger: logger)
            } else {
                metrics = nil
            }
        } catch {
            try? await gateway.shutdown()
            throw error
        }
    }

    /// Every service of this ledger, in start order (`ServiceGroup` stops them in reverse).
    public var services: [any Service] {
        let schedule = { (interval: Duration) in JobSchedule(every: interval, sleep: self.configuration.jobSleep) }
        var all: [any Service] = [WriterService(gateway: gateway)]
        if let checkpointer = parts.checkpointer {
            all.append(CheckpointService(checkpointer: checkpointer, schedule: schedule(configuration.checkpointInterval), logger: logger))
        }
        all.append(self)
        all.append(ExpiryService(sweep: parts.expiry, clock: parts.clock, schedule: schedule(configuration.expirySweepInterval), logger: logger))
        all.append(ScrubRetryService(gateway: gateway, schedule: schedule(configuration.scrubRetryInterval), logger: logger))
        if let metrics { all.append(metrics) }
        return all
    }

    public func run() async throws {
        let configuration = self.configuration
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await bind(configuration)
        } catch {
            throw ListenAddress.unusable(host: configuration.host, port: configuration.port, error)
        }
        try await serve(server, configuration: configuration)
    }

    /// An accepted connection: its channel, and its session (nil when it was over the limit).
    private struct Connection: Sendable {
        let channel: any Channel
        let session: NIOLoopBound<Session>?
    }

    /// Every connection is counted as it is accepted, and its handlers set up then, before a
    /// byte of it is read: a connection over the limit is only told so and closed.
    private func bind(_ configuration: ServerConfiguration) async throws -> NIOAsyncChannel<Connection, Never> {
        let stats = parts.stats
        let parts = self.parts
        let logger = self.logger
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 256)
            // `printf 'PING\n' | nc` sends its lines then half-closes: every line it sent is
            // still answered before the connection closes.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    stats.totalConnections.add(1, ordering: .relaxed)
                    let open = stats.openConnections.add(1, ordering: .relaxed).newValue
                    stats.metrics.connectionsTotal.increment()
                    channel.closeFuture.whenComplete { _ in stats.openConnections.subtract(1, ordering: .relaxed) }
                    if let tls = configuration.tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    guard open <= configuration.maxConnections else { return Connection(channel: channel, session: nil) }
                    var logger = logger
                    logger[metadataKey: "peer"] = "\(channel.remoteAddress?.description ?? "?")"
                    let session = Session(dispatcher: CommandDispatcher(services: parts),
                                          peer: channel.remoteAddress?.ipAddress ?? "unknown", logger: logger)
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: configuration.maxLine)))
                    try channel.pipeline.syncOperations.addHandler(IdleTimeoutHandler(timeout: configuration.idleTimeout))
                    try channel.pipeline.syncOperations.addHandler(PingResponder(stats: stats))
                    try channel.pipeline.syncOperations.addHandler(session)
                    return Connection(channel: channel, session: NIOLoopBound(session, eventLoop: channel.eventLoop))
                }
            }
    }

    private func serve(_ server: NIOAsyncChannel<Connection, Never>, configuration: ServerConfiguration) async throws {
        if let address = server.channel.localAddress {
            logger.info("listening", metadata: ["address": "\(address)"])
            onListening(address)
        }
        let served = OpenConnections()
        defer { served.cancelDeadline() }
        let logger = self.logger
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        let key = served.insert(connection.channel)
                        group.addTask {
                            defer { served.remove(key) }
                            guard let session = connection.session else {
                                return await Self.refuse(connection.channel, logger: logger, limit: configuration.maxConnections,
                                                         within: min(configuration.idleTimeout, Self.refusalTimeout))
                            }
                            // The session runs in the channel; this task only waits for it to
                            // close, and tells it when graceful shutdown begins.
                            await withGracefulShutdownHandler {
                                try? await connection.channel.closeFuture.get()
                            } onGracefulShutdown: {
                                connection.channel.eventLoop.execute { session.value.beginShutdown() }
                            }
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
            // Receipts waiting for a checkpoint are answered SHUTTING_DOWN now, not at the next tick.
            if let checkpointer = self.parts.checkpointer { Task { await checkpointer.stop() } }
            // Whatever the clients do (never read, never send), shutdown ends within the grace.
            let grace = configuration.shutdownGrace
            served.closeAll(after: grace, on: server.channel.eventLoop, logger: logger)
        }
        logger.info("all connections closed")
    }

    /// The connections being served, so shutdown can close those that outstay the grace.
    private final class OpenConnections: Sendable {
        private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])
        private let deadline = Mutex<Scheduled<Void>?>(nil)

        func insert(_ channel: any Channel) -> ObjectIdentifier {
            let key = ObjectIdentifier(channel)
            channels.withLock { $0[key] = channel }
            return key
        }

        func remove(_ key: ObjectIdentifier) {
            _ = channels.withLock { $0.removeValue(forKey: key) }
        }

        /// Closes every connection still open once `grace` has passed.
        func closeAll(after grace: TimeAmount, on loop: any EventLoop, logger: Logger) {
            let scheduled = loop.scheduleTask(in: grace) { [self] in
                let all = channels.withLock { $0 }
                if !all.isEmpty { logger.warning("shutdown grace over: closing connections", metadata: ["connections": "\(all.count)"]) }
                for channel in all.values { channel.close(promise: nil) }
            }
            deadline.withLock { $0 = scheduled }
        }

        func cancelDeadline() {
            deadline.withLock { $0?.cancel() }
        }
    }

    /// How long a refused connection may take to read its refusal (or the idle timeout, if shorter).
    static let refusalTimeout = TimeAmount.seconds(10)

    /// Tells a connection over the limit so, and closes it; `within` bounds how long that may
    /// take: over TLS the refusal waits for the handshake, which a client may never begin.
    private static func refuse(_ channel: any Channel, logger: Logger, limit: Int, within timeout: TimeAmount) async {
        logger.warning("connection refused: too many connections", metadata: ["limit": "\(limit)"])
        let deadline = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        defer { deadline.cancel() }
        let reply = ByteBuffer(string: "ERR LIMIT_EXCEEDED too many connections (limit \(limit)); try again later\r\n")
        try? await channel.writeAndFlush(reply)
        try? await channel.close()
    }
}
