import LedgerPersistence
import NIOCore
import Synchronization

/// The outcome of one queued write, to be awaited (once) by whoever queued it: a task
/// (`result`), or a connection's event loop (`onComplete`), which the writer then wakes directly.
final class WriteTicket: Sendable {
    typealias Outcome = Result<WriteReceipt, any Error>

    private enum State {
        case pending
        case waiting(CheckedContinuation<Outcome, Never>)
        case callback(any EventLoop, @Sendable (Outcome) -> Void)
        case done(Outcome)
    }

    private let state = Mutex(State.pending)

    /// Called by the writer once a batch's transaction is durable (or failed). Completes the
    /// batch's tickets: the outcomes awaited by one event loop are handed to it in
    /// one task, in batch order (one wake-up of the loop, however many of its connections'
    /// writes the batch held, and their replies go out in one flush). An outcome that came
    /// before its callback was registered is delivered in a task of its own, maybe earlier;
    /// the session orders replies itself.
    static func complete(_ outcomes: some Sequence<(WriteTicket, Outcome)>) {
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, calls: [(@Sendable (Outcome) -> Void, Outcome)])] = [:]
        for (ticket, result) in outcomes {
            let previous = ticket.state.withLock { state -> State in
                defer { state = .done(result) }
                return state
            }
            switch previous {
            case .waiting(let continuation): continuation.resume(returning: result)
            case .callback(let loop, let body): byLoop[ObjectIdentifier(loop), default: (loop, [])].calls.append((body, result))
            case .pending, .done: break
            }
        }
        for (loop, calls) in byLoop.values {
            loop.execute { for (body, result) in calls { body(result) } }
        }
    }

    /// The outcome, once the writer has it.
    var result: Outcome {
        get async {
            await withCheckedContinuation { continuation in
                let ready: Outcome? = state.withLock { state in
                    if case .done(let result) = state { return result }
                    state = .waiting(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }

    /// Calls `body` on `loop` with the outcome, once the writer has it (at once if it has):
    /// the writer thread hands the outcome straight to the connection's event loop.
    func onComplete(on loop: any EventLoop, _ body: @escaping @Sendable (Outcome) -> Void) {
        let ready: Outcome? = state.withLock { state in
            if case .done(let result) = state { return result }
            state = .callback(loop, body)
            return nil
        }
        if let ready { loop.execute { body(ready) } }
    }
}
