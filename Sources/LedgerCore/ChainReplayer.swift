import LedgerCrypto

/// Why an audit failed, and the first entry at fault.
public struct AuditFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// The first bad seq (for a projection row: the last entry that should have written it).
    public let seq: Int64
    public let reason: String

    public init(seq: Int64, reason: String) {
        self.seq = seq
        self.reason = reason
    }

    public var description: String { "seq \(seq): \(reason)" }
}

/// Verifies a journal fed to it in seq order: seq continuity, each stored prev-hash, each
/// recomputed hash, non-decreasing time, and that every entry could have been appended
/// (replayed through `Effects` into a `LedgerSnapshot`, invariants checked after each one).
/// Once it has thrown, its snapshot may hold part of the failing entry: it is not fed again.
public struct ChainReplayer {
    public private(set) var snapshot: LedgerSnapshot
    private let hasher: SHA256.Hasher

    public init(lookup: LedgerSnapshot.EntryLookup) throws {
        snapshot = LedgerSnapshot(lookup: lookup)
        hasher = try SHA256.Hasher()
    }

    public var head: ChainHead { snapshot.chainHead }

    /// Checks `entry`'s link to the chain (recomputing its hash), then replays it.
    public mutating func feed(_ entry: Entry) throws(AuditFailure) {
        let recomputed: Hash256
        do {
            recomputed = try entry.canonicalBytes.withUnsafeBytes { bytes in Result { () throws(CryptoError) in try hasher.digest(after: entry.prevHash, bytes) } }.get()
        } catch {
            throw AuditFailure(seq: entry.seq, reason: "could not hash: \(error)")
        }
        try ChainLink.check(seq: entry.seq, timeMs: entry.timeMs, prevHash: entry.prevHash, hash: entry.hash,
                            recomputed: recomputed, after: snapshot.chainHead)
        try replay(entry)
    }

    /// Replays an entry whose link to the chain was already checked (`ChainLink`, by an audit
    /// that hashes the stored bytes elsewhere): it must follow the head, and could it have been
    /// appended?
    public mutating func replay(_ entry: Entry) throws(AuditFailure) {
        let fail = { (reason: String) in AuditFailure(seq: entry.seq, reason: reason) }
        guard entry.seq == snapshot.chainHead.seq + 1 else { throw fail("replayed out of order after \(snapshot.chainHead.seq)") }
        var changes: [ProjectionChange]
        do {
            changes = try Effects.changes(of: entry, in: snapshot)
        } catch let error as LedgerError {
            throw fail("entry could not have been appended: \(error.message)")
        } catch {
            throw fail("replay failed: \(error)")
        }
        // One pass over the changes: applied, each account written checked (entries conserve the
        // sum by construction, so only the balances an entry wrote need looking at), and the
        // credited account's kind noted for `append` (an entry with a credit writes that account).
        let credit = entry.body.credit
        var creditKind: AccountKind?
        for index in changes.indices {
            // Moved out of the array, a case without a payload left in its place: the account
            // is not copied, and nothing it holds is retained and released again.
            var change = ProjectionChange.markReversed(original: 0)
            swap(&change, &changes[index])
            if case .putAccount(let account) = change {
                if account.kind != .system, account.balance < .zero {
                    throw fail("account \(account.id) has a negative balance \(account.balance)")
                }
                if account.id == credit { creditKind = account.kind }
            }
            snapshot.apply(consume change, seq: entry.seq)
        }
        if let credit, creditKind == nil { creditKind = snapshot.accounts[credit]?.kind }
        snapshot.append(entry, creditIsResident: creditKind == .resident)
    }
}

/// The checks that tie an entry to the one before it: the next seq, the predecessor's hash as
/// `prev_hash`, its own hash recomputed from its bytes, and time that never goes backwards.
public enum ChainLink {
    public static func check(seq: Int64, timeMs: Int64, prevHash: Hash256, hash: Hash256, recomputed: Hash256,
                             after head: ChainHead) throws(AuditFailure) {
        let fail = { (reason: String) in AuditFailure(seq: seq, reason: reason) }
        guard seq == head.seq + 1 else {
            throw seq > head.seq + 1
                ? AuditFailure(seq: head.seq + 1, reason: "entry \(head.seq + 1) is missing (next stored entry is \(seq))")
                : fail("sequence goes backwards after \(head.seq)")
        }
        guard prevHash == head.hash else { throw fail("prev_hash does not match the hash of entry \(head.seq)") }
        guard recomputed == hash else { throw fail("hash does not match the entry's contents (recomputed \(recomputed.hex))") }
        guard timeMs >= head.timeMs else { throw fail("time goes backwards") }
    }
}
