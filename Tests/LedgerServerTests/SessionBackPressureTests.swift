@testable import LedgerServer
import LedgerWire
import Logging
import NIOCore
import NIOEmbedded
import Testing

/// The session's reads, on an embedded channel: when it asks the socket for more input, and
/// when it holds back.
@Suite("Session back-pressure")
struct SessionBackPressureTests {
    /// Counts the reads that reach the head of the pipeline (the socket).
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    static func channel(_ harness: CommandHarness) async throws -> (EmbeddedChannel, ReadCounter) {
        let counter = ReadCounter()
        var logger = Logger(label: "session")
        logger.logLevel = .critical
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(Session(dispatcher: harness.dispatcher, peer: "192.0.2.1", logger: logger))
        try await channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 1)).get()
        return (channel, counter)
    }

    static func replies(_ channel: EmbeddedChannel) throws -> [String] {
        var replies: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            if buffer.readableBytes > 0 { replies.append(String(buffer: buffer)) }
        }
        return replies
    }

    @Test("while a client leaves its replies unread, nothing more is read from it and no line already read is started; both resume when it catches up")
    func unwritableHoldsReadsAndStarts() async throws {
        try await CommandHarness.with { harness in
            let (channel, counter) = try await Self.channel(harness)
            defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
            channel.read()
            #expect(counter.reads == 1)
            channel.isWritable = false
            channel.pipeline.fireChannelWritabilityChanged()
            // Unknown verbs are answered without waiting for anything: they would pile up (as
            // would one 200 KB HISTORY after another).
            for _ in 0..<3 { try channel.writeInbound(LineFrame.line(ByteBuffer(string: "NO-SUCH-VERB"))) }
            channel.pipeline.fireChannelReadComplete()
            channel.read()
            #expect(counter.reads == 1, "no read while the replies back up")
            #expect(try Self.replies(channel).isEmpty, "no line is started while the replies back up")
            channel.isWritable = true
            channel.pipeline.fireChannelWritabilityChanged()
            #expect(try Self.replies(channel).count == 3, "the lines read start once the client reads again")
            #expect(counter.reads == 2, "and the held read goes out")
        }
    }

    @Test("a half-close with half a line: the lines before it are answered, the cut line is refused, then the connection closes")
    func unterminatedThenClose() async throws {
        try await CommandHarness.with { harness in
            let (channel, _) = try await Self.channel(harness)
            defer { _ = try? channel.finish(acceptAlreadyClosed: true) }
            try channel.writeInbound(LineFrame.line(ByteBuffer(string: "NO-SUCH-VERB")))
            try channel.writeInbound(LineFrame.unterminated)
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            channel.embeddedEventLoop.run()
            let replies = try Self.replies(channel)
            #expect(replies == ["ERR UNKNOWN_COMMAND unknown command \"NO-SUCH-VERB\"\r\n",
                                "ERR BAD_REQUEST request line ended without LF; not executed\r\n"], "\(replies)")
            #expect(!channel.isActive, "closed once every line was answered")
        }
    }
}
