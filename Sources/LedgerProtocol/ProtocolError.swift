import LedgerCore

/// An error reply: a code from the closed set of docs/PROTOCOL.md and a human message.
///
/// Every refusal, from a malformed line to a ledger rule, reaches the client as one of these;
/// every `LedgerError` case maps to one code (checked by the compiler: the switch is exhaustive).
public struct ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue) \(message)" }

    /// The closed set of error codes.
    public enum Code: String, CaseIterable, Sendable {
        case badRequest = "BAD_REQUEST"
        case unknownCommand = "UNKNOWN_COMMAND"
        case badArgument = "BAD_ARGUMENT"
        case notAuthenticated = "NOT_AUTHENTICATED"
        case forbidden = "FORBIDDEN"
        case notFound = "NOT_FOUND"
        case alreadyExists = "ALREADY_EXISTS"
        case conflict = "CONFLICT"
        case insufficientPoints = "INSUFFICIENT_POINTS"
        case limitExceeded = "LIMIT_EXCEEDED"
        case locked = "LOCKED"
        case wrongPIN = "WRONG_PIN"
        case lineTooLong = "LINE_TOO_LONG"
        case timeout = "TIMEOUT"
        case chainBroken = "CHAIN_BROKEN"
        case shuttingDown = "SHUTTING_DOWN"
        case unavailable = "UNAVAILABLE"
        case internalError = "INTERNAL"
    }

    public static func badArgument(_ name: String, _ why: String) -> ProtocolError {
        ProtocolError(.badArgument, "\(name): \(why)")
    }

    /// The protocol form of a ledger refusal.
    public init(_ error: LedgerError) {
        let code: Code = switch error {
        case .invalid: .badArgument
        case .notFound: .notFound
        case .alreadyExists: .alreadyExists
        case .conflict: .conflict
        case .insufficientPoints: .insufficientPoints
        case .limitExceeded, .overflow: .limitExceeded
        case .locked: .locked
        case .wrongPIN: .wrongPIN
        case .forbidden: .forbidden
        case .unauthenticated: .notAuthenticated
        }
        self.init(code, error.message)
    }
}
