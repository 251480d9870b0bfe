import LedgerCrypto

/// One journal entry: the only way the ledger's state ever changes.
///
/// Entries are appended with gap-free sequence numbers and never updated or deleted. Each
/// one's `hash` is SHA-256(`prevHash` ‖ canonical bytes), so the journal is a hash chain.
public struct Entry: Hashable, Sendable {
    public let seq: Int64
    /// UTC milliseconds since the Unix epoch; never less than the previous entry's, and no later
    /// than `latestTimeMs`.
    public let timeMs: Int64
    /// The last millisecond of the year 9999 (9999-12-31T23:59:59.999Z). The rules do calendar
    /// arithmetic on an entry's time (caps, holds, expiry); a time this side of it leaves that
    /// arithmetic far from Int64's ends, so a forged time can be refused rather than overflow.
    public static let latestTimeMs: Int64 = 253_402_300_799_999
    public let body: EntryBody
    public let prevHash: Hash256
    public let hash: Hash256

    public init(seq: Int64, timeMs: Int64, body: EntryBody, prevHash: Hash256, hash: Hash256) {
        self.seq = seq
        self.timeMs = timeMs
        self.body = body
        self.prevHash = prevHash
        self.hash = hash
    }

    /// Seals `body` as entry `seq`, computing its hash with `hasher`.
    public static func seal(_ body: EntryBody, seq: Int64, timeMs: Int64, after prevHash: Hash256,
                            hasher: SHA256.Hasher) throws -> Entry {
        let canonical = CanonicalEncoding.encode(seq: seq, timeMs: timeMs, body: body, prevHash: prevHash)
        let hash = try canonical.withUnsafeBytes { bytes in Result { () throws(CryptoError) in try hasher.digest(after: prevHash, bytes) } }.get()
        return Entry(seq: seq, timeMs: timeMs, body: body, prevHash: prevHash, hash: hash)
    }

    public var kind: EntryKind { body.kind }
    public var canonicalBytes: [UInt8] { CanonicalEncoding.encode(seq: seq, timeMs: timeMs, body: body, prevHash: prevHash) }
}

/// Everything an entry says apart from its place in the chain (seq, time, hashes).
public struct EntryBody: Hashable, Sendable {
    public let kind: EntryKind
    /// The account points leave; nil for entries that move no points.
    public let debit: AccountID?
    /// The account points reach; nil for entries that move no points.
    public let credit: AccountID?
    /// Points moved (positive for transfers, zero otherwise).
    public let amount: Points
    public let actor: Actor
    /// The client's idempotency reference (transfers only).
    public let ref: ClientRef?
    /// The kind's attributes, such as `material` and `grams`; keys are unique.
    public let attributes: EntryAttributes

    public init(kind: EntryKind, debit: AccountID? = nil, credit: AccountID? = nil, amount: Points = .zero,
                actor: Actor, ref: ClientRef? = nil, attributes: EntryAttributes = [:]) {
        self.kind = kind
        self.debit = debit
        self.credit = credit
        self.amount = amount
        self.actor = actor
        self.ref = ref
        self.attributes = attributes
    }

    public subscript(_ key: String) -> String? { attributes[key] }

    /// The points this entry moves, when it has all of a transfer's fields.
    public var transfer: Transfer? {
        guard let debit, let credit, let ref else { return nil }
        return Transfer(debit: debit, credit: credit, amount: amount, ref: ref)
    }
}

/// A movement of points: from `debit` to `credit`, `amount`, under the client's `ref`. What a
/// transfer entry always has, so the code that moves points never unwraps an optional.
public struct Transfer: Hashable, Sendable {
    public let debit: AccountID
    public let credit: AccountID
    public let amount: Points
    public let ref: ClientRef
}
