import LedgerProtocol
import LedgerWire
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// One client connection: reads framed lines in order, answers each with exactly one reply, in
/// order, and never lets one bad line or failed command end the connection (except the
/// documented closes: QUIT, a line over the limit, too many failed AUTHs, idle timeout, shutdown).
///
/// Pipelining: the commands that move points are queued for the writer as soon as they are
/// read, up to `window` in flight, so one connection can fill a whole group commit. Any other
/// command waits until everything before it has been answered, then runs; so a BALANCE after a
/// DROPOFF on the same connection always sees it. A reply task writes the replies strictly in
/// order. When `window` replies are outstanding the session stops reading, and TCP pushes back.
struct Session {
    static let window = 64

    let channel: NIOAsyncChannel<LineFrame, ByteBuffer>
    let dispatcher: CommandDispatcher
    let logger: Logger

    /// Set when graceful shutdown begins: lines not yet started are answered SHUTTING_DOWN.
    final class ShutdownFlag: Sendable {
        let raised = Atomic<Bool>(false)
    }

    /// A reply owed to the client, in request order, with what metrics need of its request.
    enum Owed: Sendable {
        case reply(Reply, close: Bool, Request)
        case transfer(QueuedTransfer, Request)
    }

    /// A request as the metrics count it: its verb (`-` for a line that did not parse: labels
    /// take only the server's own verbs) and when its line arrived.
    struct Request: Sendable {
        var verb = "-"
        let arrived = ContinuousClock.now
    }

    /// Counts one answered request, for STATS and the metrics.
    private func count(_ reply: Reply, for request: Request) {
        dispatcher.services.stats.commands.add(1, ordering: .relaxed)
        let code: String
        if case .error(let error) = reply {
            dispatcher.services.stats.errors.add(1, ordering: .relaxed)
            code = error.code.rawValue
        } else {
            code = "OK"
        }
        dispatcher.services.stats.metrics.request(verb: request.verb, code: code, duration: ContinuousClock.now - request.arrived)
    }

    func run() async {
        let stopping = ShutdownFlag()
        let channel = self.channel
        do {
            try await channel.executeThenClose { inbound, outbound in
                let owed = OwedReplies()
                let (written, wrote) = AsyncStream.makeStream(of: Void.self)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // However the reading side ends (a close, an error), the reply task is let go.
                    defer { owed.finish() }
                    group.addTask { try await writeReplies(owed, to: outbound, signalling: wrote) }
                    try await withGracefulShutdownHandler {
                        try await readRequests(inbound, outbound: outbound, owe: owed, written: written, stopping: stopping)
                    } onGracefulShutdown: {
                        // Stop reading; writes already queued finish and their replies are sent.
                        stopping.raised.store(true, ordering: .sequentiallyConsistent)
                        channel.channel.close(mode: .input, promise: nil)
                    }
                    owed.finish()
                    try await group.waitForAll()
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
    }

    /// The reply task: resolves the owed replies in order and writes them, every reply that is
    /// ready at once in one write (one flush, one system call for a whole group commit's worth).
    private func writeReplies(_ owed: OwedReplies, to outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
                              signalling wrote: AsyncStream<Void>.Continuation) async throws {
        defer { wrote.finish() }
        while let first = await owed.next() {
            var batch = [await resolve(first)]
            while !batch[batch.count - 1].close, let ready = owed.nextIfReady() { batch.append(await resolve(ready)) }
            for (reply, _, request) in batch { count(reply, for: request) }
            try await outbound.write(contentsOf: batch.map { ByteBuffer(string: $0.reply.encoded) })
            for _ in batch { wrote.yield() }
            if batch[batch.count - 1].close { return }
        }
    }

    /// The reply an owed item stands for (waiting for its write, if it is a transfer).
    private func resolve(_ item: Owed) async -> (reply: Reply, close: Bool, request: Request) {
        switch item {
        case .reply(let ready, let closing, let request):
            return (ready, closing, request)
        case .transfer(let queued, let request):
            switch await queued.ticket.result {
            case .success(let receipt): return (queued.shape(receipt), false, request)
            case .failure(let error): return (dispatcher.reply(for: error, verb: queued.verb), false, request)
            }
        }
    }

    /// The reading side: decodes, authorises and either queues a transfer or, once everything
    /// before it is answered, runs the command.
    private func readRequests(_ inbound: NIOAsyncChannelInboundStream<LineFrame>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
                              owe: OwedReplies, written: AsyncStream<Void>, stopping: ShutdownFlag) async throws {
        var session = SessionMachine(peer: channel.channel.remoteAddress?.ipAddress ?? "unknown")
        var outstanding = 0
        var replies = written.makeAsyncIterator()
        /// Waits until at most `limit` replies are outstanding; false when the reply task has stopped.
        func settle(_ limit: Int) async -> Bool {
            while outstanding > limit {
                guard await replies.next() != nil else { return false }
                outstanding -= 1
            }
            return true
        }
        for try await frame in inbound {
            var request = Request()
            guard await settle(Self.window - 1) else { return }
            outstanding += 1
            guard case .line(let buffer) = frame else {
                logger.notice("line too long; closing")
                owe.append(.reply(.error(ProtocolError(.lineTooLong, "request line over the limit; closing")), close: true, request))
                return
            }
            if stopping.raised.load(ordering: .sequentiallyConsistent) {
                owe.append(.reply(.error(ProtocolError(.shuttingDown, "the server is shutting down; this request was not executed")), close: false, request))
                continue
            }
            let command: any ProtocolCommand
            switch dispatcher.prepare(buffer.readableBytesView, session: &session) {
            case .answer(let reply, let verb):
                request.verb = verb ?? request.verb
                owe.append(.reply(reply, close: false, request))
                continue
            case .queued(let queued):
                request.verb = queued.verb
                owe.append(.transfer(queued, request))
                continue
            case .run(let decoded):
                request.verb = decoded.verb
                command = decoded
            }
            // Everything else runs only once all earlier requests are answered. Then nothing is
            // owed, the reply task is idle, and this reply can be written here directly: order
            // holds, and the common one-request-at-a-time client saves a hop between tasks.
            guard await settle(1) else { return }
            let (reply, close) = await dispatcher.execute(command, session: &session)
            count(reply, for: request)
            try await outbound.write(ByteBuffer(string: reply.encoded))
            outstanding -= 1
            if close { return }
        }
    }
}
