import LedgerCore
import LedgerProtocol

/// What a connection knows about itself between commands, as a state machine (in the manner of
/// SwiftNIO's): a value with one method per event, each saying what the session must do.
/// Nothing here reads the network or the ledger, so every transition is unit-tested without a
/// channel (`SessionMachineTests`).
///
/// States: logged out (where every connection starts); logged in with a token; logged in as a
/// resident, with the PIN record and head of their login; closing. Events: a command arrives
/// (a token revoked since AUTH logs the connection out, then the access check runs), an AUTH
/// succeeds or fails (the fifth failure closes the connection), a malformed AUTH logs out, a
/// resident's session is found ended, a resident changes their own PIN, QUIT.
struct SessionMachine: Sendable {
    enum State: Sendable, Equatable {
        case loggedOut
        case token(Principal)
        /// `record`: the resident's PIN record at login (a changed record ends the session);
        /// `since`: the head at login (an unlock after it means a lock meanwhile).
        case resident(Principal, record: String, since: Int64)
        case closing
    }

    /// Why an AUTH failed; each has its own words, and all count the same.
    enum AuthFailure: Sendable, Equatable {
        case invalidToken
        case wrongResidentPIN
        /// The address has used up its attempts (`AuthThrottle`).
        case throttled
    }

    /// Connections are closed after this many failed AUTHs.
    static let maxFailedAuths = 5

    private(set) var state: State = .loggedOut
    private(set) var failedAuths = 0
    /// The client's IP address, for throttling AUTH across connections.
    let peer: String

    init(peer: String = "unknown") {
        self.peer = peer
    }

    var principal: Principal? {
        switch state {
        case .token(let principal), .resident(let principal, _, _): principal
        case .loggedOut, .closing: nil
        }
    }

    /// The resident's session to check before their command runs: their account, the PIN
    /// record they logged in with, and the head then.
    var residentSession: (account: AccountID, record: String, since: Int64)? {
        guard case .resident(let principal, let record, let since) = state, let account = principal.resident else { return nil }
        return (account, record, since)
    }

    /// A command arrives. A connection whose token has been revoked since its AUTH is logged
    /// out here and told so (unless the command needs no AUTH); then the role matrix decides.
    mutating func authorize(_ command: some ProtocolCommand, isActive: (TokenID) -> Bool) throws(ProtocolError) {
        if let token = principal?.token, !isActive(token) {
            state = .loggedOut
            if !type(of: command).access.anyone {
                throw ProtocolError(.notAuthenticated, "token \(token) has been revoked; this connection is logged out")
            }
        }
        try Access.check(command, by: principal)
    }

    /// An AUTH line that did not parse, or an AUTH that starts: whoever typed it is not
    /// proven to be whoever logged in before.
    mutating func logOut() {
        if state != .closing { state = .loggedOut }
    }

    /// The resident's session has ended (PIN changed, account locked or closed).
    mutating func residentSessionEnded() -> ProtocolError {
        state = .loggedOut
        return ProtocolError(.notAuthenticated, "this resident session has ended (the PIN was changed, or the account locked or closed); log in again")
    }

    /// Applies a handler's outcome; returns the reply to send and whether to close after it.
    mutating func apply(_ outcome: SessionOutcome) -> (reply: Reply, close: Bool) {
        switch outcome {
        case .authFailed(let failure):
            let (error, close) = authFailed(failure)
            return (.error(error), close)
        case .reply(let reply, nil):
            return (reply, false)
        case .reply(let reply, .loggedIn(let principal)):
            state = .token(principal)
            return (reply, false)
        case .reply(let reply, .residentLoggedIn(let account, let record, let since)):
            state = .resident(.resident(account), record: record, since: since)
            return (reply, false)
        case .reply(let reply, .residentPINChanged(let record)):
            if case .resident(let principal, _, let since) = state { state = .resident(principal, record: record, since: since) }
            return (reply, false)
        case .reply(let reply, .quit):
            state = .closing
            return (reply, true)
        }
    }

    /// Counts a failed AUTH (the connection is logged out) and words the refusal; the fifth
    /// failure closes the connection.
    mutating func authFailed(_ failure: AuthFailure) -> (error: ProtocolError, close: Bool) {
        failedAuths += 1
        let close = failedAuths >= Self.maxFailedAuths
        state = close ? .closing : .loggedOut
        let error = switch failure {
        case .throttled:
            ProtocolError(.limitExceeded, "too many AUTH attempts from this address (20 a minute, counted as they start); try again later")
        case .invalidToken:
            ProtocolError(.notAuthenticated, close ? "invalid token; too many failures, closing" : "invalid token")
        case .wrongResidentPIN:
            ProtocolError(.notAuthenticated, close ? "wrong account or PIN; too many failures, closing" : "wrong account or PIN")
        }
        return (error, close)
    }
}
