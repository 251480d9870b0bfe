import Foundation

/// Chunks on their way from one stage of the audit to the next: at most `capacity` wait (two
/// are enough to keep the next stage fed; each may hold `ScannedRows.byteLimit` bytes).
/// `cancel` (a later stage stopped) makes `put` and `take` give up, now and from then on.
final class Handoff: @unchecked Sendable {
    static let capacity = 2

    private let condition = NSCondition()
    private var chunks: [ScannedRows] = []
    private var cancelled = false

    /// Waits for room; false when cancelled (the chunk is dropped).
    func put(_ chunk: ScannedRows) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= Self.capacity, !cancelled { condition.wait() }
        guard !cancelled else { return false }
        chunks.append(chunk)
        condition.broadcast()
        return true
    }

    /// Waits for a chunk; nil when cancelled.
    func take() -> ScannedRows? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty, !cancelled { condition.wait() }
        guard !cancelled else { return nil }
        condition.broadcast()
        return chunks.removeFirst()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        chunks = []
        condition.broadcast()
        condition.unlock()
    }
}
