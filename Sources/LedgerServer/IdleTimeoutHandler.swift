import LedgerWire
import NIOCore

/// Closes a connection that has stopped taking part: idle for `timeout` (no request pending
/// and neither a complete request nor a reply for that long; it is told `ERR TIMEOUT` first),
/// or not reading its replies (the channel unwritable, replies backed up, for `timeout`; it is
/// closed at once, since nothing more can be written to it).
///
/// It sits after the line framing, so a client holding half a line open is idle (it is closed),
/// while a client waiting for a slow command (a long `AUDIT`) is not: every framed line gets
/// exactly one reply, so requests seen minus replies written is the work in progress. A client
/// that pipelines requests and never reads would otherwise hold its slot for ever: its requests
/// are pending, so it never looks idle, but its replies can never be written.
///
/// Time is the event loop's (`EventLoop.now`), so tests drive it with an embedded loop.
final class IdleTimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = LineFrame
    typealias InboundOut = LineFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var pending = 0
    private var lastActivity: NIODeadline?
    /// When the channel last became unwritable (replies backing up), while it still is.
    private var unwritableSince: NIODeadline?
    private var check: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending += 1
        lastActivity = context.eventLoop.now
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        pending = max(0, pending - 1)
        lastActivity = context.eventLoop.now
        context.write(data, promise: promise)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            unwritableSince = nil
            lastActivity = context.eventLoop.now
        } else if unwritableSince == nil {
            unwritableSince = context.eventLoop.now
        }
        context.fireChannelWritabilityChanged()
    }

    private func start(context: ChannelHandlerContext) {
        guard check == nil else { return }
        lastActivity = context.eventLoop.now
        schedule(context: context, at: context.eventLoop.now + timeout)
    }

    private func schedule(context: ChannelHandlerContext, at deadline: NIODeadline) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.fire(context: context)
        }
    }

    private func fire(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        let now = context.eventLoop.now
        if let since = unwritableSince {
            if now >= since + timeout {
                // The client has not read its replies for the whole timeout: nothing can reach it.
                context.close(promise: nil)
            } else {
                schedule(context: context, at: since + timeout)
            }
            return
        }
        let idleSince = lastActivity ?? now
        if pending == 0, now >= idleSince + timeout {
            let seconds = timeout.nanoseconds / 1_000_000_000
            let reply = ByteBuffer(string: "ERR TIMEOUT idle for \(seconds) s; closing\r\n")
            // Close at once, not when the reply has been sent: a client that has stopped reading
            // would otherwise keep the connection (and its slot) for ever. A reader gets the
            // reply; for one that does not read, it is dropped with the connection.
            context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
            context.close(promise: nil)
        } else if pending > 0 {
            // A command is running: the client is waiting for us, not idle.
            schedule(context: context, at: now + timeout)
        } else {
            schedule(context: context, at: idleSince + timeout)
        }
    }
}
