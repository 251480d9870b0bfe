import LedgerCore
import LedgerCrypto
import LedgerPersistence
import LedgerTransparency
import PostgresNIO

/// The single writer's group commit on PostgreSQL: each batch is judged against the writer's
/// state, then written in one transaction that extends exactly the head the writer last
/// committed, under the lease epoch it holds.
extension PostgresLedger {
    /// Group commit, as SQLite's `submitBatch`: the requests judged in order against the
    /// writer's state, the batch's changes written at once, then COMMIT. A reply may go out only
    /// after this returns, so with `synchronous_commit=remote_apply` every acknowledged entry is
    /// on the synchronous standby too.
    public func submitBatch(_ requests: [LedgerRequest]) throws -> [Result<WriteReceipt, any Error>] {
        try writer.withLock { writer in
            do {
                return try writeBatch(requests, writer: &writer)
            } catch {
                writer.state.forget()
                if case StoreError.unreachable = error { writer.connection?.close(); writer.connection = nil }
                guard requests.count > 1, !(error is Fenced) else { throw Self.reported(error) }
            }
            return requests.map { request in
                do {
                    return try writeBatch([request], writer: &writer)[0]
                } catch {
                    writer.state.forget()
                    return .failure(Self.reported(error))
                }
            }
        }
    }

    /// This process may not write: it holds no lease, or another writer took over.
    struct Fenced: Error, CustomStringConvertible {
        let description: String
    }

    private static func reported(_ error: any Error) -> any Error {
        if let fenced = error as? Fenced { return StoreError.unavailable(fenced.description) }
        return error
    }

    private func writeBatch(_ requests: [LedgerRequest], writer: inout Writer) throws -> [Result<WriteReceipt, any Error>] {
        guard let epoch = writer.epoch else {
            throw Fenced(description: "this ecoledgerd is not the ledger's writer (it holds no writer lease)")
        }
        let connection = try writerConnection(&writer)
        let state = writer.state
        // BEGIN and the batch's first statement, sent together: the lease renewed (a standby's
        // takeover waits for this transaction, then finds the lease just renewed), the head locked,
        // and every entry holding one of the batch's refs (one row each, or one row of NULLs).
        let refs = requests.compactMap { $0.clientRef?.rawValue }
        // Until COMMIT was sent, any failure rolls back (a BEGIN whose next statement failed
        // leaves the connection in an aborted transaction otherwise).
        var finished = false
        defer { if !finished { _ = try? connection.query("ROLLBACK") } }
        let journal = RowDecoding.journalColumns.split(separator: ",").map { "j." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
        let opened = try connection.pipeline([
            ("BEGIN", PostgresBindings()),
            ("""
             WITH lease AS (
                 UPDATE writer_lease SET expires_at = clock_timestamp() + $1 * interval '1 millisecond' WHERE id = 1 AND epoch = $2
                 RETURNING epoch),
             head AS (SELECT seq, hash, time_ms FROM chain_head WHERE id = 1 FOR UPDATE)
             SELECT \(journal), head.seq, head.hash, head.time_ms, (SELECT count(*) FROM lease)
             FROM head LEFT JOIN journal j ON j.ref = ANY($3::text[])
             """, PostgresBindings([.int(leaseMs), .int(epoch), .texts(refs)])),
        ])
        let rows = opened[1].rows.map(PGRow.init)
        guard let first = rows.first, let hash = Hash256(bytes: try first.blob(12, "hash")) else {
            throw StoreError.corrupt("chain_head row is missing or malformed")
        }
        guard try first.integer(14, "renewed") == 1 else {
            throw Fenced(description: "another ecoledgerd took over as the ledger's writer; this one no longer writes")
        }
        let head = ChainHead(seq: try first.integer(11, "seq"), hash: hash, timeMs: try first.integer(13, "time_ms"))
        let found = try rows.filter { !$0.isNull(0) }.map(PGReads.entry)
        let reads = PGReads(connection: connection).prefetched(refs: refs, found: found)
        state.validate(storedHead: head)
        let batch = WriteBatch(reads: reads, committed: state, head: head)
        let results = try batch.run(requests, timeMs: clock)
        let changes = batch.changes
        guard !changes.entries.isEmpty else {
            try connection.query("COMMIT")
            finished = true
            return results
        }
        var frontier = try state.frontier.flatMap { $0.size == head.seq ? $0 : nil } ?? PGTree(connection: connection).frontier(size: head.seq)
        let flush = PGBatchFlush(connection: connection)
        // The write function's call and COMMIT, sent together when the function writes all the
        // batch changes (nearly always). The head moves only from the head this batch extends,
        // and only while the lease is the writer's.
        let write = try flush.writeCall(changes, tree: &frontier, from: head, epoch: epoch, leaseMs: leaseMs)
        if PGBatchFlush.writeCallCoversAll(changes) {
            let written = try connection.pipeline([write, ("COMMIT", PostgresBindings())])
            finished = true
            // A failed guard wrote nothing but the lease's renewal, and that may commit.
            try Self.checkGuard(written[0].rows.first.map(PGRow.init))
            try Self.checkCommitted(written[1])
        } else {
            // Checked before the rest is written, and before COMMIT.
            try Self.checkGuard(try connection.pipeline([write])[0].rows.first.map(PGRow.init))
            try flush.writeRest(changes)
            let committed = try connection.pipeline([("COMMIT", PostgresBindings())])[0]
            finished = true
            try Self.checkCommitted(committed)
        }
        state.commit(changes, frontier: frontier)
        acknowledged.store(changes.head.seq, ordering: .releasing)
        return results
    }

    /// The batch statement's row: (lease renewed, head moved).
    private static func checkGuard(_ row: PGRow?) throws {
        guard let row else { throw StoreError.corrupt("the batch's write returned no row") }
        guard try row.integer(0, "lease") == 1 else {
            throw Fenced(description: "another ecoledgerd took over as the ledger's writer; this one no longer writes")
        }
        guard try row.integer(1, "head") == 1 else {
            throw Fenced(description: "the ledger's head moved under this writer; nothing was written")
        }
    }

    /// PostgreSQL answers the COMMIT of a failed transaction with ROLLBACK.
    private static func checkCommitted(_ result: PostgresQueryResult) throws {
        guard result.metadata.command == "COMMIT" else {
            throw StoreError.unavailable("PostgreSQL rolled the batch back (\(result.metadata.command))")
        }
    }
}
