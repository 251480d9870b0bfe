import LedgerCrypto

/// The kinds of account. System accounts exist from genesis and cannot be opened.
public enum AccountKind: String, CaseIterable, Sendable {
    case resident, merchant, beneficiary, system
}

/// An account as the projections hold it.
public struct AccountState: Hashable, Sendable {
    public var id: AccountID
    public var kind: AccountKind
    public var name: String
    public var district: String?
    public var balance: Points
    /// A merchant's smallest accepted redemption (billers took at least 200 points).
    public var minRedeem: Points?
    /// SHA-256 of the stored PIN record; nil when no PIN is set.
    public var pinDigest: Hash256?
    /// Wrong PINs in a row since the last success or unlock.
    public var pinFailures: Int
    public var locked: Bool
    /// Closed for good (`account_closed`): no point moves into or out of it again.
    public var closed: Bool
    /// The last entry that changed this account (0: genesis).
    public var lastSeq: Int64

    public init(id: AccountID, kind: AccountKind, name: String, district: String? = nil, balance: Points = .zero,
                minRedeem: Points? = nil, pinDigest: Hash256? = nil, pinFailures: Int = 0, locked: Bool = false,
                closed: Bool = false, lastSeq: Int64 = 0) {
        self.id = id
        self.kind = kind
        self.name = name
        self.district = district
        self.balance = balance
        self.minRedeem = minRedeem
        self.pinDigest = pinDigest
        self.pinFailures = pinFailures
        self.locked = locked
        self.closed = closed
        self.lastSeq = lastSeq
    }

    /// The system accounts every ledger starts with, at balance zero.
    public static let genesis: [AccountState] = [
        AccountState(id: .issuance, kind: .system, name: "Issuance"),
        AccountState(id: .settlement, kind: .system, name: "Settlement"),
        AccountState(id: .forfeit, kind: .system, name: "Forfeit"),
    ]
}

/// A collection point.
public struct PointState: Hashable, Sendable {
    public var id: PointID
    public var name: String
    public var district: String?
    public var active: Bool
    public var lastSeq: Int64

    public init(id: PointID, name: String, district: String?, active: Bool, lastSeq: Int64) {
        self.id = id
        self.name = name
        self.district = district
        self.active = active
        self.lastSeq = lastSeq
    }
}

/// A recyclable material and its current rate and weight limits.
public struct MaterialState: Hashable, Sendable {
    /// The cap applied when a material has no maximum: 500 kg per drop-off.
    public static let defaultMaxGrams = Grams(500_000)

    public var code: MaterialCode
    public var name: String
    public var rate: Rate
    public var minGrams: Grams?
    public var maxGrams: Grams?
    public var lastSeq: Int64

    public init(code: MaterialCode, name: String, rate: Rate, minGrams: Grams?, maxGrams: Grams?, lastSeq: Int64) {
        self.code = code
        self.name = name
        self.rate = rate
        self.minGrams = minGrams
        self.maxGrams = maxGrams
        self.lastSeq = lastSeq
    }

    /// The weights a drop-off of this material may have.
    public var acceptedGrams: ClosedRange<Grams> {
        (minGrams ?? Grams(1))...(maxGrams ?? Self.defaultMaxGrams)
    }
}

/// What an access token allows.
public enum Role: String, CaseIterable, Sendable {
    case admin, `operator`, merchant, auditor
    /// An independent witness of the transparency log: reads checkpoints and consistency
    /// proofs, and hands in cosignatures; nothing else.
    case witness
    /// A resident in a session opened with their own PIN (`AUTH RESIDENT`). No token has this
    /// role: `token_issued` refuses it.
    case resident
}

/// An access token (its secret is only ever held as a SHA-256 hash).
public struct TokenState: Hashable, Sendable {
    public var id: TokenID
    public var role: Role
    public var point: PointID?
    public var merchant: AccountID?
    public var secretHash: Hash256
    public var revoked: Bool
    public var lastSeq: Int64

    public init(id: TokenID, role: Role, point: PointID?, merchant: AccountID?, secretHash: Hash256, revoked: Bool,
                lastSeq: Int64) {
        self.id = id
        self.role = role
        self.point = point
        self.merchant = merchant
        self.secretHash = secretHash
        self.revoked = revoked
        self.lastSeq = lastSeq
    }
}

/// The last entry of the chain: `seq` 0 and the zero hash for an empty ledger.
public struct ChainHead: Hashable, Sendable {
    public var seq: Int64
    public var hash: Hash256
    public var timeMs: Int64

    public init(seq: Int64, hash: Hash256, timeMs: Int64) {
        self.seq = seq
        self.hash = hash
        self.timeMs = timeMs
    }

    public static let genesis = ChainHead(seq: 0, hash: .zero, timeMs: 0)
}
