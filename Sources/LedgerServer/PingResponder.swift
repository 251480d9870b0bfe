import LedgerWire
import NIOCore

/// Answers `PING` on the event loop, without waking the connection's task, when nothing else is
/// owed on the connection (so replies stay in request order). Anything else, and a PING behind an
/// unanswered request, goes on to the session.
///
/// It sits after the framing, before the async channel: the frames it passes on are requests the
/// session will answer with exactly one write each, so frames passed on minus writes seen is
/// what the connection still owes.
final class PingResponder: ChannelDuplexHandler {
    typealias InboundIn = LineFrame
    typealias InboundOut = LineFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let pong = ByteBuffer(string: "OK pong\r\n")
    private let stats: ServerStats
    private var owed = 0
    /// PONGs written since the last flush: every PING of one read is answered, then the replies
    /// go out together when the read is done (one `write` system call, not one per PING).
    private var unflushed = false

    init(stats: ServerStats) {
        self.stats = stats
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if owed == 0, case .line(let line) = frame, Self.isPing(line.readableBytesView) {
            stats.commands.add(1, ordering: .relaxed)
            stats.metrics.request(verb: "PING", code: "OK", duration: nil)
            context.write(wrapOutboundOut(Self.pong), promise: nil)
            unflushed = true
            return
        }
        owed += 1
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if unflushed {
            unflushed = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        owed = max(0, owed - 1)
        context.write(data, promise: promise)
    }

    /// Exactly the requests the tokenizer reads as a bare PING: the verb in any ASCII case,
    /// surrounded by spaces or tabs, and a CR before the LF.
    static func isPing(_ bytes: ByteBufferView) -> Bool {
        var word = bytes[...]
        if word.last == UInt8(ascii: "\r") { word = word.dropLast() }
        while let first = word.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { word = word.dropFirst() }
        while let last = word.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { word = word.dropLast() }
        guard word.count == 4 else { return false }
        return zip(word, "PING".utf8).allSatisfy { byte, expected in byte & 0xDF == expected }
    }
}
