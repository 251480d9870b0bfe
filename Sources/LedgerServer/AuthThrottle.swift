import Synchronization

/// Slows down guessing tokens from one address across many connections.
///
/// Each connection is closed after 5 failed AUTHs; this remembers failures per source address
/// over a sliding window, and once an address has `limit` failures in `window`, its AUTH
/// attempts are refused (LIMIT_EXCEEDED) without looking at the token until old failures age
/// out. The clock is injectable so tests replay exactly.
final class AuthThrottle: Sendable {
    let limit: Int
    let window: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let failures = Mutex<[String: [ContinuousClock.Instant]]>([:])

    init(limit: Int = 20, window: Duration = .seconds(60), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.limit = limit
        self.window = window
        self.now = now
    }

    /// Whether `address` may try to AUTH now.
    func allows(_ address: String) -> Bool {
        let now = now()
        return failures.withLock { failures in
            let recent = (failures[address] ?? []).filter { now - $0 < window }
            failures[address] = recent.isEmpty ? nil : recent
            return recent.count < limit
        }
    }

    /// Records a failed AUTH from `address`.
    func recordFailure(_ address: String) {
        let now = now()
        failures.withLock { failures in
            var recent = (failures[address] ?? []).filter { now - $0 < window }
            recent.append(now)
            // Keep the memory per address bounded however hard someone tries.
            if recent.count > limit { recent.removeFirst(recent.count - limit) }
            failures[address] = recent
        }
    }
}
