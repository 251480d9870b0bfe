import Foundation
import LedgerCore
import LedgerPersistence
import LedgerStore
import LedgerTransparency

/// The audit of a PostgreSQL ledger is the file's audit, run on a copy: one REPEATABLE READ
/// snapshot of every table is copied, value by value, into a new SQLite ledger in an
/// owner-only scratch folder, and `LedgerStore.verify` checks that copy. The rules that judge
/// a ledger are written once, and both engines are held to them byte for byte.
extension PostgresLedger {
    public func verify(expecting expected: ExpectedHead? = nil, logKey: NoteKey? = nil, anchor: Checkpoint? = nil,
                       witnessKeys: [NoteKey] = [], progressEvery: Int64 = 50_000,
                       progress: ((Int64, Int64) -> Void)? = nil) throws -> Result<AuditReport, AuditFailure> {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ecoledger-audit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let copy = try LedgerStore.create(at: folder + "/audit.sqlite")
        defer { try? copy.close() }
        try withRowSource { source in
            try copy.withRowSink { sink in try LedgerCopy.copy(from: source, to: sink) }
        }
        return try copy.verify(expecting: expected, logKey: logKey, anchor: anchor, witnessKeys: witnessKeys,
                               progressEvery: progressEvery, progress: progress)
    }

    public func audit(witnessKeys: [NoteKey]) throws -> Result<AuditReport, AuditFailure> {
        try verify(witnessKeys: witnessKeys)
    }
}

extension PostgresLedger: LedgerDatabase, LedgerAuditing {}
