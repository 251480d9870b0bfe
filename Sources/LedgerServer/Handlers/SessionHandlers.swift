import LedgerCore
import LedgerPersistence
import LedgerProtocol

extension Commands.Ping: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply { .word("pong") }
}

extension Commands.Hello: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        .ok([("proto", "1"), ("server", "ecoledger"), ("version", ServerServices.serverVersion)])
    }
}

extension Commands.Quit: SessionHandler {
    func handle(_ context: CommandContext) async throws -> SessionOutcome { .reply(.word("bye"), then: .quit) }
}

/// `HELP`: the commands the caller may run, from the catalogue that enforces the roles; `HELP
/// COMMAND`: one command's arguments, and whether and how far the caller may use it.
extension Commands.Help: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let allowed = CommandCatalogue.allowed(for: context.principal)
        guard let topic else {
            return .list(allowed.map { command, scope in
                var fields: Reply.Fields = [("command", command.verb), ("usage", command.usage)]
                if !scope.isEmpty { fields.append(("only", scope)) }
                return fields
            })
        }
        guard let command = CommandCatalogue.command(topic) else {
            throw ProtocolError(.unknownCommand, "no command \(topic.debugDescription); HELP lists what you may run")
        }
        let scope = allowed.first { $0.command.verb == command.verb }?.scope
        var fields: Reply.Fields = [("command", command.verb), ("usage", command.usage), ("summary", command.summary),
                                    ("allowed", scope == nil ? "no" : "yes")]
        if let scope, !scope.isEmpty { fields.append(("only", scope)) }
        return .ok(fields)
    }
}

extension Commands.Auth: SessionHandler {
    func handle(_ context: CommandContext) async throws -> SessionOutcome {
        switch credential {
        case .token(let secret): try token(secret, context)
        case .resident(let account, let pin): try await resident(account, pin: pin, context)
        }
    }

    private func token(_ secret: String, _ context: CommandContext) throws -> SessionOutcome {
        let services = context.services
        guard let attempt = services.authThrottle.begin(context.peer) else {
            return .authFailed(.throttled)
        }
        guard let principal = try services.tokens.authenticate(secret) else {
            return .authFailed(.invalidToken)
        }
        services.authThrottle.succeeded(attempt)
        context.logger.info("AUTH", metadata: ["token": "\(principal.actor)", "role": "\(principal.role.rawValue)"])
        var fields: Reply.Fields = [("role", principal.role.rawValue)]
        if let point = principal.point { fields.append(("point", point.rawValue)) }
        if let merchant = principal.merchant { fields.append(("merchant", merchant.rawValue)) }
        fields.append(("token", principal.actor.rawValue))
        return .reply(.ok(fields), then: .loggedIn(principal))
    }

    /// `AUTH RESIDENT ID pin=PIN`. Every failure has the same answer, whether the account is
    /// unknown, not a resident, closed, locked or without a PIN, or the PIN is wrong, and takes
    /// the same time (a decoy PBKDF2 when there is no record to check): an anonymous caller
    /// learns nothing about accounts. A wrong PIN for a resident who has one is journaled
    /// (`pin_rejected`, by the fixed actor `resident`) and counts towards the lock; failures
    /// count towards the connection's and the address's AUTH limits like wrong tokens.
    private func resident(_ id: AccountID, pin: PIN, _ context: CommandContext) async throws -> SessionOutcome {
        let services = context.services
        // Counted before any PIN work: parallel attempts from one address each use one of its 20.
        guard let attempt = services.authThrottle.begin(context.peer) else {
            return .authFailed(.throttled)
        }
        enum Outcome: Sendable { case matched(String, head: Int64), rejected, refused }
        // One attempt per account at a time: parallel guesses cannot all be checked before the
        // first wrong one is journaled and counted towards the lock.
        let outcome: Outcome
        if services.residentLogins.begin(id) {
            defer { services.residentLogins.end(id) }
            let key = services.pinKey, decoy = services.decoyRecord
            outcome = try await context.ledger.read { store -> Outcome in
                let head = try store.head().seq
                guard let account = try store.account(id), account.kind == .resident, !account.closed, !account.locked,
                      let record = try store.pinRecord(id) else {
                    _ = try decoy?.matches(pin, key: key)
                    return .refused
                }
                return try record.matches(pin, key: key) ? .matched(record.text, head: head) : .rejected
            }
            if case .rejected = outcome {
                // Journaled before the next attempt may start, so that attempt sees it counted
                // (this costs a durable write, which an unknown account's answer does not: see
                // PROTOCOL.md). A race with a lock or a PIN change is refused by the writer,
                // which is fine: the attempt failed either way.
                _ = try? await context.ledger.submit(LedgerRequest(actor: .resident, command: .rejectPIN(account: id)))
            }
        } else {
            outcome = .refused
        }
        guard case .matched(let record, let head) = outcome else {
            return .authFailed(.wrongResidentPIN)
        }
        services.authThrottle.succeeded(attempt)
        context.logger.info("AUTH", metadata: ["resident": "\(id)"])
        return .reply(.ok([("role", Role.resident.rawValue), ("account", id.rawValue)]),
                      then: .residentLoggedIn(id, record: record, since: head))
    }
}
