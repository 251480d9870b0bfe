import LedgerCrypto

/// What the rules decided for a request.
public enum Decision: Sendable {
    /// Append this entry: the request succeeds. A PIN record or a resident's profile whose
    /// digest the entry carries is stored beside it, outside the journal.
    case append(EntryBody, pin: PINRecord?, profile: Profile? = nil)
    /// The request repeats an earlier one (same ref, same arguments): answer with that entry.
    case replay(Entry)
    /// Append this entry (a rejected PIN counts towards the lock), then fail with the error.
    case appendAndFail(EntryBody, LedgerError)
}

/// Turns a request into an entry: what depends on the request itself and not on the entry
/// (idempotency by ref, the PIN, pricing, names and limits a request may leave out). Whether the
/// entry may be appended is judged in one place, `Effects.changes`, which the write path and the
/// audit's replay share: the two can never disagree, and no check is written twice.
public enum Rules {
    public static func decide<S: LedgerStorage>(_ request: LedgerRequest, in state: S) throws -> Decision {
        let actor = request.actor
        switch request.command {
        case .openAccount(let open):
            var attributes: EntryAttributes = [AttributeKey.account: open.id.rawValue, AttributeKey.accountKind: open.kind.rawValue]
            // A resident's name and district are personal data: the journal holds a salted
            // commitment to them, the profile itself is stored beside it and can be erased.
            var profile: Profile?
            if open.kind == .resident {
                let made = try open.profileSalt.map { try Profile(name: open.name, district: open.district, salt: $0) }
                    ?? Profile.make(name: open.name, district: open.district)
                attributes[AttributeKey.profileDigest] = try made.digest.hex
                profile = made
            } else {
                attributes[AttributeKey.name] = open.name
                if let district = open.district { attributes[AttributeKey.district] = district }
            }
            if let minRedeem = open.minRedeem { attributes[AttributeKey.minRedeem] = String(minRedeem.centipoints) }
            if let pin = open.pin { attributes[AttributeKey.pinDigest] = try pin.digest.hex }
            return .append(EntryBody(kind: .accountOpened, actor: actor, attributes: attributes), pin: open.pin, profile: profile)

        case .changePIN(let id, let pin):
            return .append(EntryBody(kind: .pinChanged, actor: actor,
                                     attributes: [AttributeKey.account: id.rawValue, AttributeKey.pinDigest: try pin.digest.hex]),
                           pin: pin)

        case .rejectPIN(let id):
            return .append(EntryBody(kind: .pinRejected, actor: actor, attributes: [AttributeKey.account: id.rawValue]), pin: nil)

        case .unlock(let id):
            return .append(EntryBody(kind: .accountUnlocked, actor: actor, attributes: [AttributeKey.account: id.rawValue]), pin: nil)

        case .closeAccount(let id, let reason):
            // What is left moves to sys:forfeit in the same entry; Effects judges whether it may.
            guard let account = try state.account(id) else { throw LedgerError.notFound("no account \(id)") }
            let forfeits = account.balance > .zero && !account.closed
            return .append(EntryBody(kind: .accountClosed, debit: forfeits ? id : nil, credit: forfeits ? .forfeit : nil,
                                     amount: forfeits ? account.balance : .zero, actor: actor,
                                     attributes: [AttributeKey.account: id.rawValue, AttributeKey.reason: reason]), pin: nil)

        case .eraseAccount(let id, let reason):
            return .append(EntryBody(kind: .accountErased, actor: actor,
                                     attributes: [AttributeKey.account: id.rawValue, AttributeKey.reason: reason]), pin: nil)

        case .addPoint(let id, let name, let district):
            var attributes: EntryAttributes = [AttributeKey.point: id.rawValue, AttributeKey.name: name]
            if let district { attributes[AttributeKey.district] = district }
            return .append(EntryBody(kind: .pointAdded, actor: actor, attributes: attributes), pin: nil)

        case .closePoint(let id):
            return .append(EntryBody(kind: .pointClosed, actor: actor, attributes: [AttributeKey.point: id.rawValue]), pin: nil)

        case .renamePoint(let id, let name, let district):
            var attributes: EntryAttributes = [AttributeKey.point: id.rawValue, AttributeKey.name: name]
            if let district { attributes[AttributeKey.district] = district }
            return .append(EntryBody(kind: .pointRenamed, actor: actor, attributes: attributes), pin: nil)

        case .renameAccount(let id, let name, let district):
            var attributes: EntryAttributes = [AttributeKey.account: id.rawValue, AttributeKey.name: name]
            if let district { attributes[AttributeKey.district] = district }
            return .append(EntryBody(kind: .accountRenamed, actor: actor, attributes: attributes), pin: nil)

        case .setMaterial(let code, let rate, let name, let minGrams, let maxGrams, let holdMs):
            let current = try state.material(code)
            guard let resolvedName = name ?? current?.name else { throw LedgerError.invalid("name", "a new material needs a name") }
            let resolvedMin = minGrams ?? current?.minGrams
            let resolvedMax = maxGrams ?? current?.maxGrams
            var attributes: EntryAttributes = [AttributeKey.material: code.rawValue, AttributeKey.rate: String(rate.perKilogram.centipoints),
                              AttributeKey.name: resolvedName]
            if let resolvedMin { attributes[AttributeKey.minGrams] = String(resolvedMin.value) }
            if let resolvedMax { attributes[AttributeKey.maxGrams] = String(resolvedMax.value) }
            if let hold = holdMs ?? current?.holdMs { attributes[AttributeKey.holdMs] = String(hold) }
            return .append(EntryBody(kind: .materialSet, actor: actor, attributes: attributes), pin: nil)

        case .issueToken(let id, let role, let point, let merchant, let secretHash):
            var attributes: EntryAttributes = [AttributeKey.token: id.rawValue, AttributeKey.role: role.rawValue, AttributeKey.secretHash: secretHash.hex]
            if let point { attributes[AttributeKey.point] = point.rawValue }
            if let merchant { attributes[AttributeKey.merchant] = merchant.rawValue }
            return .append(EntryBody(kind: .tokenIssued, actor: actor, attributes: attributes), pin: nil)

        case .setScheme(let offsetMinutes, let dailyCap, let monthlyCap, let expiryMs, let holdAction, let alerts):
            // The entry records the whole state after the change, like material_set.
            let current = try state.scheme()
            var attributes: EntryAttributes = [AttributeKey.offsetMinutes: String(offsetMinutes ?? current.offsetMinutes),
                              AttributeKey.expiryMs: String(expiryMs ?? current.expiryMs),
                              AttributeKey.holdAction: (holdAction ?? current.holdAction).action]
            if let cap = dailyCap ?? current.dailyCap { attributes[AttributeKey.dailyCap] = String(cap.centipoints) }
            if let cap = monthlyCap ?? current.monthlyCap { attributes[AttributeKey.monthlyCap] = String(cap.centipoints) }
            for setting in AlertThresholds.Setting.allCases {
                attributes[setting.rawValue] = String(alerts[setting] ?? current.alerts[setting])
            }
            return .append(EntryBody(kind: .schemeSet, actor: actor, attributes: attributes), pin: nil)

        case .expire(let id, let asOf):
            let amount = try ExpiryRules.expired(of: try Effects.resident(id, in: state), asOf: asOf, in: state)
            guard amount > .zero else { throw LedgerError.conflict("none of \(id)'s points had expired at \(asOf)") }
            return .append(EntryBody(kind: .expiry, debit: id, credit: .forfeit, amount: amount, actor: actor,
                                     attributes: [AttributeKey.asOf: String(asOf)]), pin: nil)

        case .postHold(let seq):
            return .append(EntryBody(kind: .holdPosted, actor: actor, attributes: [AttributeKey.dropoff: String(seq)]), pin: nil)

        case .voidHold(let seq, let reason):
            // The points go back the way they came: the hold says whose and how many.
            guard let hold = try state.hold(seq) else { throw LedgerError.notFound("entry \(seq) is not a held drop-off") }
            return .append(EntryBody(kind: .holdVoided, debit: hold.account, credit: .issuance, amount: hold.amount, actor: actor,
                                     attributes: [AttributeKey.dropoff: String(seq), AttributeKey.reason: reason]), pin: nil)

        case .revokeToken(let id):
            return .append(EntryBody(kind: .tokenRevoked, actor: actor, attributes: [AttributeKey.token: id.rawValue]), pin: nil)

        case .dropoff(let dropoff):
            let body = EntryBody(kind: .dropoff, debit: .issuance, credit: dropoff.account, amount: .zero, actor: actor,
                                 ref: dropoff.ref,
                                 attributes: [AttributeKey.point: dropoff.point.rawValue, AttributeKey.material: dropoff.material.rawValue,
                                              AttributeKey.grams: String(dropoff.grams.value)])
            if let earlier = try earlierEntry(for: body, in: state) { return .replay(earlier) }
            _ = try Effects.resident(dropoff.account, in: state)
            try DropoffRules.check(point: dropoff.point, material: dropoff.material, grams: dropoff.grams, in: state)
            let rate = try state.material(dropoff.material)!.rate
            let points = try rate.points(for: dropoff.grams)
            guard points > .zero else {
                throw LedgerError.limitExceeded("\(dropoff.grams.kilograms) kg of \(dropoff.material) earns less than 0.01 points")
            }
            var attributes = body.attributes
            attributes[AttributeKey.rate] = String(rate.perKilogram.centipoints)
            return .append(EntryBody(kind: .dropoff, debit: .issuance, credit: dropoff.account, amount: points, actor: actor,
                                     ref: dropoff.ref, attributes: attributes), pin: nil)

        case .redeem(let spend):
            return try Self.spend(.redemption, spend, actor: actor, in: state)

        case .donate(let spend):
            return try Self.spend(.donation, spend, actor: actor, in: state)

        case .settle(let merchant, let amount, let ref):
            let body = EntryBody(kind: .settlement, debit: merchant, credit: .settlement, amount: amount, actor: actor, ref: ref)
            if let earlier = try earlierEntry(for: body, in: state) { return .replay(earlier) }
            return .append(body, pin: nil)

        case .reverse(let seq, let reason, let ref):
            // The reversal's accounts and amount are the original's, looked up here.
            guard let original = try state.entry(seq: seq) else { throw LedgerError.notFound("no entry \(seq)") }
            guard original.kind.isReversible else { throw Effects.notReversible(seq, original.kind) }
            let body = EntryBody(kind: .reversal, debit: original.body.credit, credit: original.body.debit,
                                 amount: original.body.amount, actor: actor, ref: ref,
                                 attributes: [AttributeKey.reverses: String(seq), AttributeKey.reason: reason])
            if let earlier = try earlierEntry(for: body, in: state) { return .replay(earlier) }
            return .append(body, pin: nil)
        }
    }

    /// Redemptions and donations: the resident's PIN is checked before anything about the balance is revealed.
    static func spend<S: LedgerStorage>(_ kind: EntryKind, _ spend: LedgerCommand.Spend, actor: Actor, in state: S) throws -> Decision {
        let (payer, payee, amount, ref) = (spend.account, spend.payee, spend.amount, spend.ref)
        let body = EntryBody(kind: kind, debit: payer, credit: payee, amount: amount, actor: actor, ref: ref)
        // A retry is answered only after the lock and the PIN are checked, like a first
        // attempt: the answer to a replay must not be a way around them.
        let earlier = try earlierEntry(for: body, in: state)
        guard amount > .zero else { throw LedgerError.invalid("points", "must be positive") }
        let account = try Effects.resident(payer, in: state)
        if let earlier {
            return try checkPIN(spend, of: account, actor: actor, in: state) ?? .replay(earlier)
        }
        guard let payeeAccount = try state.account(payee) else {
            throw LedgerError.notFound(kind == .redemption ? "no merchant \(payee)" : "no beneficiary \(payee)")
        }
        if kind == .redemption, payeeAccount.kind != .merchant { throw LedgerError.invalid("merchant", "\(payee) is not a merchant") }
        if kind == .donation, payeeAccount.kind != .beneficiary { throw LedgerError.invalid("to", "\(payee) is not a beneficiary pool") }
        if let rejection = try checkPIN(spend, of: account, actor: actor, in: state) { return rejection }
        // The minimum redemption and the balance are the entry's to judge (Effects), after the PIN.
        return .append(body, pin: nil)
    }

    /// The lock, then the PIN: nil when the PIN matches; the `pin_rejected` entry to append
    /// (it counts towards the lock) when it does not.
    static func checkPIN<S: LedgerStorage>(_ spend: LedgerCommand.Spend, of account: AccountState, actor: Actor,
                                           in state: S) throws -> Decision? {
        let payer = spend.account
        guard !account.locked else { throw PINRefusal.locked(payer) }
        guard let record = try state.pinRecord(payer) else { throw PINRefusal.noPIN(payer) }
        let pinMatches: Bool
        switch spend.pinCheck {
        case .matched(let checked) where checked == record.text: pinMatches = true
        case .rejected(let checked) where checked == record.text: pinMatches = false
        default: pinMatches = try record.matches(spend.pin, key: spend.pinKey)
        }
        guard pinMatches else {
            let rejection = EntryBody(kind: .pinRejected, actor: actor, attributes: [AttributeKey.account: payer.rawValue])
            return .appendAndFail(rejection, PINRefusal.wrongPIN(payer, failuresBefore: account.pinFailures))
        }
        return nil
    }

    /// The earlier entry with this body's ref if it asked for the same thing; a conflict if it asked for something else.
    ///
    /// "The same thing" is the request's own arguments (accounts, amount, point, material,
    /// weight, reversed seq and reason), never what the ledger computed: a retry after a rate
    /// change still finds its original drop-off.
    static func earlierEntry<S: LedgerStorage>(for body: EntryBody, in state: S) throws -> Entry? {
        guard let ref = body.ref, let earlier = try state.entry(ref: ref) else { return nil }
        let old = earlier.body
        var same = old.kind == body.kind && old.debit == body.debit && old.credit == body.credit
        switch body.kind {
        case .dropoff:
            same = same && [AttributeKey.point, AttributeKey.material, AttributeKey.grams].allSatisfy { old[$0] == body[$0] }
        case .reversal:
            same = same && old[AttributeKey.reverses] == body[AttributeKey.reverses] && old[AttributeKey.reason] == body[AttributeKey.reason]
        default:
            same = same && old.amount == body.amount
        }
        guard same else {
            // Which entry, and what kind, would tell a caller about an entry it may not read.
            throw LedgerError.conflict("ref \(ref) was already used with other arguments")
        }
        return earlier
    }
}

/// The refusals of a PIN check, worded once: the writer's (REDEEM, DONATE) and the server's own
/// checks before it (AUTH RESIDENT's lock, ACCOUNT PIN old=) say the same thing.
public enum PINRefusal {
    public static func locked(_ account: AccountID) -> LedgerError {
        .locked("account \(account) is locked after \(Effects.pinAttemptLimit) wrong PINs; an administrator must unlock it")
    }

    public static func noPIN(_ account: AccountID) -> LedgerError {
        .forbidden("account \(account) has no PIN set")
    }

    /// A wrong PIN, after `failuresBefore` earlier ones: the attempts left before the lock.
    public static func wrongPIN(_ account: AccountID, failuresBefore: Int) -> LedgerError {
        .wrongPIN(account: account.rawValue, remaining: max(0, Effects.pinAttemptLimit - failuresBefore - 1))
    }
}
