import LedgerCore
import LedgerStore
import NIOPosix

/// The server's only way to the store.
///
/// Writes go through one dedicated writer thread, the only code that starts SQLite write
/// transactions, so batching several commands into one transaction can be added there alone.
/// Reads run on a small pool of their own threads against WAL readers, so they never wait
/// behind writes and never block Swift's cooperative threads (GRDB calls are synchronous).
final class LedgerGateway: Sendable {
    let store: LedgerStore
    private let writer = NIOThreadPool(numberOfThreads: 1)
    private let readers: NIOThreadPool

    init(store: LedgerStore, readerThreads: Int = 4) {
        self.store = store
        readers = NIOThreadPool(numberOfThreads: readerThreads)
        writer.start()
        readers.start()
    }

    /// Appends through the single writer; returns once the entry is committed.
    func submit(_ request: LedgerRequest) async throws -> LedgerStore.Receipt {
        let store = self.store
        return try await writer.runIfActive { try store.submit(request) }
    }

    /// Runs a read (or CPU-heavy work such as PIN hashing) off the cooperative pool.
    func read<T: Sendable>(_ body: @escaping @Sendable (LedgerStore) throws -> T) async throws -> T {
        let store = self.store
        return try await readers.runIfActive { try body(store) }
    }

    /// Lets running work finish, then stops the threads.
    func shutdown() async throws {
        try await writer.shutdownGracefully()
        try await readers.shutdownGracefully()
    }
}
