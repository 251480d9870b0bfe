/// Why the ledger refused a request. Every case leaves the ledger unchanged, except
/// `wrongPIN`, whose failed attempt is itself journaled (it counts towards the lock).
///
/// `code` is the stable, upper-case name that the command protocol reports.
public enum LedgerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An argument is missing or malformed; the first value names it.
    case invalid(String, String)
    /// A referenced account, point, material, token or entry does not exist.
    case notFound(String)
    /// The id is already taken.
    case alreadyExists(String)
    /// A client ref was reused with different arguments, or the entry was already reversed.
    case conflict(String)
    /// The debited account's balance is too small.
    case insufficientPoints(String)
    /// A rule's limit: material weight bounds, a merchant's minimum redemption, a closed point.
    case limitExceeded(String)
    /// Arithmetic would leave Int64 centipoints or grams.
    case overflow(String)
    /// Redemptions and donations are locked after repeated wrong PINs.
    case locked(String)
    /// The PIN did not match; `remaining` attempts before the account locks.
    case wrongPIN(account: String, remaining: Int)
    /// The request is well-formed but not allowed for this account or state.
    case forbidden(String)
    /// The entry's actor is not an active token (revoked, or never issued).
    case unauthenticated(String)

    public var code: String {
        switch self {
        case .invalid: "BAD_ARGUMENT"
        case .notFound: "NOT_FOUND"
        case .alreadyExists: "ALREADY_EXISTS"
        case .conflict: "CONFLICT"
        case .insufficientPoints: "INSUFFICIENT_POINTS"
        case .limitExceeded, .overflow: "LIMIT_EXCEEDED"
        case .locked: "LOCKED"
        case .wrongPIN: "WRONG_PIN"
        case .forbidden: "FORBIDDEN"
        case .unauthenticated: "NOT_AUTHENTICATED"
        }
    }

    public var message: String {
        switch self {
        case .invalid(let argument, let why): "\(argument): \(why)"
        case .notFound(let why), .alreadyExists(let why), .conflict(let why), .insufficientPoints(let why),
             .limitExceeded(let why), .overflow(let why), .locked(let why), .forbidden(let why), .unauthenticated(let why):
            why
        case .wrongPIN(let account, let remaining):
            remaining == 0
                ? "wrong PIN for \(account); redemptions are now locked until an administrator unlocks"
                : "wrong PIN for \(account); \(remaining) attempt(s) left before the account locks"
        }
    }

    public var description: String { "\(code) \(message)" }
}
