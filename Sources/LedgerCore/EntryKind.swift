/// What an entry records. The raw value is the `kind` string in the canonical encoding,
/// the database and every export, so it never changes once released.
public enum EntryKind: String, CaseIterable, Sendable {
    case accountOpened = "account_opened"
    case pinChanged = "pin_changed"
    case pinRejected = "pin_rejected"
    case accountUnlocked = "account_unlocked"
    /// The account is closed for good; a resident's remaining points go to `sys:forfeit` in the
    /// same entry (its debit, credit and amount), which has no ref.
    case accountClosed = "account_closed"
    /// A closed resident's profile (name and district, outside the journal) erased for good.
    case accountErased = "account_erased"
    case pointAdded = "point_added"
    case pointClosed = "point_closed"
    /// A collection point's name (and district, when given) corrected: `point`, `name`, [`district`].
    case pointRenamed = "point_renamed"
    /// A merchant's or beneficiary pool's name (and district, when given) corrected: `account`,
    /// `name`, [`district`]. A resident's name is in their profile, outside the journal.
    case accountRenamed = "account_renamed"
    case materialSet = "material_set"
    case tokenIssued = "token_issued"
    case tokenRevoked = "token_revoked"
    /// The scheme's whole settings after the change (`SchemeState`).
    case schemeSet = "scheme_set"
    /// A resident's expired points, as of `as_of`, moved to `sys:forfeit` (debit, credit and
    /// amount, no ref).
    case expiry = "expiry"
    /// A held drop-off's points made spendable (`dropoff`: its seq).
    case holdPosted = "hold_posted"
    /// A held drop-off cancelled: its points go back to `sys:issuance` (debit, credit and
    /// amount, no ref; `dropoff`, `reason`).
    case holdVoided = "hold_voided"
    case dropoff = "dropoff"
    case redemption = "redemption"
    case donation = "donation"
    case settlement = "settlement"
    case reversal = "reversal"

    /// Kinds that move points: they have a debit, a credit, a positive amount and a client ref.
    public var isTransfer: Bool {
        switch self {
        case .dropoff, .redemption, .donation, .settlement, .reversal: true
        default: false
        }
    }

    /// Kinds a reversal may undo (a reversal itself cannot be reversed).
    public var isReversible: Bool { isTransfer && self != .reversal }

    /// Kinds that move points without a client's ref: a closed account's remainder and expired
    /// points (to `sys:forfeit`), a voided hold (back to `sys:issuance`).
    public var movesPointsWithoutRef: Bool { self == .accountClosed || self == .expiry || self == .holdVoided }
}

/// Attribute keys, the names used in the canonical encoding and exports.
public enum AttributeKey {
    public static let account = "account"
    public static let accountKind = "account_kind"
    public static let name = "name"
    public static let district = "district"
    public static let minRedeem = "min_redeem"
    public static let pinDigest = "pin_digest"
    public static let profileDigest = "profile_digest"
    public static let point = "point"
    public static let material = "material"
    public static let rate = "rate"
    public static let minGrams = "min_grams"
    public static let maxGrams = "max_grams"
    public static let grams = "grams"
    public static let token = "token"
    public static let role = "role"
    public static let merchant = "merchant"
    public static let secretHash = "secret_hash"
    public static let reverses = "reverses"
    public static let reason = "reason"
    public static let offsetMinutes = "utc_offset_minutes"
    public static let dailyCap = "daily_cap"
    public static let monthlyCap = "monthly_cap"
    public static let expiryMs = "expiry_ms"
    public static let asOf = "as_of"
    public static let holdMs = "hold_ms"
    public static let holdAction = "hold_action"
    public static let dropoff = "dropoff"
}
