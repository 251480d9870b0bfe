import LedgerCore
import LedgerCrypto
import LedgerProtocol
import LedgerStore
import LedgerTransparency
import Logging
import NIOPosix

/// What a connection knows about itself between commands.
struct SessionState {
    var principal: Principal?
    /// A resident session's PIN record as it was at login: a changed record (or a lock, or a
    /// closure) ends the session.
    var residentRecord: String?
    /// The ledger's head when the resident logged in: an unlock after it means the account was
    /// locked meanwhile, which ends the session too.
    var residentSince: Int64 = 0
    var failedAuths = 0
    /// The client's IP address, for throttling AUTH across connections.
    var peer = "unknown"
    /// Connections are closed after this many failed AUTHs.
    static let maxFailedAuths = 5
}

/// Executes one decoded, authorised command against the ledger and shapes its reply.
///
/// Knows the protocol's replies and the store's API, never SQL; every failure becomes an
/// `ERR` reply and leaves the session usable.
final class CommandExecutor: Sendable {
    static let serverVersion = EcoLedgerVersion.text

    let gateway: LedgerGateway
    let tokens: TokenRegistry
    let stats: ServerStats
    let logger: Logger
    let authThrottle: AuthThrottle
    /// PIN checks of REDEEM, DONATE and ACCOUNT PIN old=, per address: a stolen merchant token
    /// must not try four PINs on every resident (the lock comes at the fifth) at full speed.
    let pinThrottle: AuthThrottle
    let randomBytes: @Sendable (Int) throws -> [UInt8]
    let pinKey: PINKey?
    /// Checked when a resident login names no PIN record, so that it costs what a real check does.
    let decoyRecord: PINRecord?
    let residentLogins = ResidentLogins()
    /// The wall clock, injectable: what "now" is for an expiry sweep.
    let clock: @Sendable () -> Int64
    let checkpointer: Checkpointer?
    let witnesses: [NoteKey]

    init(gateway: LedgerGateway, tokens: TokenRegistry, stats: ServerStats, logger: Logger, authThrottle: AuthThrottle = AuthThrottle(),
         randomBytes: @escaping @Sendable (Int) throws -> [UInt8] = { try SecureRandom.bytes($0) }, pinKey: PINKey? = nil,
         checkpointer: Checkpointer? = nil, witnesses: [NoteKey] = [], clock: @escaping @Sendable () -> Int64 = WallClock.now) {
        self.clock = clock
        self.pinKey = pinKey
        decoyRecord = try? PINRecord.make(for: PIN("0000"), key: pinKey)
        self.checkpointer = checkpointer
        self.witnesses = witnesses
        self.gateway = gateway
        self.tokens = tokens
        self.stats = stats
        self.logger = logger
        self.authThrottle = authThrottle
        pinThrottle = AuthThrottle(limit: authThrottle.limit, window: authThrottle.window)
        self.randomBytes = randomBytes
    }

    /// May this connection run `command` now? A connection whose token has been revoked since
    /// its AUTH is logged out here, on its next command, and told so.
    func authorize(_ command: Command, state: inout SessionState) throws(ProtocolError) {
        if let principal = state.principal, let token = principal.token, !tokens.isActive(token) {
            state.principal = nil
            switch command {
            case .ping, .hello, .auth, .quit, .help:
                break
            default:
                logger.info("logged out: token revoked", metadata: ["token": "\(token)"])
                throw ProtocolError(.notAuthenticated, "token \(token) has been revoked; this connection is logged out")
            }
        }
        try AccessPolicy.check(command, by: state.principal)
    }

    /// The reply, and whether the connection closes after it.
    func execute(_ command: Command, state: inout SessionState) async -> (Reply, close: Bool) {
        do {
            try authorize(command, state: &state)
            switch command {
            case .auth(let secret):
                return try authenticate(secret, state: &state)
            case .authResident(let account, let pin):
                return try await authenticateResident(account, pin: pin, state: &state)
            case .quit:
                return (.word("bye"), true)
            case .accountPIN(let account, let pin, .some(let old)):
                try await checkResidentSession(&state)
                return (try await changePIN(account, to: pin, old: old, state: &state), false)
            default:
                try await checkResidentSession(&state)
                return (try await run(command, as: state.principal, peer: state.peer), false)
            }
        } catch {
            return (reply(for: error, to: command), false)
        }
    }

    /// `HELP`: the commands `principal` may run, from the table that enforces the roles; `HELP
    /// COMMAND`: one command's arguments, and whether and how far the caller may use it.
    static func help(_ topic: String?, for principal: Principal?) throws -> Reply {
        guard let topic else {
            return .list(AccessPolicy.help(for: principal).map { rule, scope in
                var fields: Reply.Fields = [("command", rule.verb), ("usage", rule.usage)]
                if !scope.isEmpty { fields.append(("only", scope)) }
                return fields
            })
        }
        guard let rule = AccessPolicy.rule(topic) else {
            throw ProtocolError(.unknownCommand, "no command \(topic.debugDescription); HELP lists what you may run")
        }
        let scope = AccessPolicy.help(for: principal).first { $0.rule.verb == rule.verb }?.scope
        var fields: Reply.Fields = [("command", rule.verb), ("usage", rule.usage), ("summary", rule.summary),
                                    ("allowed", scope == nil ? "no" : "yes")]
        if let scope, !scope.isEmpty { fields.append(("only", scope)) }
        return .ok(fields)
    }

    /// A resident's session lasts while their account is open and unlocked and their PIN record
    /// is the one they logged in with (a PIN changed by an administrator ends it).
    private func checkResidentSession(_ state: inout SessionState) async throws {
        guard let account = state.principal?.resident else { return }
        let since = state.residentSince
        let current = try await gateway.read { store -> String? in
            guard let state = try store.account(account), !state.closed, !state.locked,
                  !(try store.wasUnlocked(account, after: since)) else { return nil }
            return try store.pinRecord(account)?.text
        }
        guard let current, current == state.residentRecord else {
            state.principal = nil
            state.residentRecord = nil
            throw ProtocolError(.notAuthenticated, "this resident session has ended (the PIN was changed, or the account locked or closed); log in again")
        }
    }

    /// Revokes a token. It stops working before the revocation is even written: a command of
    /// another connection that starts from now on is refused.
    private func revoke(_ id: TokenID, as actor: Actor) async throws -> LedgerStore.Receipt {
        tokens.revokeAhead(id)
        let receipt: LedgerStore.Receipt
        do {
            receipt = try await gateway.submit(LedgerRequest(actor: actor, command: .revokeToken(id: id)))
        } catch {
            tokens.settle(try await gateway.read { try $0.tokenSnapshot() }, revokedAhead: id)
            throw error
        }
        tokens.settle(try await gateway.read { try $0.tokenSnapshot() }, revokedAhead: id)
        return receipt
    }

    /// The expiry sweep: every open resident with points expired at `now` (or at the head's
    /// time, if the clock is behind it) gets one `expiry` entry. Run by `EXPIRE` and by the
    /// server's own ticker. Requests go to the writer 256 at a time, so other writes interleave
    /// with a long first sweep. Returns how many accounts lost points, and how many in all.
    func expireSweep(asOf now: Int64, actor: Actor) async throws -> (accounts: Int, points: Points) {
        let (accounts, holds, asOf, action) = try await gateway.read { store in
            let asOf = max(now, try store.head().timeMs)
            return (try store.residentsWithExpiredPoints(asOf: asOf), try store.holdsDue(asOf: asOf), asOf, try store.scheme().holdAction)
        }
        // Holds nobody decided in time first, as the scheme says: voided points never expire.
        for start in stride(from: 0, to: holds.count, by: LedgerGateway.maxBatch) {
            let tickets = holds[start..<min(start + LedgerGateway.maxBatch, holds.count)].map { seq in
                gateway.enqueue(LedgerRequest(actor: actor, command: action == .posted
                    ? .postHold(dropoff: seq) : .voidHold(dropoff: seq, reason: "the hold ran out")))
            }
            for ticket in tickets {
                if case .failure(let error) = await ticket.result, (error as? LedgerError)?.code != "CONFLICT" {
                    logger.error("deciding a hold failed", metadata: ["error": "\(error)"])
                }
            }
        }
        var expired = 0, points = Points.zero
        for start in stride(from: 0, to: accounts.count, by: LedgerGateway.maxBatch) {
            let tickets = accounts[start..<min(start + LedgerGateway.maxBatch, accounts.count)].map {
                gateway.enqueue(LedgerRequest(actor: actor, command: .expire(account: $0, asOf: asOf)))
            }
            for ticket in tickets {
                switch await ticket.result {
                case .success(let receipt):
                    expired += 1
                    points = try points.adding(receipt.entry.body.amount)
                case .failure(let error as LedgerError) where error.code == "CONFLICT":
                    continue // spent in the meantime: nothing left to expire
                case .failure(let error):
                    logger.error("expiry failed", metadata: ["error": "\(error)"])
                }
            }
        }
        if expired > 0 { logger.info("expired points", metadata: ["accounts": "\(expired)", "points": "\(points)"]) }
        return (expired, points)
    }

    /// `AUTH RESIDENT ID pin=PIN`. Every failure has the same answer, whether the account is
    /// unknown, not a resident, closed, locked or without a PIN, or the PIN is wrong, and takes
    /// the same time (a decoy PBKDF2 when there is no record to check): an anonymous caller
    /// learns nothing about accounts. A wrong PIN for a resident who has one is journaled
    /// (`pin_rejected`, by the fixed actor `resident`) and counts towards the lock; failures
    /// count towards the connection's and the address's AUTH limits like wrong tokens.
    private func authenticateResident(_ id: AccountID, pin: PIN, state: inout SessionState) async throws -> (Reply, close: Bool) {
        state.principal = nil
        state.residentRecord = nil
        // Counted before any PIN work: parallel attempts from one address each use one of its 20.
        guard let attempt = authThrottle.begin(state.peer) else {
            state.failedAuths += 1
            logger.warning("AUTH RESIDENT refused: too many attempts from this address", metadata: ["peer": "\(state.peer)"])
            let closing = state.failedAuths >= SessionState.maxFailedAuths
            return (.error(ProtocolError(.limitExceeded, "too many AUTH attempts from this address (20 a minute, counted as they start); try again later")), closing)
        }
        enum Outcome: Sendable { case matched(String, head: Int64), rejected, refused }
        // One attempt per account at a time: parallel guesses cannot all be checked before the
        // first wrong one is journaled and counted towards the lock.
        let outcome: Outcome
        if residentLogins.begin(id) {
            defer { residentLogins.end(id) }
            let key = pinKey, decoy = decoyRecord
            outcome = try await gateway.read { store -> Outcome in
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
                _ = try? await gateway.submit(LedgerRequest(actor: .resident, command: .rejectPIN(account: id)))
            }
        } else {
            outcome = .refused
        }
        switch outcome {
        case .matched(let record, let head):
            authThrottle.succeeded(attempt)
            state.principal = .resident(id)
            state.residentRecord = record
            state.residentSince = head
            logger.info("AUTH", metadata: ["resident": "\(id)"])
            return (.ok([("role", Role.resident.rawValue), ("account", id.rawValue)]), false)
        case .rejected, .refused:
            state.failedAuths += 1
            let closing = state.failedAuths >= SessionState.maxFailedAuths
            logger.warning("AUTH RESIDENT failed", metadata: ["peer": "\(state.peer)", "failures": "\(state.failedAuths)", "closing": "\(closing)"])
            return (.error(ProtocolError(.notAuthenticated, closing ? "wrong account or PIN; too many failures, closing" : "wrong account or PIN")), closing)
        }
    }

    /// `ACCOUNT PIN ID old=PIN pin=NEW`: the current PIN is checked off the writer; a wrong one is
    /// journaled and counts towards the lock (`WRONG_PIN`, with the attempts left: the caller
    /// is the resident, or an administrator). A resident's session carries on with the new PIN.
    private func changePIN(_ id: AccountID, to pin: PIN, old: PIN, state: inout SessionState) async throws -> Reply {
        let actor = state.principal?.actor ?? .resident
        let key = pinKey
        guard let attempt = pinThrottle.begin(state.peer) else {
            throw ProtocolError(.limitExceeded, "too many wrong PINs from this address; try again later")
        }
        let check = try await gateway.read { store -> (matches: Bool, failures: Int)? in
            guard let account = try store.account(id) else { throw LedgerError.notFound("no account \(id)") }
            guard account.kind == .resident else { throw LedgerError.invalid("account", "\(id) is not a resident") }
            guard let record = try store.pinRecord(id) else { return nil }
            guard !account.locked else { throw LedgerError.locked("account \(id) is locked after \(Effects.pinAttemptLimit) wrong PINs; an administrator must unlock it") }
            return (try record.matches(old, key: key), account.pinFailures)
        }
        guard let check else { throw LedgerError.forbidden("account \(id) has no PIN set") }
        if check.matches { pinThrottle.succeeded(attempt) }
        guard check.matches else {
            _ = try await gateway.submit(LedgerRequest(actor: actor, command: .rejectPIN(account: id)))
            throw LedgerError.wrongPIN(account: id.rawValue, remaining: max(0, Effects.pinAttemptLimit - check.failures - 1))
        }
        let record = try await pinRecord(pin)!
        let receipt = try await gateway.submit(LedgerRequest(actor: actor, command: .changePIN(account: id, pin: record)))
        if state.principal?.resident == id { state.residentRecord = record.text }
        return Self.appended(receipt)
    }

    /// The `ERR` reply for anything a command threw.
    func reply(for error: any Error, to command: Command) -> Reply {
        switch error {
        case let error as ProtocolError:
            return .error(error)
        case let error as LedgerError:
            return .error(ProtocolError(error))
        case is NIOThreadPoolError.ThreadPoolInactive:
            return .error(ProtocolError(.shuttingDown, "the server is shutting down; retry later"))
        case StoreError.unavailable(let why):
            logger.error("write refused by storage", metadata: ["command": "\(command.verb)", "reason": "\(why)"])
            return .error(ProtocolError(.unavailable, "\(why); retry later with the same ref"))
        default:
            logger.error("command failed", metadata: ["command": "\(command.verb)", "error": "\(error)"])
            return .error(ProtocolError(.internalError, "internal error; the ledger is unchanged"))
        }
    }

    /// The reply to a write: `seq`, the command's own fields, `hash`, the entry's `ref` when it
    /// has one, and `replayed=1` for a retry.
    ///
    /// A retry is answered without `balance=`: that would be today's balance, not the entry's,
    /// and a replay must not tell the caller anything its first attempt did not. The `ref` lets
    /// a client check that a reply belongs to its request (a kiosk delivering a queue does).
    static func appended(_ receipt: LedgerStore.Receipt, _ extra: Reply.Fields = []) -> Reply {
        let extra = receipt.replayed ? extra.filter { $0.0 != "balance" } : extra
        var fields: Reply.Fields = [("seq", String(receipt.entry.seq))] + extra + [("hash", receipt.entry.hash.hex)]
        if let ref = receipt.entry.body.ref { fields.append(("ref", ref.rawValue)) }
        if receipt.replayed { fields.append(("replayed", "1")) }
        return .ok(fields)
    }

    /// `balance=` of one of the entry's accounts, as the receipt found it.
    static func balance(_ receipt: LedgerStore.Receipt, of account: AccountID) -> Reply.Fields {
        [("balance", (receipt.balances[account] ?? .zero).description)]
    }

    /// A transfer handed to the writer queue, and how to answer it from its receipt.
    struct QueuedTransfer: Sendable {
        let ticket: WriteTicket
        let shape: @Sendable (LedgerStore.Receipt) -> Reply
    }

    /// The fast path for the commands that move points without a PIN (DROPOFF, SETTLE,
    /// REVERSE): queued for the writer at once, in call order, with no other work before the
    /// write. Nil for any other command (REDEEM and DONATE check a PIN first, off the writer).
    /// The caller has already checked access.
    func enqueueTransfer(_ command: Command, as principal: Principal?) -> QueuedTransfer? {
        let actor = principal?.actor ?? Actor(unchecked: "anonymous")
        func queue(_ ledgerCommand: LedgerCommand, _ shape: @escaping @Sendable (LedgerStore.Receipt) -> Reply.Fields) -> QueuedTransfer {
            let ticket = gateway.enqueue(LedgerRequest(actor: actor, command: ledgerCommand))
            return QueuedTransfer(ticket: ticket) { receipt in Self.appended(receipt, shape(receipt)) }
        }
        switch command {
        case .dropoff(let dropoff):
            return queue(.dropoff(dropoff)) { [("points", $0.entry.body.amount.description)] + Self.balance($0, of: dropoff.account) }
        case .settle(let merchant, let amount, let ref):
            return queue(.settle(merchant: merchant, amount: amount, ref: ref)) { Self.balance($0, of: merchant) }
        case .reverse(let seq, let reason, let ref):
            return queue(.reverse(seq: seq, reason: reason, ref: ref)) { [("amount", $0.entry.body.amount.description)] }
        default:
            return nil
        }
    }

    private func authenticate(_ secret: String, state: inout SessionState) throws -> (Reply, close: Bool) {
        guard let attempt = authThrottle.begin(state.peer) else {
            state.principal = nil
            state.failedAuths += 1
            logger.warning("AUTH refused: too many failures from this address", metadata: ["peer": "\(state.peer)"])
            let closing = state.failedAuths >= SessionState.maxFailedAuths
            return (.error(ProtocolError(.limitExceeded, "too many AUTH attempts from this address (20 a minute, counted as they start); try again later")), closing)
        }
        guard let principal = try tokens.authenticate(secret) else {
            // A failed AUTH logs the connection out: whoever typed it is not proven to be
            // whoever logged in before.
            state.principal = nil
            state.failedAuths += 1
            let closing = state.failedAuths >= SessionState.maxFailedAuths
            logger.warning("AUTH failed", metadata: ["peer": "\(state.peer)", "failures": "\(state.failedAuths)", "closing": "\(closing)"])
            return (.error(ProtocolError(.notAuthenticated, closing ? "invalid token; too many failures, closing" : "invalid token")), closing)
        }
        authThrottle.succeeded(attempt)
        state.principal = principal
        logger.info("AUTH", metadata: ["token": "\(principal.actor)", "role": "\(principal.role.rawValue)"])
        var fields: Reply.Fields = [("role", principal.role.rawValue)]
        if let point = principal.point { fields.append(("point", point.rawValue)) }
        if let merchant = principal.merchant { fields.append(("merchant", merchant.rawValue)) }
        fields.append(("token", principal.actor.rawValue))
        return (.ok(fields), false)
    }

    private func run(_ command: Command, as principal: Principal?, peer: String) async throws -> Reply {
        let actor = principal?.actor ?? Actor(unchecked: "anonymous")
        func submit(_ ledgerCommand: LedgerCommand) async throws -> LedgerStore.Receipt {
            try await gateway.submit(LedgerRequest(actor: actor, command: ledgerCommand))
        }
        switch command {
        case .ping:
            return .word("pong")
        case .hello:
            return .ok([("proto", "1"), ("server", "ecoledger"), ("version", Self.serverVersion)])
        case .auth, .authResident, .quit:
            preconditionFailure("handled by execute")
        case .help(let topic):
            return try Self.help(topic, for: principal)

        case .accountOpen(let id, let kind, let name, let district, let pin, let minRedeem):
            let record = try await pinRecord(pin)
            let receipt = try await submit(.openAccount(.init(id: id, kind: kind, name: name, district: district, pin: record,
                                                              minRedeem: minRedeem)))
            return Self.appended(receipt, [("account", id.rawValue)])
        case .accountShow(let id):
            guard let account = try await gateway.read({ try $0.account(id) }) else { throw LedgerError.notFound("no account \(id)") }
            let profile = account.name == nil ? try await gateway.read { try $0.profile(id) } : nil
            return .ok(EntryFields.account(account, profile: profile))
        case .accountPIN(let id, let pin, _):
            let record = try await pinRecord(pin)!
            return Self.appended(try await submit(.changePIN(account: id, pin: record)))
        case .accountUnlock(let id):
            return Self.appended(try await submit(.unlock(account: id)))
        case .accountClose(let id, let reason):
            let receipt = try await submit(.closeAccount(account: id, reason: reason))
            // A closed merchant's tokens could do nothing but read its balance: they go too.
            let tokens = try await gateway.read { try $0.tokens() }.filter { $0.merchant == id && !$0.revoked }
            for token in tokens { _ = try await revoke(token.id, as: actor) }
            var fields: Reply.Fields = [("account", id.rawValue), ("forfeited", receipt.entry.body.amount.description)]
            if !tokens.isEmpty { fields.append(("revoked_tokens", String(tokens.count))) }
            return Self.appended(receipt, fields)
        case .accountErase(let id, let reason):
            return Self.appended(try await submit(.eraseAccount(account: id, reason: reason)), [("account", id.rawValue)])

        case .schemeSet(let offsetMinutes, let dailyCap, let monthlyCap, let expiryMs, let holdAction, let alerts):
            return Self.appended(try await submit(.setScheme(offsetMinutes: offsetMinutes, dailyCap: dailyCap, monthlyCap: monthlyCap,
                                                             expiryMs: expiryMs, holdAction: holdAction, alerts: alerts)))
        case .post(let seq):
            if let point = principal?.point {
                // An operator posts the holds of its own point's drop-offs only.
                let (entry, hold) = try await gateway.read { store in (try store.entry(seq: seq), try store.hold(seq)) }
                guard let entry, hold != nil else { throw LedgerError.notFound("entry \(seq) is not a held drop-off") }
                guard entry.body[AttributeKey.point] == point.rawValue else {
                    throw ProtocolError(.forbidden, "this operator token posts the held drop-offs of \(point) only")
                }
            }
            return Self.appended(try await submit(.postHold(dropoff: seq)))
        case .void(let seq, let reason):
            let receipt = try await submit(.voidHold(dropoff: seq, reason: reason))
            return Self.appended(receipt, [("amount", receipt.entry.body.amount.description)])
        case .expire:
            let (accounts, points) = try await expireSweep(asOf: clock(), actor: actor)
            return .ok([("expired", String(accounts)), ("points", points.description)])
        case .schemeShow:
            return .ok(EntryFields.scheme(try await gateway.read { try $0.scheme() }))
        case .report(let from, let to, let grouping):
            let report = try await gateway.read { store -> LedgerReport in
                let span = LedgerReport.span(from: from, to: to, offsetMinutes: try store.scheme().offsetMinutes)
                return try store.report(fromMs: span.fromMs, toMs: span.toMs)
            }
            return .list(report.groups(grouping).map { EntryFields.report($0, key: grouping.rawValue) }
                         + [EntryFields.report(LedgerReport.Group(key: "all", figures: report.total), key: "total")])
        case .alerts(let since, let limit):
            return .list(try await gateway.read { try $0.alerts(since: since, limit: limit) }.map(EntryFields.alert))

        case .pointAdd(let id, let name, let district):
            return Self.appended(try await submit(.addPoint(id: id, name: name, district: district)))
        case .pointClose(let id):
            return Self.appended(try await submit(.closePoint(id: id)))
        case .pointRename(let id, let name, let district):
            return Self.appended(try await submit(.renamePoint(id: id, name: name, district: district)))
        case .accountRename(let id, let name, let district):
            return Self.appended(try await submit(.renameAccount(id: id, name: name, district: district)), [("account", id.rawValue)])
        case .pointList:
            return .list(try await gateway.read { try $0.points() }.map(EntryFields.point))

        case .materialSet(let code, let rate, let name, let minGrams, let maxGrams, let holdMs):
            return Self.appended(try await submit(.setMaterial(code: code, rate: Rate(perKilogram: rate), name: name,
                                                         minGrams: minGrams, maxGrams: maxGrams, holdMs: holdMs)))
        case .materialList:
            return .list(try await gateway.read { try $0.materials() }.map(EntryFields.material))

        case .tokenIssue(let role, let point, let merchant):
            let id = try TokenID("tok-" + Hex.encode(randomBytes(6)))
            let secret = Hex.encode(try randomBytes(24))
            let receipt = try await submit(.issueToken(id: id, role: role, point: point, merchant: merchant,
                                                       secretHash: SHA256.digest(Array(secret.utf8))))
            try await reloadTokens()
            return .ok([("id", id.rawValue), ("token", secret), ("role", role.rawValue), ("seq", String(receipt.entry.seq))])
        case .tokenRevoke(let id):
            return Self.appended(try await revoke(id, as: actor))
        case .tokenList:
            return .list(try await gateway.read { try $0.tokens() }.map(EntryFields.token))

        case .redeem(let spend), .donate(let spend):
            // The PIN is checked here, on a read thread; the writer only confirms the record is unchanged.
            var checked = spend
            let key = pinKey
            checked.pinKey = key
            // Counted before the PIN work, taken back when the PIN was right.
            guard let attempt = pinThrottle.begin(peer) else {
                logger.warning("PIN check refused: too many wrong PINs from this address", metadata: ["peer": "\(peer)"])
                throw ProtocolError(.limitExceeded, "too many wrong PINs from this address; try again later")
            }
            checked.pinCheck = try await gateway.read { store in
                // A locked account's PIN is never checked: no answer may tell a right guess from a
                // wrong one while nothing is journaled (and its attempt is not given back).
                if let account = try store.account(spend.account), account.locked {
                    throw LedgerError.locked("account \(spend.account) is locked after \(Effects.pinAttemptLimit) wrong PINs; an administrator must unlock it")
                }
                guard let record = try store.pinRecord(spend.account) else { return .unchecked }
                return try record.matches(spend.pin, key: key) ? .matched(recordText: record.text) : .rejected(recordText: record.text)
            }
            if case .matched = checked.pinCheck { pinThrottle.succeeded(attempt) }
            let ledgerCommand: LedgerCommand = if case .redeem = command { .redeem(checked) } else { .donate(checked) }
            let receipt = try await submit(ledgerCommand)
            return Self.appended(receipt, Self.balance(receipt, of: spend.account))
        case .dropoff, .settle, .reverse:
            let queued = enqueueTransfer(command, as: principal)!
            return queued.shape(try await queued.ticket.result.get())

        case .balance(let id):
            let (account, next, offset) = try await gateway.read { store in
                (try store.account(id), try store.nextExpiring(id), try store.scheme().offsetMinutes)
            }
            guard let account else { throw LedgerError.notFound("no account \(id)") }
            var fields: Reply.Fields = [("account", id.rawValue), ("balance", account.balance.description)]
            if account.pending > .zero { fields.append(("pending", account.pending.description)) }
            if let next {
                fields += [("expiring", next.points.description), ("expires", String(next.expiresMs)),
                           ("expires_local", SchemeCalendar.localMinute(next.expiresMs, offsetMinutes: offset))]
            }
            return .ok(fields)
        case .history(let id, let limit, let before):
            let read = try await gateway.read { store -> (entries: [Entry], offset: Int)? in
                guard try store.account(id) != nil else { return nil }
                return (try store.history(of: id, limit: limit, before: before ?? .max), try store.scheme().offsetMinutes)
            }
            guard let read else { throw LedgerError.notFound("no account \(id)") }
            return .list(read.entries.map { EntryFields.summary($0, offsetMinutes: read.offset) })
        case .entry(let seq):
            let (entry, offset) = try await gateway.read { store in (try store.entry(seq: seq), try store.scheme().offsetMinutes) }
            guard let entry else { throw LedgerError.notFound("no entry \(seq)") }
            return .ok(EntryFields.full(entry, offsetMinutes: offset))
        case .head:
            let head = try await gateway.read { try $0.head() }
            return .ok([("seq", String(head.seq)), ("hash", head.hash.hex)])
        case .audit:
            // The witnesses this server trusts: their cosignatures' signatures are checked too.
            let witnesses = self.witnesses
            let result = try await gateway.read { store in
                defer { MemoryRelease.afterLargeRead() }
                return try store.verify(witnessKeys: witnesses)
            }
            switch result {
            case .success(let report):
                return .ok([("entries", String(report.entries)), ("head", "\(report.head.seq):\(report.head.hash.hex)")])
            case .failure(let failure):
                logger.critical("AUDIT failed", metadata: ["seq": "\(failure.seq)", "reason": "\(failure.reason)"])
                return .error(ProtocolError(.chainBroken, "seq=\(failure.seq) reason=\(Reply.quote(failure.reason))"))
            }
        case .checkpoint, .consistency, .receipt, .cosign:
            return try await transparency(command, as: principal)
        case .stats:
            let head = try await gateway.read { try $0.head() }
            return .ok([
                ("connections", String(stats.openConnections.load(ordering: .relaxed))),
                ("total_connections", String(stats.totalConnections.load(ordering: .relaxed))),
                ("commands", String(stats.commands.load(ordering: .relaxed))),
                ("errors", String(stats.errors.load(ordering: .relaxed))),
                ("entries", String(head.seq)),
                ("write_transactions", String(gateway.batches.transactions.load(ordering: .relaxed))),
                ("writes", String(gateway.batches.writes.load(ordering: .relaxed))),
                ("largest_batch", String(gateway.batches.largest.load(ordering: .relaxed))),
                ("uptime", String(stats.uptimeSeconds)),
            ])
        }
    }

    /// CHECKPOINT, CONSISTENCY, RECEIPT and COSIGN.
    private func transparency(_ command: Command, as principal: Principal?) async throws -> Reply {
        guard let checkpointer else { throw ProtocolError(.unavailable, "this server has no log key: it signs no checkpoints") }
        switch command {
        case .checkpoint:
            let checkpoint = try await checkpointer.current()
            return .ok([("size", String(checkpoint.size)), ("root", Base64.encode(checkpoint.root.bytes)),
                        ("note", Base64.encode(Array(checkpoint.servedNote.utf8)))])
        case .consistency(let old, let new):
            let proof = try await gateway.read { try $0.consistencyProof(old: old, new: new) }
            return .list(proof.map { [("hash", Base64.encode($0.bytes))] })
        case .receipt(let seq):
            guard let entry = try await gateway.read({ try $0.entry(seq: seq) }) else { throw LedgerError.notFound("no entry \(seq)") }
            try Self.checkReceiptAccess(entry, principal)
            _ = try await checkpointer.checkpoint(covering: seq)
            guard let receipt = try await gateway.read({ try $0.receipt(seq: seq) }) else {
                throw ProtocolError(.unavailable, "no checkpoint covers entry \(seq) yet; retry")
            }
            return .ok([("seq", String(seq)), ("proof", Base64.encode(Array(receipt.encoded.utf8)))])
        case .cosign(let size, let name, let signature):
            guard let witness = witnesses.first(where: { $0.name == name }) else {
                throw ProtocolError(.forbidden, "no witness named \(name) is configured on this server")
            }
            guard let stored = try await gateway.read({ try $0.checkpoint(size: size) }) else { throw LedgerError.notFound("no checkpoint of size \(size)") }
            guard let bytes = Base64.decode(signature) else { throw ProtocolError.badArgument("signature", "expected base64") }
            guard bytes.count == 4 + 8 + Ed25519.signatureCount else {
                throw ProtocolError.badArgument("signature", "a cosignature/v1 payload is 76 bytes (key ID, time, signature), got \(bytes.count)")
            }
            let line = SignedNote.Signature(name: name, keyID: bytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }, payload: Array(bytes.dropFirst(4)))
            let note = SignedNote(text: try SignedNote(parsing: stored.note).text, signatures: [line])
            let time: UInt64?
            do { time = try Cosignature.verify(note, witness: witness) } catch { throw ProtocolError.badArgument("signature", "\(error)") }
            guard let time else { throw ProtocolError.badArgument("signature", "not a cosignature by \(witness.verifierKey)") }
            try await gateway.read { try $0.recordCosignature(size: size, witness: name, line: line.line) }
            logger.info("cosignature", metadata: ["witness": "\(name)", "size": "\(size)"])
            return .ok([("size", String(size)), ("witness", name), ("time", String(time))])
        default:
            preconditionFailure("not a transparency command")
        }
    }

    /// Admin and auditor may have a receipt for any entry; an operator for the entries of its
    /// point; a merchant for those that move points into or out of its account; everyone but a
    /// witness for the entries written under their own token.
    static func checkReceiptAccess(_ entry: Entry, _ principal: Principal?) throws {
        guard let principal else { throw ProtocolError(.notAuthenticated, "RECEIPT needs AUTH first") }
        // Anyone may have the receipt of an entry written under their own token (a DONATE an
        // operator registered, say), witnesses excepted.
        // Residents share one fixed actor, so for them this shortcut would reach other residents' entries.
        if entry.body.actor == principal.actor, principal.role != .witness, principal.role != .resident { return }
        switch principal.role {
        case .admin, .auditor:
            return
        case .operator:
            guard let point = principal.point, entry.body[AttributeKey.point] == point.rawValue else {
                throw ProtocolError(.forbidden, "operators have receipts for the entries of their own point only")
            }
        case .merchant:
            guard let merchant = principal.merchant, entry.body.debit == merchant || entry.body.credit == merchant else {
                throw ProtocolError(.forbidden, "merchants have receipts for their own account's entries only")
            }
        case .witness:
            throw ProtocolError(.forbidden, "witness tokens have no receipts")
        case .resident:
            guard let own = principal.resident, entry.body.debit == own || entry.body.credit == own else {
                throw ProtocolError(.forbidden, "residents have receipts for their own account's entries only")
            }
        }
    }

    /// PBKDF2 costs milliseconds: done on the read threads, never on the writer.
    private func pinRecord(_ pin: PIN?) async throws -> PINRecord? {
        guard let pin else { return nil }
        let salt = try randomBytes(16)
        let key = pinKey
        return try await gateway.read { _ in try PINRecord.make(for: pin, salt: salt, iterations: PINRecord.defaultIterations, key: key) }
    }

    func reloadTokens() async throws {
        tokens.replace(with: try await gateway.read { try $0.tokenSnapshot() })
    }
}
