import LedgerCrypto

/// A typed, validated request to change the ledger, and who made it.
///
/// Parsing happens at the edge (CLI, protocol); a `LedgerRequest` holds only valid values.
public struct LedgerRequest: Sendable {
    public var actor: Actor
    public var command: LedgerCommand

    public init(actor: Actor, command: LedgerCommand) {
        self.actor = actor
        self.command = command
    }
}

/// Every change the ledger accepts. Each one that succeeds appends exactly one entry.
public enum LedgerCommand: Sendable {
    case openAccount(OpenAccount)
    case changePIN(account: AccountID, pin: PINRecord)
    case unlock(account: AccountID)
    /// Records a wrong PIN checked outside the writer (a resident's login or PIN change): it
    /// counts towards the lock like one given at a merchant.
    case rejectPIN(account: AccountID)
    /// Closes an account for good; a resident's remaining points are forfeited.
    case closeAccount(account: AccountID, reason: String)
    /// Erases a closed resident's profile (name and district) for good.
    case eraseAccount(account: AccountID, reason: String)
    case addPoint(id: PointID, name: String, district: String?)
    case closePoint(id: PointID)
    /// A point's name, and its district when given, corrected.
    case renamePoint(id: PointID, name: String, district: String?)
    /// A merchant's or pool's name, and its district when given, corrected.
    case renameAccount(id: AccountID, name: String, district: String?)
    /// Omitted name and limits keep their current values (name is required for a new material).
    /// `holdMs`: nil keeps the current hold, `.some(nil)` removes it.
    case setMaterial(code: MaterialCode, rate: Rate, name: String?, minGrams: Grams?, maxGrams: Grams?, holdMs: Int64?? = nil)
    case issueToken(id: TokenID, role: Role, point: PointID?, merchant: AccountID?, secretHash: Hash256)
    case revokeToken(id: TokenID)
    /// Changes the scheme's settings; nil leaves one as it is, `.some(nil)` clears a cap.
    case setScheme(offsetMinutes: Int?, dailyCap: Points??, monthlyCap: Points??, expiryMs: Int64? = nil,
                   holdAction: HoldState.Decision? = nil, alerts: [AlertThresholds.Setting: Int64] = [:])
    /// Makes a held drop-off's points spendable.
    case postHold(dropoff: Int64)
    /// Cancels a held drop-off: its points go back to `sys:issuance`.
    case voidHold(dropoff: Int64, reason: String)
    /// Moves what of `account`'s points had expired at `asOf` to `sys:forfeit`.
    case expire(account: AccountID, asOf: Int64)
    case dropoff(Dropoff)
    /// Resident → merchant.
    case redeem(Spend)
    /// Resident → beneficiary pool.
    case donate(Spend)
    case settle(merchant: AccountID, amount: Points, ref: ClientRef)
    case reverse(seq: Int64, reason: String, ref: ClientRef)

    public struct OpenAccount: Sendable {
        public var id: AccountID
        public var kind: AccountKind
        public var name: String
        public var district: String?
        public var pin: PINRecord?
        public var minRedeem: Points?
        /// The salt of a resident's profile; nil: a fresh random one (fixed only where every
        /// byte must be reproducible: the example ledger).
        public var profileSalt: [UInt8]?

        public init(id: AccountID, kind: AccountKind, name: String, district: String? = nil, pin: PINRecord? = nil,
                    minRedeem: Points? = nil, profileSalt: [UInt8]? = nil) {
            self.id = id
            self.kind = kind
            self.name = name
            self.district = district
            self.pin = pin
            self.minRedeem = minRedeem
            self.profileSalt = profileSalt
        }
    }

    public struct Dropoff: Sendable {
        public var account: AccountID
        public var point: PointID
        public var material: MaterialCode
        public var grams: Grams
        public var ref: ClientRef

        public init(account: AccountID, point: PointID, material: MaterialCode, grams: Grams, ref: ClientRef) {
            self.account = account
            self.point = point
            self.material = material
            self.grams = grams
            self.ref = ref
        }
    }

    /// A redemption (payee: a merchant) or a donation (payee: a beneficiary pool): the
    /// resident's PIN authorises points leaving their account.
    public struct Spend: Sendable {
        public var account: AccountID
        public var payee: AccountID
        public var amount: Points
        public var pin: PIN
        public var ref: ClientRef
        /// A PIN check already done outside the writer, if any.
        public var pinCheck: PINCheck
        /// The server's PIN key, for a check the writer must redo (the record changed since
        /// `pinCheck`). Set by the server, never taken from a client.
        public var pinKey: PINKey?

        public init(account: AccountID, payee: AccountID, amount: Points, pin: PIN, ref: ClientRef, pinCheck: PINCheck = .unchecked,
                    pinKey: PINKey? = nil) {
            self.pinKey = pinKey
            self.account = account
            self.payee = payee
            self.amount = amount
            self.pin = pin
            self.ref = ref
            self.pinCheck = pinCheck
        }
    }

    /// The outcome of checking a PIN before the request reached the writer.
    ///
    /// PBKDF2 costs milliseconds, and the writer serves everyone, so a server checks PINs on
    /// other threads and passes the outcome along with the exact stored record it checked
    /// against. The rules trust the outcome only while the account's record is still that one;
    /// otherwise (the PIN was changed in between) they check again. Only code that performed
    /// the check may set it: it is never taken from a client.
    public enum PINCheck: Sendable, Equatable {
        case unchecked
        case matched(recordText: String)
        case rejected(recordText: String)
    }
}

/// Free text (names, districts, reasons): 1 to 200 bytes of UTF-8 without control characters.
public enum FreeText {
    public static let maxBytes = 200

    public static func validate(_ text: String, argument: String) throws(LedgerError) -> String {
        guard !text.isEmpty, text.utf8.count <= maxBytes else {
            throw .invalid(argument, "must be 1 to \(maxBytes) bytes")
        }
        // ASCII's control characters are C0 and DEL; others are looked up (C1 and the rest).
        // Most names are ASCII, and the lookup costs a few hundred instructions a character:
        // the audit checks every stored profile's name and district this way.
        let control = text.unicodeScalars.contains { scalar in
            scalar.isASCII ? scalar.value < 0x20 || scalar.value == 0x7F : scalar.properties.generalCategory == .control
        }
        guard !control else { throw .invalid(argument, "must not contain control characters") }
        return text
    }
}
