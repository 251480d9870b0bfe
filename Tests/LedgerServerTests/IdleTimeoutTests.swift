@testable import LedgerServer
import LedgerWire
import NIOCore
import NIOEmbedded
import Testing

/// The idle and stalled-reader timeouts, on an embedded channel whose clock the test moves:
/// no sleep races a timer, so the results do not depend on how busy the machine is.
@Suite("Idle and stalled connections")
struct IdleTimeoutTests {
    static let timeout = TimeAmount.seconds(5)

    /// An active embedded channel with the handler; the loop's clock starts at zero.
    static func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(IdleTimeoutHandler(timeout: timeout))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7707)).wait()
        return channel
    }

    /// The peer stops (or resumes) reading: NIO reports the channel unwritable (or writable).
    static func setWritable(_ channel: EmbeddedChannel, _ writable: Bool) {
        channel.isWritable = writable
        channel.pipeline.fireChannelWritabilityChanged()
    }

    static func request(_ channel: EmbeddedChannel) throws {
        try channel.writeInbound(LineFrame.line(ByteBuffer(string: "PING")))
        _ = try channel.readInbound(as: LineFrame.self)
    }

    static func reply(_ channel: EmbeddedChannel) throws {
        try channel.writeOutbound(ByteBuffer(string: "OK pong\r\n"))
        _ = try channel.readOutbound(as: ByteBuffer.self)
    }

    @Test("an idle connection is told TIMEOUT and closed after exactly the timeout")
    func idle() throws {
        let channel = try Self.channel()
        try Self.request(channel)
        try Self.reply(channel)
        channel.embeddedEventLoop.advanceTime(by: Self.timeout - .milliseconds(1))
        #expect(channel.isActive)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(string: "ERR TIMEOUT idle for 5 s; closing\r\n"))
        #expect(!channel.isActive)
    }

    /// Holds every write without ever completing it: a peer whose receive window is closed,
    /// with the last replies under the writability limit.
    final class BlackHole: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var held: [EventLoopPromise<Void>?] = []
        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) { held.append(promise) }
        func flush(context: ChannelHandlerContext) {}
    }

    @Test("an idle connection whose TIMEOUT reply cannot be sent is still closed at the timeout")
    func idleAndNotReading() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(BlackHole())
        try channel.pipeline.syncOperations.addHandler(IdleTimeoutHandler(timeout: Self.timeout))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7707)).wait()
        channel.embeddedEventLoop.advanceTime(by: Self.timeout)
        #expect(!channel.isActive, "before the fix the close waited for the reply to be written")
    }

    @Test("activity restarts the idle clock")
    func activityKeepsItOpen() throws {
        let channel = try Self.channel()
        for _ in 0..<10 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(4))
            try Self.request(channel)
            try Self.reply(channel)
        }
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: Self.timeout)
        #expect(!channel.isActive)
    }

    @Test("a connection waiting for a slow command is not idle, however long it takes")
    func busy() throws {
        let channel = try Self.channel()
        try Self.request(channel)
        channel.embeddedEventLoop.advanceTime(by: Self.timeout * 20)
        #expect(channel.isActive)
        try Self.reply(channel)
        channel.embeddedEventLoop.advanceTime(by: Self.timeout)
        #expect(!channel.isActive)
    }

    @Test("a client that stops reading its replies is closed once they have been stuck for the timeout")
    func stalledReader() throws {
        let channel = try Self.channel()
        try Self.request(channel)
        Self.setWritable(channel, false)
        channel.embeddedEventLoop.advanceTime(by: Self.timeout - .milliseconds(1))
        #expect(channel.isActive, "a request is pending, so before this change it stayed open for ever")
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(!channel.isActive)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "nothing more is written to a client that does not read")
    }

    @Test("a reader that catches up in time keeps its connection")
    func slowReaderCatchesUp() throws {
        let channel = try Self.channel()
        try Self.request(channel)
        Self.setWritable(channel, false)
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        Self.setWritable(channel, true)
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive)
    }
}
