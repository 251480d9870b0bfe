import LedgerCore
import LedgerPersistence
import LedgerProtocol
import Logging
import NIOPosix

/// An error that knows its own `ERR` reply. Every error a handler can expect conforms; anything
/// else is answered `INTERNAL` and logged (`ErrorReplies.reply`), never passed on in words.
protocol ReplyingError: Error {
    /// The reply; `verb` and `logger` for the errors worth an operator's look.
    func protocolError(verb: String, logger: Logger) -> ProtocolError
}

extension ProtocolError: ReplyingError {
    func protocolError(verb: String, logger: Logger) -> ProtocolError { self }
}

extension LedgerError: ReplyingError {
    func protocolError(verb: String, logger: Logger) -> ProtocolError { ProtocolError(self) }
}

extension StoreError: ReplyingError {
    func protocolError(verb: String, logger: Logger) -> ProtocolError {
        switch self {
        case .unavailable(let why):
            logger.error("write refused by storage", metadata: ["command": "\(verb)", "reason": "\(why)"])
            return ProtocolError(.unavailable, "\(why); retry later with the same ref")
        case .unreachable(let why):
            // Hosts and the database's own words stay in the log: a client learns only what to do.
            logger.error("the ledger's database is unreachable", metadata: ["command": "\(verb)", "reason": "\(why)"])
            return ProtocolError(.unavailable, "the ledger's database cannot be reached; retry later with the same ref")
        default:
            break
        }
        logger.error("command failed", metadata: ["command": "\(verb)", "error": "\(self)"])
        return ErrorReplies.internalError
    }
}

extension NIOThreadPoolError.ThreadPoolInactive: ReplyingError {
    func protocolError(verb: String, logger: Logger) -> ProtocolError {
        ProtocolError(.shuttingDown, "the server is shutting down; retry later")
    }
}

/// The `ERR` reply of any error.
enum ErrorReplies {
    static let internalError = ProtocolError(.internalError, "internal error; the ledger is unchanged")

    static func reply(for error: any Error, verb: String, logger: Logger) -> Reply {
        if let error = error as? any ReplyingError { return .error(error.protocolError(verb: verb, logger: logger)) }
        logger.error("command failed", metadata: ["command": "\(verb)", "error": "\(error)"])
        return .error(internalError)
    }
}
