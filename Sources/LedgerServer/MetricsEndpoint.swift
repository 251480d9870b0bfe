import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// `ecoledgerd --metrics HOST:PORT`: `GET /metrics` over HTTP/1.1, answered with the text a
/// metrics backend renders (swift-prometheus's exposition format), for Prometheus to scrape.
///
/// Read-only and unauthenticated, as Prometheus expects: bind it to loopback or a monitoring
/// network (docs/OPERATIONS.md). One response per connection, then close; a connection gets
/// `deadline` to send its request, and at most `maxConnections` are served at once (more are
/// closed at once), so nobody can hold the server's descriptors through this port.
public struct MetricsEndpoint: Sendable {
    public var host: String
    public var port: Int
    /// The exposition text, rendered after the ledger's gauges have been refreshed.
    public var render: @Sendable () -> String
    public var deadline: TimeAmount = .seconds(5)
    public var maxConnections = 8

    public init(host: String, port: Int, render: @escaping @Sendable () -> String) {
        self.host = host
        self.port = port
        self.render = render
    }

    typealias Listener = NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>

    /// Binds the address (failing at start-up, not later, when it is taken).
    func bind() async throws -> Listener {
        let deadline = self.deadline
        do {
            return try await bootstrap(deadline)
        } catch {
            throw ListenAddress.unusable(host: host, port: port, error, option: "--metrics")
        }
    }

    private func bootstrap(_ deadline: TimeAmount) async throws -> Listener {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(CloseAfter(deadline))
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                }
            }
    }

    /// Serves until the task is cancelled; `refresh` runs before each rendering.
    func serve(_ server: Listener, refresh: @escaping @Sendable () async -> Void) async throws {
        let render = self.render, limit = maxConnections
        let open = OpenCount()
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { connections in
                for try await connection in connections {
                    guard open.value.add(1, ordering: .relaxed).newValue <= limit else {
                        open.value.subtract(1, ordering: .relaxed)
                        try? await connection.channel.close()
                        continue
                    }
                    group.addTask {
                        defer { open.value.subtract(1, ordering: .relaxed) }
                        try? await Self.answer(connection, refresh: refresh, render: render)
                    }
                }
            }
        }
    }

    private static func answer(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>,
                               refresh: @Sendable () async -> Void, render: @Sendable () -> String) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let request): head = request
                case .body: continue
                case .end:
                    guard let request = head else { return }
                    let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
                    let (status, body): (HTTPResponseStatus, String)
                    if request.method != .GET && request.method != .HEAD {
                        (status, body) = (.methodNotAllowed, "only GET /metrics\n")
                    } else if path != "/metrics" {
                        (status, body) = (.notFound, "not found: the metrics are at /metrics\n")
                    } else {
                        await refresh()
                        (status, body) = (.ok, render())
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: status == .ok ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8")
                    headers.add(name: "Content-Length", value: String(body.utf8.count))
                    headers.add(name: "Connection", value: "close")
                    try await outbound.write(.head(HTTPResponseHead(version: request.version, status: status, headers: headers)))
                    if request.method != .HEAD { try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body)))) }
                    try await outbound.write(.end(nil))
                    return
                }
            }
        }
    }

    /// The connections being answered.
    private final class OpenCount: Sendable {
        let value = Atomic<Int>(0)
    }

    /// Closes the connection `deadline` after it opened, whatever it is doing.
    private final class CloseAfter: ChannelInboundHandler {
        typealias InboundIn = NIOAny
        private let deadline: TimeAmount

        init(_ deadline: TimeAmount) {
            self.deadline = deadline
        }

        func handlerAdded(context: ChannelHandlerContext) {
            let channel = context.channel
            context.eventLoop.scheduleTask(in: deadline) { channel.close(promise: nil) }
        }
    }
}
