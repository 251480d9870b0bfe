/// Validation shared by every id the ledger stores: short printable tokens.
///
/// Letters, digits, `.`, `_`, `-` and `:`; 1 to 64 bytes. Ids are case-sensitive. Keeping them
/// this plain means they never need quoting in the protocol, CSV or the canonical encoding.
public protocol LedgerIdentifier: Hashable, Comparable, Sendable, CustomStringConvertible {
    var rawValue: String { get }
    init(unchecked rawValue: String)
    /// The argument name used in error messages (`account`, `point` …).
    static var argumentName: String { get }
}

extension LedgerIdentifier {
    public static var maxLength: Int { 64 }

    /// Validates `text` as an identifier of this kind.
    public init(_ text: String) throws(LedgerError) {
        guard Self.isValid(text) else {
            throw .invalid(Self.argumentName, "\(text.debugDescription) is not a valid id (1 to 64 of A-Z a-z 0-9 . _ - :)")
        }
        self.init(unchecked: text)
    }

    public static func isValid(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= maxLength else { return false }
        // Every replayed entry checks a few ids: the bytes in place when Swift has them so.
        if let valid = utf8.withContiguousStorageIfAvailable({ $0.allSatisfy(IdentifierBytes.isAllowed) }) { return valid }
        return utf8.allSatisfy(IdentifierBytes.isAllowed)
    }

    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Names a resident, merchant, beneficiary or system account.
public struct AccountID: LedgerIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
    public static var argumentName: String { "account" }

    /// Every point is issued from here; its balance is minus the points outstanding.
    public static let issuance = AccountID(unchecked: "sys:issuance")
    /// Merchants' points are retired here when the city pays them.
    public static let settlement = AccountID(unchecked: "sys:settlement")
    /// Points taken out of circulation by an administrator (reserved; no operation uses it yet).
    public static let forfeit = AccountID(unchecked: "sys:forfeit")
    public static let system: [AccountID] = [.issuance, .settlement, .forfeit]

    /// Ids beginning `sys:` are reserved for system accounts.
    public var isSystemReserved: Bool { rawValue.hasPrefix("sys:") }
}

/// Names a collection point (a kiosk site).
public struct PointID: LedgerIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
    public static var argumentName: String { "point" }
}

/// A material's code, such as `PET`, `ALU` or `SACHET`.
public struct MaterialCode: LedgerIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
    public static var argumentName: String { "material" }
}

/// Names an access token (never its secret).
public struct TokenID: LedgerIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
    public static var argumentName: String { "token" }
}

/// A client-chosen reference that makes a money-moving request idempotent.
public struct ClientRef: LedgerIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
    public static var argumentName: String { "ref" }
}

/// Who asked for a change: the id of a token that was active when the entry was written, or
/// one of the fixed actors, the programs that write a ledger without a token.
public struct Actor: LedgerIdentifier {
    public let rawValue: String
    public init(unchecked rawValue: String) { self.rawValue = rawValue }
    public static var argumentName: String { "actor" }

    /// ecoledgerd itself, at start-up: the tokens it issues from `--admin-token-file` and for `--demo`.
    public static let server = Actor(unchecked: "ecoledgerd")
    /// The `--demo` catalogue.
    public static let demo = Actor(unchecked: "demo")
    /// `ecoledger init --example`.
    public static let example = Actor(unchecked: "example")
    /// `ecoledger generate`, the benchmark ledgers.
    public static let generator = Actor(unchecked: "generator")
    /// A resident in their own session (`AUTH RESIDENT`, proven by their PIN): writes only their
    /// own `pin_changed` and the `pin_rejected` of a failed login or PIN change.
    public static let resident = Actor(unchecked: "resident")
    /// The actors that are not tokens. Every other actor must be a token issued by an earlier
    /// entry and not revoked by one (docs/LEDGER.md, "Who may write").
    public static let fixed: Set<Actor> = [.server, .demo, .example, .generator, .resident]

    /// One of `fixed`: five comparisons of short strings, where the set's lookup hashes the id
    /// (every entry written or replayed asks).
    public var isFixed: Bool {
        self == .server || self == .demo || self == .example || self == .generator || self == .resident
    }
}

/// Ids beginning `sys:` belong to the system accounts; nothing else may be created with one.
public enum SystemReserved {
    public static func check<ID: LedgerIdentifier>(_ id: ID) throws(LedgerError) {
        guard !id.rawValue.hasPrefix("sys:") else {
            throw .forbidden("ids beginning sys: are reserved for the system accounts")
        }
    }
}

/// The bytes an id may hold: A-Z a-z 0-9 . _ - :
enum IdentifierBytes {
    @inline(__always)
    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
             UInt8(ascii: "-"), UInt8(ascii: ":"):
            true
        default:
            false
        }
    }
}
