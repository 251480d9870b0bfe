import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// A client connection to `ecoledgerd`: send request lines, read whole replies.
///
/// Used by `ecoledger connect` and `ecoledger call`, and by the tests that drive the server
/// over real sockets. A reply is one line, or for a list (`OK n=N` exactly) that line and N more.
public final class LedgerConnection {
    private var inbound: NIOAsyncChannelInboundStream<LineFrame>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    /// Connects (over TLS with `tls`, see `LedgerTLS`), runs `body` with the connection, and
    /// closes it whatever happens.
    /// `silenceLimit`: close the connection (the pending call then fails) when the server has
    /// sent nothing for this long, for clients that must not hang on a network gone silent (a
    /// kiosk); nil waits as long as it takes (an `AUDIT` may be slow).
    public static func withConnection<T>(host: String, port: Int, tls: NIOSSLContext? = nil, maxReplyLine: Int = 1 << 20,
                                         silenceLimit: TimeAmount? = nil,
                                         _ body: (LedgerConnection) async throws -> T) async throws -> T {
        let handshake = tls == nil ? nil : TLSHandshakeWaiter()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(silenceLimit ?? .seconds(10))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let silenceLimit {
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: silenceLimit))
                        try channel.pipeline.syncOperations.addHandler(CloseWhenSilent())
                    }
                    if let tls, let handshake {
                        try channel.pipeline.syncOperations.addHandler(try LedgerTLS.clientHandler(tls, host: host))
                        try channel.pipeline.syncOperations.addHandler(handshake)
                    }
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: maxReplyLine)))
                    return try NIOAsyncChannel<LineFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            // Nothing is sent before the handshake is over: a failed one is reported as itself,
            // not as a write on a closed channel.
            if let handshake {
                try await handshake.completed(on: channel.channel.eventLoop)
                try await LedgerTLS.checkDialledName(host, on: channel.channel)
            }
            return try await body(LedgerConnection(inbound: inbound.makeAsyncIterator(), outbound: outbound))
        }
    }

    private init(inbound: NIOAsyncChannelInboundStream<LineFrame>.AsyncIterator, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.inbound = inbound
        self.outbound = outbound
    }

    /// Sends one request line (an LF is added) without waiting for its reply.
    public func send(_ line: String) async throws {
        try await outbound.write(ByteBuffer(string: line + "\n"))
    }

    /// Sends raw bytes exactly as given (for tests of malformed input).
    public func sendRaw(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// The next reply's lines (without CRLF), or nil when the server has closed the connection.
    public func readReply() async throws -> [String]? {
        guard let first = try await readLine() else { return nil }
        guard let count = Self.listCount(first) else { return [first] }
        // No reply of the protocol is this long; a server that says so is not trusted with memory.
        guard count <= Self.maxListLines else { throw ReplyTooLong() }
        var lines = [first]
        for _ in 0..<count {
            guard let line = try await readLine() else { throw ConnectionClosed() }
            lines.append(line)
        }
        return lines
    }

    /// Sends a request and waits for its reply.
    public func call(_ line: String) async throws -> [String] {
        try await send(line)
        guard let reply = try await readReply() else { throw ConnectionClosed() }
        return reply
    }

    private func readLine() async throws -> String? {
        switch try await inbound.next() {
        case .line(let buffer)?:
            var text = String(buffer: buffer)
            if text.hasSuffix("\r") { text.removeLast() }
            return text
        case .tooLong?:
            throw ReplyTooLong()
        case .unterminated?, nil:
            // A reply cut off by the close is no reply.
            return nil
        }
    }

    /// N when `line` is a list header, exactly `OK n=N`.
    /// The longest list a client accepts (HISTORY's 1,000 lines is the longest the protocol sends).
    public static let maxListLines = 100_000

    public static func listCount(_ line: String) -> Int? {
        guard line.hasPrefix("OK n="), let count = Int(line.dropFirst(5)), count >= 0, "OK n=\(count)" == line else { return nil }
        return count
    }

    /// The server closed the connection before a full reply arrived.
    public struct ConnectionClosed: Error, CustomStringConvertible {
        public init() {}
        public var description: String { "the server closed the connection" }
    }

    /// A reply line was longer than the client accepts.
    public struct ReplyTooLong: Error, CustomStringConvertible {
        public var description: String { "a reply line was too long" }
    }
}

/// Closes the connection when `IdleStateHandler` says nothing was read for its timeout.
final class CloseWhenSilent: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Completes when the TLS handshake has, or fails with its error (or a close before it ended).
final class TLSHandshakeWaiter: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny
    private var promise: EventLoopPromise<Void>?
    private var outcome: Result<Void, any Error>?

    /// The handshake's outcome; the handler's state is only touched on the channel's loop.
    func completed(on loop: any EventLoop) async throws {
        try await loop.submit { () -> EventLoopFuture<Void> in
            if let outcome = self.outcome { return loop.makeCompletedFuture(outcome) }
            let promise = loop.makePromise(of: Void.self)
            self.promise = promise
            return promise.futureResult
        }.flatMap { $0 }.get()
    }

    private func finish(_ result: Result<Void, any Error>) {
        guard outcome == nil else { return }
        outcome = result
        promise?.completeWith(result)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted? = event as? TLSUserEvent { finish(.success(())) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(TLSHandshakeClosed()))
        context.fireChannelInactive()
    }
}

/// The server closed the connection before the TLS handshake ended.
public struct TLSHandshakeClosed: Error, CustomStringConvertible {
    public var description: String { "the server closed the connection during the TLS handshake" }
}
