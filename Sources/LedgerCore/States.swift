import LedgerCrypto

/// The kinds of account. System accounts exist from genesis and cannot be opened.
public enum AccountKind: String, CaseIterable, Sendable {
    case resident, merchant, beneficiary, system
}

/// An account as the projections hold it.
public struct AccountState: Hashable, Sendable {
    public var id: AccountID
    public var kind: AccountKind
    /// The name and district the journal holds: merchants', pools' and system accounts', and
    /// residents' opened before profiles existed. Nil for a resident whose name and district
    /// are in their `Profile`, outside the journal.
    public var name: String?
    public var district: String?
    /// The digest of the resident's `Profile` (`profile_digest`); nil once erased, or when the
    /// name is in the journal.
    public var profileDigest: Hash256?
    /// The profile was erased (`account_erased`).
    public var erased: Bool
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
    /// Points of held drop-offs not yet posted or voided: part of `balance`, but not spendable.
    public var pending: Points
    /// The last entry that changed this account (0: genesis).
    public var lastSeq: Int64

    public init(id: AccountID, kind: AccountKind, name: String?, district: String? = nil, profileDigest: Hash256? = nil,
                erased: Bool = false, balance: Points = .zero, minRedeem: Points? = nil, pinDigest: Hash256? = nil,
                pinFailures: Int = 0, locked: Bool = false, closed: Bool = false, pending: Points = .zero, lastSeq: Int64 = 0) {
        self.id = id
        self.kind = kind
        self.name = name
        self.district = district
        self.profileDigest = profileDigest
        self.erased = erased
        self.balance = balance
        self.minRedeem = minRedeem
        self.pinDigest = pinDigest
        self.pinFailures = pinFailures
        self.locked = locked
        self.closed = closed
        self.pending = pending
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
    /// Drop-offs of a held material credit the resident as pending for this long (ms), until
    /// posted or voided; nil: no hold.
    public var holdMs: Int64?
    public var lastSeq: Int64

    /// A hold runs from one second to 90 days.
    public static let holdRange: ClosedRange<Int64> = 1_000...(90 * 86_400_000)

    public init(code: MaterialCode, name: String, rate: Rate, minGrams: Grams?, maxGrams: Grams?, holdMs: Int64? = nil, lastSeq: Int64) {
        self.code = code
        self.name = name
        self.rate = rate
        self.minGrams = minGrams
        self.maxGrams = maxGrams
        self.holdMs = holdMs
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

/// A held drop-off (its material had a hold): its points are pending on the resident's account
/// until a `hold_posted` makes them spendable or a `hold_voided` takes them back; each at most
/// once. Like TigerBeetle's two-phase transfers: every step is an entry.
public struct HoldState: Hashable, Sendable {
    public enum Decision: String, Sendable {
        case posted, voided

        /// The word for it in `hold_action` and on the wire: `post` or `void`.
        public var action: String { self == .posted ? "post" : "void" }

        public init?(action: String) {
            switch action {
            case "post": self = .posted
            case "void": self = .voided
            default: return nil
            }
        }
    }

    public let dropoff: Int64
    public let account: AccountID
    public let amount: Points
    /// The drop-off's time: a posted hold is a lot of that age.
    public let creditedMs: Int64
    /// When the sweep decides it (`hold_action`) if nobody has.
    public let untilMs: Int64
    public var decision: Decision?
    public var lastSeq: Int64

    public init(dropoff: Int64, account: AccountID, amount: Points, creditedMs: Int64, untilMs: Int64, decision: Decision?, lastSeq: Int64) {
        self.dropoff = dropoff
        self.account = account
        self.amount = amount
        self.creditedMs = creditedMs
        self.untilMs = untilMs
        self.decision = decision
        self.lastSeq = lastSeq
    }
}
