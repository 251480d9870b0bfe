import Synchronization

/// The replies a connection owes, in request order: the reading task adds to it, the reply task
/// drains it. Unlike a plain stream it lets the reply task take, after the one it waited for,
/// every following reply that is ready now (a group commit completes many transfers at once),
/// so they go out in one write and one flush.
final class OwedReplies: Sendable {
    private struct State {
        var items: [Session.Owed] = []
        var waiter: CheckedContinuation<Void, Never>?
        var finished = false
    }

    private let state = Mutex(State())

    func append(_ item: Session.Owed) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.items.append(item)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// No more replies will be added; `next` returns nil once the rest are taken.
    func finish() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// The next owed reply, waiting for one; nil once finished and empty.
    func next() async -> Session.Owed? {
        while true {
            let taken = state.withLock { state -> (item: Session.Owed?, done: Bool) in
                if !state.items.isEmpty { return (state.items.removeFirst(), false) }
                return (nil, state.finished)
            }
            if let item = taken.item { return item }
            if taken.done || Task.isCancelled { return nil }
            // A cancelled reply task (its connection failed) stops waiting at once.
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let wake = state.withLock { state -> Bool in
                        if !state.items.isEmpty || state.finished { return true }
                        state.waiter = continuation
                        return false
                    }
                    if wake { continuation.resume() }
                }
            } onCancel: {
                finish()
            }
        }
    }

    /// The next owed reply if it can be written now without waiting: a reply already made, or a
    /// transfer whose write has completed.
    func nextIfReady() -> Session.Owed? {
        state.withLock { state in
            guard let first = state.items.first else { return nil }
            if case .transfer(let queued, _) = first, queued.ticket.completed == nil { return nil }
            return state.items.removeFirst()
        }
    }
}
