import Synchronization

/// Slows down guessing tokens and PINs from one address across many connections.
///
/// Each connection is closed after 5 failed AUTHs; this counts attempts per source address over
/// a sliding window. An attempt counts from the moment it starts (`begin`), before any token or
/// PIN is looked at, so N attempts in flight from one address count as N: once an address has
/// `limit` attempts in `window` (failed, or not yet answered), its next AUTH is refused
/// (LIMIT_EXCEEDED) without any PIN work until old ones age out. An attempt that succeeds is
/// taken back (`succeeded`). The clock is injectable so tests replay exactly.
final class AuthThrottle: Sendable {
    let limit: Int
    let window: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private struct Attempts {
        var byAddress: [String: [(id: UInt64, at: ContinuousClock.Instant)]] = [:]
        var nextID: UInt64 = 0
    }
    private let attempts = Mutex(Attempts())

    /// One AUTH attempt counted against its address; `succeeded` takes it back.
    struct Attempt: Sendable {
        fileprivate let address: String
        fileprivate let id: UInt64
    }

    init(limit: Int = 20, window: Duration = .seconds(60), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.limit = limit
        self.window = window
        self.now = now
    }

    /// Counts an attempt from `address` before it is checked; nil when the address has used up
    /// its attempts (then nothing is counted and nothing may be checked).
    func begin(_ address: String) -> Attempt? {
        let now = now()
        return attempts.withLock { state -> Attempt? in
            var recent = (state.byAddress[address] ?? []).filter { now - $0.at < window }
            guard recent.count < limit else {
                state.byAddress[address] = recent
                return nil
            }
            state.nextID &+= 1
            recent.append((state.nextID, now))
            state.byAddress[address] = recent
            return Attempt(address: address, id: state.nextID)
        }
    }

    /// The attempt logged in: it no longer counts against its address.
    func succeeded(_ attempt: Attempt) {
        attempts.withLock { state in
            guard var recent = state.byAddress[attempt.address] else { return }
            recent.removeAll { $0.id == attempt.id }
            state.byAddress[attempt.address] = recent.isEmpty ? nil : recent
        }
    }
}
