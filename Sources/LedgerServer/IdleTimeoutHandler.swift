import LedgerWire
import NIOCore

/// Closes a connection that has been idle for `timeout`: no request pending and neither a
/// complete request nor a reply for that long. It answers `ERR TIMEOUT` first.
///
/// It sits after the line framing, so a client holding half a line open is idle (it is closed),
/// while a client waiting for a slow command (a long `AUDIT`) is not: every framed line gets
/// exactly one reply, so requests seen minus replies written is the work in progress.
final class IdleTimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = LineFrame
    typealias InboundOut = LineFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var pending = 0
    private var lastActivity = NIODeadline.now()
    private var check: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { schedule(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        schedule(context: context)
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
        lastActivity = .now()
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        pending = max(0, pending - 1)
        lastActivity = .now()
        context.write(data, promise: promise)
    }

    private func schedule(context: ChannelHandlerContext, at deadline: NIODeadline? = nil) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleTask(deadline: deadline ?? lastActivity + timeout) {
            let (handler, context) = loopBound.value
            handler.fire(context: context)
        }
    }

    private func fire(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        if pending == 0, NIODeadline.now() >= lastActivity + timeout {
            let seconds = timeout.nanoseconds / 1_000_000_000
            let reply = ByteBuffer(string: "ERR TIMEOUT idle for \(seconds) s; closing\r\n")
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(reply)).whenComplete { _ in channel.close(promise: nil) }
        } else if pending > 0 {
            // A command is running: the client is waiting for us, not idle.
            schedule(context: context, at: .now() + timeout)
        } else {
            schedule(context: context)
        }
    }
}
