import LedgerPersistence
import Synchronization

/// The outcome of one queued write, to be awaited (once) by whoever queued it.
final class WriteTicket: Sendable {
    private enum State {
        case pending
        case waiting(CheckedContinuation<Result<WriteReceipt, any Error>, Never>)
        case done(Result<WriteReceipt, any Error>)
    }

    private let state = Mutex(State.pending)

    /// Called by the writer once the write's transaction is durable (or failed).
    func complete(_ result: Result<WriteReceipt, any Error>) {
        let waiter: CheckedContinuation<Result<WriteReceipt, any Error>, Never>? = state.withLock { state in
            defer { state = .done(result) }
            if case .waiting(let continuation) = state { return continuation }
            return nil
        }
        waiter?.resume(returning: result)
    }

    /// The outcome if the writer already has it; nil while the write is pending.
    var completed: Result<WriteReceipt, any Error>? {
        state.withLock { state in
            if case .done(let result) = state { return result }
            return nil
        }
    }

    /// The outcome, once the writer has it.
    var result: Result<WriteReceipt, any Error> {
        get async {
            await withCheckedContinuation { continuation in
                let ready: Result<WriteReceipt, any Error>? = state.withLock { state in
                    if case .done(let result) = state { return result }
                    state = .waiting(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
