import LedgerCore
import LedgerPersistence
import LedgerProtocol
import Logging

/// Runs one decoded command for a session: checks access, checks that a resident's session
/// still holds, calls the command's handler and turns whatever it throws into its `ERR` reply.
/// Every failure leaves the session usable. Knows no channel: `Session` feeds it lines off the
/// network, tests feed it lines directly (`CommandHarness`).
struct CommandDispatcher: Sendable {
    let services: ServerServices

    var logger: Logger { services.logger }

    /// May this session run `command` now? A connection whose token has been revoked since
    /// its AUTH is logged out here, on its next command, and told so.
    func authorize(_ command: any ProtocolCommand, session: inout SessionMachine) throws(ProtocolError) {
        if let token = session.principal?.token, !services.tokens.isActive(token), !type(of: command).access.anyone {
            logger.info("logged out: token revoked", metadata: ["token": "\(token)"])
        }
        try session.authorize(command, isActive: services.tokens.isActive)
    }

    /// What to do with one request line, decided as soon as it is read.
    enum Step: Sendable {
        /// Answer at once: the line did not parse, or its command is not allowed. `verb`: the
        /// command's, when the line parsed (for the metrics).
        case answer(Reply, verb: String?)
        /// A transfer already handed to the writer: its reply comes with its receipt.
        case queued(QueuedTransfer)
        /// Run it (`execute`) once everything before it is answered.
        case run(any ProtocolCommand)
    }

    /// Decodes and authorises one line; queues a `PipelinedHandler`'s write at once, in order.
    func prepare(_ line: some Collection<UInt8>, session: inout SessionMachine) -> Step {
        let command: any ProtocolCommand
        var lineVerb: String?, commandVerb: String?
        do {
            guard let parsed = try LineTokenizer.parse(line) else { return .answer(.error(ProtocolError(.badRequest, "empty request")), verb: nil) }
            lineVerb = parsed.verb
            let decoded = try CommandCatalogue.parse(parsed)
            commandVerb = decoded.verb
            try authorize(decoded, session: &session)
            command = decoded
        } catch {
            // Any AUTH that fails logs the connection out, a malformed one included.
            if lineVerb == Commands.Auth.verb { session.logOut() }
            return .answer(.error(error), verb: commandVerb)
        }
        if let queued = enqueue(command, as: session.principal) { return .queued(queued) }
        return .run(command)
    }

    /// The fast path of a `PipelinedHandler` (DROPOFF, SETTLE, REVERSE): queued for the writer
    /// at once, in call order, with no other work before the write. Nil for any other command.
    /// The caller has already authorised it.
    func enqueue(_ command: any ProtocolCommand, as principal: Principal?) -> QueuedTransfer? {
        (command as? any PipelinedHandler)?.enqueue(as: principal, on: services.gateway)
    }

    /// The reply, and whether the connection closes after it.
    func execute(_ command: any ProtocolCommand, session: inout SessionMachine) async -> (reply: Reply, close: Bool) {
        do {
            try authorize(command, session: &session)
            if command is Commands.Auth {
                session.logOut()
            } else if !(command is Commands.Quit) {
                try await checkResidentSession(&session)
            }
            let context = CommandContext(principal: session.principal, peer: session.peer, services: services)
            if let handler = command as? any SessionHandler {
                let outcome = try await handler.handle(context)
                let result = session.apply(outcome)
                if case .authFailed(let failure) = outcome {
                    // Every failed AUTH, of a token or a resident, is logged here with the peer.
                    logger.warning(failure == .throttled ? "AUTH refused: too many attempts from this address" : "AUTH failed",
                                   metadata: ["peer": "\(session.peer)", "failures": "\(session.failedAuths)", "closing": "\(result.close)"])
                }
                return result
            }
            guard let handler = command as? any CommandHandler else {
                // The catalogue test walks every command for a handler: this is never reached.
                logger.critical("no handler", metadata: ["command": "\(command.verb)"])
                return (.error(ErrorReplies.internalError), false)
            }
            return (try await handler.handle(context), false)
        } catch {
            return (reply(for: error, verb: command.verb), false)
        }
    }

    /// The `ERR` reply for anything a command threw.
    func reply(for error: any Error, verb: String) -> Reply {
        ErrorReplies.reply(for: error, verb: verb, logger: logger)
    }

    /// A resident's session lasts while their account is open and unlocked and their PIN record
    /// is the one they logged in with (a PIN changed by an administrator ends it).
    private func checkResidentSession(_ session: inout SessionMachine) async throws {
        guard let resident = session.residentSession else { return }
        let current = try await services.gateway.read { store -> String? in
            guard let state = try store.account(resident.account), !state.closed, !state.locked,
                  !(try store.wasUnlocked(resident.account, after: resident.since)) else { return nil }
            return try store.pinRecord(resident.account)?.text
        }
        guard let current, current == resident.record else { throw session.residentSessionEnded() }
    }
}
