import LedgerWire
import NIOCore
import NIOEmbedded
import Testing

/// The line framing, byte by byte, on an embedded channel.
@Suite("Line framing")
struct LineFrameDecoderTests {
    /// A channel framing lines of at most `maxLength` bytes.
    static func channel(maxLength: Int = 16) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLength: maxLength)))
        return channel
    }

    static func frames(_ channel: EmbeddedChannel) throws -> [LineFrame] {
        var frames: [LineFrame] = []
        while let frame = try channel.readInbound(as: LineFrame.self) { frames.append(frame) }
        return frames
    }

    @Test("lines split at LF, across reads; blank lines are dropped; a CR stays for the tokenizer")
    func lines() throws {
        let channel = try Self.channel()
        defer { _ = try? channel.finish() }
        try channel.writeInbound(ByteBuffer(string: "PING\r\n\n  \nHE"))
        try channel.writeInbound(ByteBuffer(string: "AD\nSTATS\n"))
        #expect(try Self.frames(channel) == [.line(ByteBuffer(string: "PING\r")), .line(ByteBuffer(string: "HEAD")), .line(ByteBuffer(string: "STATS"))])
    }

    @Test("a line over the limit is reported once, before its LF arrives, and nothing after it is decoded")
    func tooLong() throws {
        let channel = try Self.channel(maxLength: 8)
        defer { _ = try? channel.finish() }
        try channel.writeInbound(ByteBuffer(string: "PING\n0123456789"))
        try channel.writeInbound(ByteBuffer(string: "more\nPING\n"))
        #expect(try Self.frames(channel) == [.line(ByteBuffer(string: "PING")), .tooLong])
    }

    @Test("input that ends in the middle of a line is reported unterminated, never handed on as a line")
    func unterminatedOnHalfClose() throws {
        let channel = try Self.channel()
        defer { _ = try? channel.finish() }
        try channel.writeInbound(ByteBuffer(string: "PING\nDROPOFF kg=1"))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try Self.frames(channel) == [.line(ByteBuffer(string: "PING")), .unterminated])
    }

    @Test("a connection that drops mid-line leaves an unterminated frame; blank leftovers leave none")
    func unterminatedOnClose() throws {
        let dropped = try Self.channel()
        try dropped.writeInbound(ByteBuffer(string: "BALANCE R-"))
        _ = try dropped.finish(acceptAlreadyClosed: true)
        #expect(try Self.frames(dropped) == [.unterminated])

        let blank = try Self.channel()
        try blank.writeInbound(ByteBuffer(string: "PING\n \r"))
        _ = try blank.finish(acceptAlreadyClosed: true)
        #expect(try Self.frames(blank) == [.line(ByteBuffer(string: "PING"))])
    }
}
