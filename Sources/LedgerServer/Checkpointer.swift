import LedgerCore
import LedgerPersistence
import LedgerCrypto
import LedgerHost
import LedgerProtocol
import LedgerTransparency
import Logging

/// Signs the log's checkpoints: when the ledger has grown, once per tick (the server ticks every
/// `--checkpoint-interval`, so never one signature per write), and keeps each in the ledger file.
/// A RECEIPT for an entry no checkpoint covers yet waits for the next tick.
actor Checkpointer {
    let signer: NoteSigner
    private let gateway: LedgerGateway
    private let logger: Logger
    private var latest: StoredCheckpoint?
    private var waiters: [(seq: Int64, continuation: CheckedContinuation<StoredCheckpoint, any Error>)] = []
    private var stopped = false

    init(signer: NoteSigner, gateway: LedgerGateway, logger: Logger) {
        self.signer = signer
        self.gateway = gateway
        self.logger = logger
    }

    /// Signs a checkpoint of the current head if no stored checkpoint covers it yet; wakes the
    /// receipts waiting for one. Returns the latest checkpoint.
    @discardableResult
    func tick() async throws -> StoredCheckpoint {
        if latest == nil {
            latest = try await gateway.read { try $0.latestCheckpoint() }
            if let latest { try await checkStillExtends(latest) }
        }
        let (size, root) = try await gateway.read { try $0.treeHead() }
        if let latest, latest.size >= size {
            resumeWaiters(with: latest)
            return latest
        }
        var note = SignedNote(text: Checkpoint(origin: signer.key.name, size: size, root: root).text)
        try note.sign(with: signer)
        let text = note.encoded
        try await gateway.write { try $0.recordCheckpoint(size: size, root: root, note: text, timeMs: WallClock.now()) }
        let checkpoint = try await gateway.read { try $0.checkpoint(size: size) }
        guard let checkpoint else { throw StoreError.corrupt("checkpoint \(size) was not stored") }
        logger.debug("checkpoint signed", metadata: ["size": "\(size)"])
        latest = checkpoint
        resumeWaiters(with: checkpoint)
        return checkpoint
    }

    /// A log must never sign two checkpoints that disagree. If the journal no longer reaches the
    /// last one it signed, or has another root at its size (a ledger restored from an old copy,
    /// or rewritten), signing anything would fork the log: the server stops instead.
    private func checkStillExtends(_ checkpoint: StoredCheckpoint) async throws {
        let head = try await gateway.read { try $0.head().seq }
        guard checkpoint.size <= head else {
            throw CheckpointConflict(description: "the ledger has \(head) entries, but the log already signed checkpoint \(checkpoint.size): "
                                     + "it was restored from an older copy or truncated; signing now would fork the log")
        }
        let root = try await gateway.read { try $0.treeRoot(size: checkpoint.size) }
        guard root == checkpoint.root else {
            throw CheckpointConflict(description: "the journal's tree at size \(checkpoint.size) is not the one the log signed: "
                                     + "history was rewritten; signing now would fork the log (run ecoledger verify)")
        }
    }

    /// The journal disagrees with a checkpoint the log signed.
    struct CheckpointConflict: Error, CustomStringConvertible {
        let description: String
    }

    /// The latest checkpoint as served, cosignatures included.
    func current() async throws -> StoredCheckpoint {
        if let size = latest?.size, let fresh = try await gateway.read({ try $0.checkpoint(size: size) }) {
            // A tick may have stored a newer checkpoint while this read waited: never go back.
            if let newer = latest, newer.size > fresh.size { return newer }
            latest = fresh
            return fresh
        }
        return try await tick()
    }

    /// The latest checkpoint once it covers entry `seq`: now, or at the next tick.
    func checkpoint(covering seq: Int64) async throws -> StoredCheckpoint {
        let now = try await current()
        if now.size >= seq { return now }
        guard !stopped else { throw ProtocolError(.shuttingDown, "the server is shutting down; ask again later") }
        return try await withCheckedThrowingContinuation { waiters.append((seq, $0)) }
    }

    /// Fails every waiting receipt: the server is stopping.
    func stop() {
        stopped = true
        for waiter in waiters { waiter.continuation.resume(throwing: ProtocolError(.shuttingDown, "the server is shutting down; ask again later")) }
        waiters = []
    }

    private func resumeWaiters(with checkpoint: StoredCheckpoint) {
        let ready = waiters.filter { $0.seq <= checkpoint.size }
        waiters.removeAll { $0.seq <= checkpoint.size }
        for waiter in ready { waiter.continuation.resume(returning: checkpoint) }
    }
}
