import LedgerCore
import LedgerPersistence
import LedgerProtocol

extension Commands.AccountOpen: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let record: PINRecord? = if let pin { try await context.services.pinRecord(pin) } else { nil }
        let receipt = try await context.submit(.openAccount(.init(id: id, kind: kind, name: name, district: district, pin: record,
                                                                  minRedeem: minRedeem)))
        return Replies.appended(receipt, [("account", id.rawValue)])
    }
}

extension Commands.AccountShow: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let id = self.id
        let (account, profile) = try await context.ledger.read { store in
            guard let account = try store.account(id) else { throw LedgerError.notFound("no account \(id)") }
            return (account, account.name == nil ? try store.profile(id) : nil)
        }
        return .ok(EntryFields.account(account, profile: profile))
    }
}

/// `ACCOUNT PIN ID pin=NEW` by an administrator; `ACCOUNT PIN ID old=PIN pin=NEW` checks the
/// current PIN off the writer first: a wrong one is journaled and counts towards the lock
/// (`WRONG_PIN`, with the attempts left: the caller is the resident, or an administrator). A
/// resident's session carries on with the new PIN.
extension Commands.AccountPIN: SessionHandler {
    func handle(_ context: CommandContext) async throws -> SessionOutcome {
        guard let old else {
            let record = try await context.services.pinRecord(pin)
            return .reply(Replies.appended(try await context.submit(.changePIN(account: id, pin: record))), then: nil)
        }
        let services = context.services, id = self.id, key = services.pinKey
        guard let attempt = services.pinThrottle.begin(context.peer) else {
            throw ProtocolError(.limitExceeded, "too many wrong PINs from this address; try again later")
        }
        let check = try await context.ledger.read { store -> (matches: Bool, failures: Int) in
            guard let account = try store.account(id) else { throw LedgerError.notFound("no account \(id)") }
            guard account.kind == .resident else { throw LedgerError.invalid("account", "\(id) is not a resident") }
            guard let record = try store.pinRecord(id) else { throw PINRefusal.noPIN(id) }
            guard !account.locked else { throw PINRefusal.locked(id) }
            return (try record.matches(old, key: key), account.pinFailures)
        }
        guard check.matches else {
            _ = try await context.submit(.rejectPIN(account: id))
            throw PINRefusal.wrongPIN(id, failuresBefore: check.failures)
        }
        services.pinThrottle.succeeded(attempt)
        let record = try await services.pinRecord(pin)
        let receipt = try await context.submit(.changePIN(account: id, pin: record))
        return .reply(Replies.appended(receipt), then: context.principal?.resident == id ? .residentPINChanged(record: record.text) : nil)
    }
}

extension Commands.AccountUnlock: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        Replies.appended(try await context.submit(.unlock(account: id)))
    }
}

extension Commands.AccountClose: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        let receipt = try await context.submit(.closeAccount(account: id, reason: reason))
        // A closed merchant's tokens could do nothing but read its balance: they go too.
        let id = self.id
        let tokens = try await context.ledger.read { try $0.tokens() }.filter { $0.merchant == id && !$0.revoked }
        for token in tokens { _ = try await context.services.revoke(token.id, as: context.actor) }
        var fields: Reply.Fields = [("account", id.rawValue), ("forfeited", receipt.entry.body.amount.description)]
        if !tokens.isEmpty { fields.append(("revoked_tokens", String(tokens.count))) }
        return Replies.appended(receipt, fields)
    }
}

extension Commands.AccountErase: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        Replies.appended(try await context.submit(.eraseAccount(account: id, reason: reason)), [("account", id.rawValue)])
    }
}

extension Commands.AccountRename: CommandHandler {
    func handle(_ context: CommandContext) async throws -> Reply {
        Replies.appended(try await context.submit(.renameAccount(id: id, name: name, district: district)), [("account", id.rawValue)])
    }
}
