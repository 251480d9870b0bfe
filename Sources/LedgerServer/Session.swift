import LedgerProtocol
import LedgerWire
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// One client connection: reads framed lines in order, answers each with exactly one reply,
/// and never lets one bad line or failed command end the connection (except the documented
/// closes: QUIT, a line over the limit, too many failed AUTHs, idle timeout, shutdown).
struct Session {
    let channel: NIOAsyncChannel<LineFrame, ByteBuffer>
    let executor: CommandExecutor
    let logger: Logger

    /// Set when graceful shutdown begins: lines not yet started are answered SHUTTING_DOWN.
    final class ShutdownFlag: Sendable {
        let raised = Atomic<Bool>(false)
    }

    func run() async {
        let stopping = ShutdownFlag()
        let channel = self.channel
        do {
            try await channel.executeThenClose { inbound, outbound in
                try await withGracefulShutdownHandler {
                    var state = SessionState()
                    for try await frame in inbound {
                        let (reply, close) = await handle(frame, state: &state, stopping: stopping)
                        executor.stats.commands.add(1, ordering: .relaxed)
                        if reply.isError { executor.stats.errors.add(1, ordering: .relaxed) }
                        try await outbound.write(ByteBuffer(string: reply.encoded))
                        if close { return }
                    }
                } onGracefulShutdown: {
                    // Stop reading; the command in flight finishes and its reply is sent.
                    stopping.raised.store(true, ordering: .sequentiallyConsistent)
                    channel.channel.close(mode: .input, promise: nil)
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
    }

    private func handle(_ frame: LineFrame, state: inout SessionState, stopping: ShutdownFlag) async -> (Reply, close: Bool) {
        guard case .line(let buffer) = frame else {
            logger.notice("line too long; closing")
            return (.error(ProtocolError(.lineTooLong, "request line over the limit; closing")), true)
        }
        if stopping.raised.load(ordering: .sequentiallyConsistent) {
            return (.error(ProtocolError(.shuttingDown, "the server is shutting down; this request was not executed")), false)
        }
        let command: Command
        do {
            guard let line = try LineTokenizer.parse(buffer.readableBytesView) else {
                return (.error(ProtocolError(.badRequest, "empty request")), false)
            }
            command = try CommandParser.parse(line)
        } catch {
            return (.error(error), false)
        }
        return await executor.execute(command, state: &state)
    }
}
