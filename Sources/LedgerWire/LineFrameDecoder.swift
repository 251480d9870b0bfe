import NIOCore

/// What the line framing hands on: a complete line, or the news that a line broke the limit or
/// was cut off.
public enum LineFrame: Sendable, Equatable {
    /// The line's bytes without its LF (a CR before the LF is kept; the tokenizer drops it).
    case line(ByteBuffer)
    /// A line exceeded the maximum length; nothing more is decoded on this connection.
    case tooLong
    /// The input ended in the middle of a line (bytes after the last LF, not all blank): the
    /// peer closed its side or died mid-write, so what came is not known to be the whole line.
    case unterminated
}

/// Splits a byte stream into LF-terminated lines, never buffering more than `maxLength` bytes
/// of an unfinished line.
///
/// NIOExtras' `LineBasedFrameDecoder` has no limit, so a client could make the server buffer
/// an endless line; this one reports `.tooLong` instead and then discards everything after it.
/// Blank lines (only spaces, tabs or a CR) are dropped here: the protocol ignores them, and
/// every frame handed on gets exactly one reply.
public struct LineFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = LineFrame

    private let maxLength: Int
    private var overflowed = false
    /// How far the current buffer has been searched for an LF already.
    private var scanned = 0

    public init(maxLength: Int) {
        precondition(maxLength > 0)
        self.maxLength = maxLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if overflowed {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        let view = buffer.readableBytesView
        let limit = min(view.count, maxLength + 1)
        if let offset = view[(view.startIndex + scanned)..<(view.startIndex + limit)].firstIndex(of: UInt8(ascii: "\n")) {
            let length = offset - view.startIndex
            scanned = 0
            let line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            if !Self.isBlank(line) { context.fireChannelRead(wrapInboundOut(.line(line))) }
            return .continue
        }
        if view.count > maxLength {
            overflowed = true
            buffer.moveReaderIndex(to: buffer.writerIndex)
            context.fireChannelRead(wrapInboundOut(.tooLong))
            return .needMoreData
        }
        scanned = view.count
        return .needMoreData
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // Never half a request: a cut-off line is reported, not handed on.
        if !overflowed, buffer.readableBytes > 0, let rest = buffer.readSlice(length: buffer.readableBytes), !Self.isBlank(rest) {
            context.fireChannelRead(wrapInboundOut(.unterminated))
        }
        scanned = 0
        return .needMoreData
    }

    static func isBlank(_ line: ByteBuffer) -> Bool {
        line.readableBytesView.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }
    }
}
