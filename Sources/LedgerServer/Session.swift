import LedgerProtocol
import LedgerWire
import Logging
import NIOCore

/// One client connection, as the last handler of its channel: reads framed lines in order,
/// answers each with exactly one reply, in order, and never lets one bad line or failed command
/// end the connection (except the documented closes: QUIT, a line over the limit, too many
/// failed AUTHs, idle timeout, shutdown).
///
/// It runs on the connection's event loop, so a durable write costs two hand-offs between
/// threads, not four: the event loop queues the transfer for the writer, and the writer's
/// completion writes the reply on the event loop (`WriteTicket.onComplete`). No task sits
/// between them.
///
/// Pipelining: the commands that move points are queued for the writer as soon as they are
/// read, up to `window` in flight, so one connection can fill a whole group commit. Any other
/// command runs alone: it starts once everything before it has been answered, and nothing after
/// it starts until it is answered (so a BALANCE after a DROPOFF on the same connection always
/// sees it, and an AUTH decides how the next line is judged); it runs as a task, off the event
/// loop. Replies go out strictly in order, every reply ready at once in one flush. When `window`
/// lines are read and unanswered, or the client is not reading its replies (the channel is not
/// writable), the session stops reading, and TCP pushes back; no more than `window` lines are
/// ever started and unanswered, however many one read brought.
final class Session: ChannelDuplexHandler {
    typealias InboundIn = LineFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let window = 64

    /// A request as the metrics count it: its verb (`-` for a line that did not parse: labels
    /// take only the server's own verbs) and when its line arrived.
    struct Request: Sendable {
        var verb = "-"
        let arrived = ContinuousClock.now
    }

    /// One reply owed to the client, in request order: made at once, awaited from the writer,
    /// or a command waiting for its turn to run alone.
    private final class Owed {
        var request: Request
        var reply: Reply?
        var close = false
        /// A command that runs once this is the oldest reply owed.
        var waiting: (any ProtocolCommand)?

        init(_ request: Request, reply: Reply? = nil, close: Bool = false) {
            self.request = request
            self.reply = reply
            self.close = close
        }
    }

    private let dispatcher: CommandDispatcher
    private let logger: Logger
    private var machine: SessionMachine
    /// Replies owed, oldest first.
    private var owed = CircularBuffer<Owed>()
    /// Lines read but not started, because a command running alone is ahead of them.
    private var unstarted = CircularBuffer<(LineFrame, Request)>()
    /// A command that runs alone is owed: nothing after it starts until it is answered.
    private var alone = false
    /// No more lines will be read: the client half-closed, or shutdown began.
    private var inputDone = false
    /// Shutdown began: lines not yet started are answered SHUTTING_DOWN.
    private var stopping = false
    /// A reply that closes the connection is owed: later lines are dropped.
    private var closing = false
    private var closed = false
    /// A read held back while `window` lines are unanswered.
    private var readHeld = false
    private var unflushed = false
    /// A flush is queued on the event loop: the replies the writer completes in one batch go out
    /// in one flush.
    private var flushQueued = false
    private var context: ChannelHandlerContext?

    init(dispatcher: CommandDispatcher, peer: String, logger: Logger) {
        self.dispatcher = dispatcher
        self.logger = logger
        machine = SessionMachine(peer: peer)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        closed = true
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Lines the framing hands on as the connection drops cannot be answered: not run.
        guard !closing, context.channel.isActive else { return }
        unstarted.append((unwrapInboundIn(data), Request()))
        advance(context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushIfNeeded(context)
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // `printf 'PING\n' | nc` sends its lines then half-closes: every line it sent is
            // still answered before the connection closes.
            inputDone = true
            advance(context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection ended", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            advance(context)
            flushIfNeeded(context)
        }
        context.fireChannelWritabilityChanged()
    }

    /// Back-pressure: no read while `window` lines wait for their replies, or while the client
    /// leaves its replies unread (even replies made at once, errors or PONGs, would pile up).
    func read(context: ChannelHandlerContext) {
        if mayRead(context) {
            context.read()
        } else {
            readHeld = true
        }
    }

    private func mayRead(_ context: ChannelHandlerContext) -> Bool {
        !inputDone && owed.count + unstarted.count < Self.window && context.channel.isWritable
    }

    /// New work starts only while the client takes its replies: lines already read wait, so a
    /// client that leaves its replies unread holds at most the replies under way (not one
    /// 200 KB HISTORY after another). Shutdown's refusals are short and always go.
    private func mayStart(_ context: ChannelHandlerContext) -> Bool {
        context.channel.isWritable || stopping
    }

    /// Graceful shutdown (on the event loop): stop reading; lines not started are answered
    /// SHUTTING_DOWN, writes already queued finish and their replies are sent, then the
    /// connection closes.
    func beginShutdown() {
        guard let context, !closed else { return }
        stopping = true
        inputDone = true
        context.close(mode: .input, promise: nil)
        advance(context)
    }

    /// Starts what can start, writes what is ready, and reads or closes as the state allows.
    /// At most `window` replies are owed: a read may bring many more lines, and those wait
    /// here, unstarted, until replies go out.
    private func advance(_ context: ChannelHandlerContext) {
        var written: Bool
        repeat {
            while !alone, !closing, !closed, !unstarted.isEmpty, owed.count < Self.window, mayStart(context) {
                let (frame, request) = unstarted.removeFirst()
                start(frame, request, context)
            }
            let before = owed.count
            writeReady(context)
            written = owed.count < before
        } while written && !unstarted.isEmpty && !closed
        if closed { return }
        if inputDone, !closing, owed.isEmpty, unstarted.isEmpty {
            flushIfNeeded(context)
            closeWhenFlushed(context)
        } else if readHeld, mayRead(context) {
            readHeld = false
            context.read()
        }
    }

    /// Judges one line: answers it, queues it for the writer, or sets it to run alone.
    private func start(_ frame: LineFrame, _ request: Request, _ context: ChannelHandlerContext) {
        let buffer: ByteBuffer
        switch frame {
        case .line(let line):
            buffer = line
        case .tooLong:
            logger.notice("line too long; closing")
            owed.append(Owed(request, reply: .error(ProtocolError(.lineTooLong, "request line over the limit; closing")), close: true))
            closing = true
            unstarted.removeAll()
            return
        case .unterminated:
            // The client closed its side in the middle of a line: perhaps it died mid-write, and
            // half a DROPOFF (a shorter weight, a cut ref) must not run. At shutdown it is the
            // server that stopped reading: a request never read gets no reply.
            if stopping { return }
            owed.append(Owed(request, reply: .error(ProtocolError(.badRequest, "request line ended without LF; not executed"))))
            return
        }
        if stopping {
            owed.append(Owed(request, reply: .error(ProtocolError(.shuttingDown, "the server is shutting down; this request was not executed"))))
            return
        }
        var request = request
        switch dispatcher.prepare(buffer.readableBytesView, session: &machine) {
        case .answer(let reply, let verb):
            request.verb = verb ?? request.verb
            owed.append(Owed(request, reply: reply))
        case .queued(let queued):
            request.verb = queued.verb
            let item = Owed(request)
            owed.append(item)
            let owedItem = NIOLoopBound(item, eventLoop: context.eventLoop)
            let session = NIOLoopBound(self, eventLoop: context.eventLoop)
            let dispatcher = self.dispatcher
            queued.ticket.onComplete(on: context.eventLoop) { result in
                switch result {
                case .success(let receipt): owedItem.value.reply = queued.shape(receipt)
                case .failure(let error): owedItem.value.reply = dispatcher.reply(for: error, verb: queued.verb)
                }
                session.value.resume()
            }
        case .run(let command):
            request.verb = command.verb
            let item = Owed(request)
            item.waiting = command
            owed.append(item)
            alone = true
        }
    }

    /// Called on the event loop when an owed reply has been made. The flush waits for the other
    /// tasks already queued on the loop: the writer hands a whole batch's outcomes over at once.
    private func resume() {
        guard let context, !closed else { return }
        advance(context)
        guard unflushed, !flushQueued else { return }
        flushQueued = true
        let session = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let session = session.value
            session.flushQueued = false
            guard let context = session.context, !session.closed else { return }
            session.flushIfNeeded(context)
        }
    }

    /// Writes the owed replies that are ready, oldest first, stopping at the first that is not;
    /// starts a command waiting to run alone once it is the oldest.
    private func writeReady(_ context: ChannelHandlerContext) {
        while let first = owed.first, !closed {
            if let reply = first.reply {
                owed.removeFirst()
                count(reply, for: first.request)
                context.write(wrapOutboundOut(context.channel.allocator.buffer(string: reply.encoded)), promise: nil)
                unflushed = true
                if first.close {
                    flushIfNeeded(context)
                    closeWhenFlushed(context)
                    return
                }
            } else if let command = first.waiting {
                guard mayStart(context) else { return }
                first.waiting = nil
                run(command, for: first, context)
                return
            } else {
                return
            }
        }
    }

    /// Runs a command alone, as a task off the event loop, with a copy of the session's state,
    /// which comes back with the reply (nothing else touches it meanwhile: nothing starts).
    private func run(_ command: any ProtocolCommand, for item: Owed, _ context: ChannelHandlerContext) {
        let dispatcher = self.dispatcher
        let machine = self.machine
        let session = NIOLoopBound(self, eventLoop: context.eventLoop)
        let owedItem = NIOLoopBound(item, eventLoop: context.eventLoop)
        context.eventLoop.makeFutureWithTask { () -> (Reply, Bool, SessionMachine) in
            var machine = machine
            let (reply, close) = await dispatcher.execute(command, session: &machine)
            return (reply, close, machine)
        }.whenSuccess { reply, close, machine in
            let session = session.value
            session.machine = machine
            session.alone = false
            owedItem.value.reply = reply
            owedItem.value.close = close
            if close {
                session.closing = true
                session.unstarted.removeAll()
            }
            session.resume()
        }
    }

    private func flushIfNeeded(_ context: ChannelHandlerContext) {
        guard unflushed else { return }
        unflushed = false
        context.flush()
    }

    /// Closes once what was written has gone out (a client that never reads is closed by the
    /// idle timeout instead).
    private func closeWhenFlushed(_ context: ChannelHandlerContext) {
        guard !closed else { return }
        closing = true
        closed = true
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(channel.allocator.buffer(capacity: 0))).whenComplete { _ in
            channel.close(promise: nil)
        }
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
}
