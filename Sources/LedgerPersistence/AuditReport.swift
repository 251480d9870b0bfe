import LedgerCore
import LedgerCrypto
import LedgerTransparency

/// A passed audit.
public struct AuditReport: Sendable, Equatable {
    public let entries: Int64
    public let head: ChainHead
    /// Witnesses' cosignatures kept in the ledger (all checked for form), and how many of them
    /// had their signature checked, with a witness key the audit was given.
    public var cosignatures = 0
    public var cosignaturesVerified = 0

    public init(entries: Int64, head: ChainHead, cosignatures: Int = 0, cosignaturesVerified: Int = 0) {
        self.entries = entries
        self.head = head
        self.cosignatures = cosignatures
        self.cosignaturesVerified = cosignaturesVerified
    }
}

/// The expected head recorded outside the ledger (a receipt, a published checkpoint), which
/// is what lets an audit notice a truncated tail.
public struct ExpectedHead: Sendable, Equatable {
    public let seq: Int64
    public let hash: Hash256

    public init(seq: Int64, hash: Hash256) {
        self.seq = seq
        self.hash = hash
    }

    /// Parses `SEQ:HASH` (hash in hex).
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let seq = Int64(parts[0]), seq >= 0, let hash = Hash256(hex: String(parts[1])) else { return nil }
        self.init(seq: seq, hash: hash)
    }
}

/// A ledger that can be audited whole, whatever its engine (`ecoledger verify`, `copy`, `backup`).
public protocol LedgerAuditing {
    /// The full audit on one snapshot; see `LedgerStore.verify` for the checks.
    func verify(expecting expected: ExpectedHead?, logKey: NoteKey?, anchor: Checkpoint?, witnessKeys: [NoteKey],
                progressEvery: Int64, progress: ((Int64, Int64) -> Void)?) throws -> Result<AuditReport, AuditFailure>
}
