@testable import LedgerServer
import LedgerWire
import NIOCore
import NIOEmbedded
import Testing

/// PING answered on the event loop, and only when that keeps replies in request order.
@Suite("PING on the event loop")
struct PingResponderTests {
    static func channel() throws -> (EmbeddedChannel, ServerStats) {
        let stats = ServerStats()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(PingResponder(stats: stats))
        return (channel, stats)
    }

    static func line(_ text: String) -> LineFrame { .line(ByteBuffer(string: text)) }

    @Test("a PING with nothing owed is answered at once and never reaches the session", arguments: ["PING", "ping", "  PiNg\t", "PING\r"])
    func answeredInline(text: String) throws {
        let (channel, stats) = try Self.channel()
        try channel.writeInbound(Self.line(text))
        #expect(try channel.readInbound(as: LineFrame.self) == nil)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "OK pong\r\n"))
        #expect(stats.commands.load(ordering: .relaxed) == 1)
    }

    @Test("anything else goes to the session", arguments: ["PING now", "PINGS", "p\u{131}ng", "HELLO", ""])
    func passedOn(text: String) throws {
        let (channel, _) = try Self.channel()
        try channel.writeInbound(Self.line(text))
        #expect(try channel.readInbound(as: LineFrame.self) == Self.line(text))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    }

    @Test("a PING behind an unanswered request waits its turn; once the reply is written, the next PING is answered inline")
    func orderKept() throws {
        let (channel, _) = try Self.channel()
        try channel.writeInbound(Self.line("DROPOFF R-1 point=CP-1 material=PET kg=1 ref=a"))
        try channel.writeInbound(Self.line("PING"))
        #expect(try channel.readInbound(as: LineFrame.self) == Self.line("DROPOFF R-1 point=CP-1 material=PET kg=1 ref=a"))
        #expect(try channel.readInbound(as: LineFrame.self) == Self.line("PING"), "the session answers it, after the drop-off")
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        try channel.writeOutbound(ByteBuffer(string: "OK seq=13\r\n"))
        try channel.writeOutbound(ByteBuffer(string: "OK pong\r\n"))
        _ = try channel.readOutbound(as: ByteBuffer.self)
        _ = try channel.readOutbound(as: ByteBuffer.self)
        try channel.writeInbound(Self.line("PING"))
        #expect(try channel.readInbound(as: LineFrame.self) == nil)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "OK pong\r\n"))
    }

    @Test("the PINGs of one read are answered together when the read is done: one flush, not one per PING")
    func flushedOncePerRead() throws {
        let (channel, stats) = try Self.channel()
        var flushes = 0
        let counter = FlushCounter { flushes += 1 }
        try channel.pipeline.syncOperations.addHandler(counter, position: .first)
        for _ in 0..<3 { channel.pipeline.fireChannelRead(Self.line("PING")) }
        #expect(flushes == 0, "nothing is flushed while the read goes on")
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.pipeline.fireChannelReadComplete()
        #expect(flushes == 1)
        for _ in 0..<3 { #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "OK pong\r\n")) }
        #expect(stats.commands.load(ordering: .relaxed) == 3)
        channel.pipeline.fireChannelReadComplete()
        #expect(flushes == 1, "a read with no PING flushes nothing")
    }

    /// Counts the flushes that reach the channel.
    final class FlushCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        let counted: () -> Void

        init(_ counted: @escaping () -> Void) {
            self.counted = counted
        }

        func flush(context: ChannelHandlerContext) {
            counted()
            context.flush()
        }
    }
}
