import LedgerCore
import LedgerPersistence
import LedgerTransparency
import NIOPosix
import Synchronization

/// The server's only way to the store.
///
/// Writes go through one dedicated writer thread, the only code that appends to the journal
/// (the Checkpointer's stored checkpoints and cosignatures are written from the read pool;
/// GRDB runs every write transaction one at a time). It practises **group commit**: every write waiting when it is free goes into
/// one transaction (one fsync), up to `maxBatch`; each request still gets its own outcome, and
/// its caller resumes only once the transaction is durable. A client never holds the writer:
/// replies are written by the sessions, not here.
///
/// Reads run on a small pool of their own threads against WAL readers, so they never wait
/// behind writes and never block Swift's cooperative threads (GRDB calls are synchronous).
final class LedgerGateway: Sendable {
    /// Requests are at most one `--max-line` long, so this also bounds a batch's bytes
    /// (256 × 4 KiB by default).
    static let maxBatch = 256

    let database: any LedgerDatabase
    private let writer = NIOThreadPool(numberOfThreads: 1)
    private let readers: NIOThreadPool
    private let queue = Mutex(WriteQueue())
    let batches = BatchStats()
    private let metrics: ServerMetrics

    private struct WriteQueue {
        var waiting: [(request: LedgerRequest, ticket: WriteTicket)] = []
        var draining = false
    }

    /// How well group commit is doing, for STATS.
    final class BatchStats: Sendable {
        let transactions = Atomic<Int>(0)
        let writes = Atomic<Int>(0)
        let largest = Atomic<Int>(0)
    }

    init(database: any LedgerDatabase, metrics: ServerMetrics = ServerMetrics(), readerThreads: Int = 4) {
        self.database = database
        self.metrics = metrics
        readers = NIOThreadPool(numberOfThreads: readerThreads)
        writer.start()
        readers.start()
    }

    /// Appends through the single writer; returns once the entry is committed.
    func submit(_ request: LedgerRequest) async throws -> WriteReceipt {
        try await enqueue(request).result.get()
    }

    /// Queues `request` for the writer at once, in call order, and returns a ticket for its
    /// outcome. Requests queued one after another commit in that order, which is what lets a
    /// session keep several pipelined writes in flight and still answer them in order.
    func enqueue(_ request: LedgerRequest) -> WriteTicket {
        let ticket = WriteTicket()
        let startDraining = queue.withLock { queue in
            queue.waiting.append((request, ticket))
            defer { queue.draining = true }
            return !queue.draining
        }
        if startDraining {
            writer.submit { [self] state in
                guard state == .active else { return failWaiting(NIOThreadPoolError.ThreadPoolInactive()) }
                drain()
            }
        }
        return ticket
    }

    /// On the writer thread: commits batches until nothing is waiting.
    private func drain() {
        while true {
            let batch = queue.withLock { queue in
                let batch = Array(queue.waiting.prefix(Self.maxBatch))
                queue.waiting.removeFirst(batch.count)
                if batch.isEmpty { queue.draining = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            let results: [Result<WriteReceipt, any Error>]
            let started = ContinuousClock.now
            do {
                results = try database.submitBatch(batch.map(\.request))
            } catch {
                results = batch.map { _ in .failure(error) }
            }
            metrics.batch(size: batch.count, duration: ContinuousClock.now - started)
            batches.transactions.add(1, ordering: .relaxed)
            batches.writes.add(batch.count, ordering: .relaxed)
            batches.largest.max(batch.count, ordering: .relaxed)
            WriteTicket.complete(zip(batch.lazy.map(\.ticket), results))
        }
    }

    private func failWaiting(_ error: any Error) {
        let waiting = queue.withLock { queue in
            defer { queue.waiting = []; queue.draining = false }
            return queue.waiting
        }
        WriteTicket.complete(waiting.lazy.map { ($0.ticket, .failure(error)) })
    }

    /// Reads on one snapshot of the ledger, off the cooperative pool: every read in `body` sees
    /// the same history.
    func read<T: Sendable>(_ body: @escaping @Sendable (any LedgerReads) throws -> T) async throws -> T {
        let database = self.database
        return try await readers.runIfActive { try database.read(body) }
    }

    /// Writes beside the journal (a signed checkpoint, a witness's cosignature, an erasure's
    /// scrub), which the single writer does not order: the engine runs them one at a time,
    /// between the writer's transactions. Never an entry: those go through `submit`.
    func write<T: Sendable>(_ body: @escaping @Sendable (any LedgerDatabase) throws -> T) async throws -> T {
        let database = self.database
        return try await readers.runIfActive { try body(database) }
    }

    /// CPU work that must not hold Swift's cooperative threads (a PIN's PBKDF2), on the read threads.
    func compute<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await readers.runIfActive { try body() }
    }

    /// The whole audit, on a snapshot of its own.
    func audit(witnessKeys: [NoteKey]) async throws -> Result<AuditReport, AuditFailure> {
        let database = self.database
        return try await readers.runIfActive {
            defer { MemoryRelease.afterLargeRead() }
            return try database.audit(witnessKeys: witnessKeys)
        }
    }

    /// Lets running work finish, then stops the threads.
    func shutdown() async throws {
        try await writer.shutdownGracefully()
        try await readers.shutdownGracefully()
    }
}
