/// The lookups and checks the effects of several kinds share.
extension Effects {
    /// Why entry `seq` of `kind` cannot be reversed (the decision and the audit say it alike).
    static func notReversible(_ seq: Int64, _ kind: EntryKind) -> LedgerError {
        .invalid("seq", "entry \(seq) is not a transfer that can be reversed (its kind is \(kind.rawValue)); "
                 + "only drop-offs, redemptions, donations and settlements can be reversed")
    }

    /// Moves `body.amount` from debit to credit; non-system balances may not go negative, and
    /// closed accounts neither pay nor receive (an account closure's own forfeiture aside).
    static func transfer(_ body: EntryBody, seq: Int64, debitAccount: AccountState, creditAccount: AccountState) throws -> [ProjectionChange] {
        guard body.amount > .zero else { throw LedgerError.invalid("points", "a transfer moves a positive amount") }
        if body.kind != .accountClosed { try checkOpen(debitAccount) }
        try checkOpen(creditAccount)
        guard debitAccount.id != creditAccount.id else { throw LedgerError.invalid("account", "debit and credit are the same account") }
        var debit = debitAccount, credit = creditAccount
        debit.balance = try debit.balance.subtracting(body.amount)
        guard debit.kind == .system || debit.balance >= debit.pending else {
            throw LedgerError.insufficientPoints(debit.pending == .zero
                ? "\(debit.id) has \(debitAccount.balance) points, \(body.amount) needed"
                : "\(debit.id) has \(try debitAccount.balance.subtracting(debit.pending)) points available (\(debit.pending) pending), \(body.amount) needed")
        }
        credit.balance = try credit.balance.adding(body.amount)
        debit.lastSeq = seq
        credit.lastSeq = seq
        return [.putAccount(debit), .putAccount(credit)]
    }

    static func account<S: LedgerStorage>(_ id: AccountID, in state: S) throws -> AccountState {
        guard let account = try state.account(id) else { throw LedgerError.notFound("no account \(id)") }
        return account
    }

    /// The hold of drop-off `seq`, if it is still pending and may be decided `decision` at `time`:
    /// once the hold has run out, only the scheme's `hold_action` may decide it.
    static func undecidedHold<S: LedgerStorage>(_ seq: Int64, in state: S, deciding decision: HoldState.Decision,
                                                at time: Int64) throws -> HoldState {
        guard let hold = try state.hold(seq) else { throw LedgerError.notFound("entry \(seq) is not a held drop-off") }
        guard hold.decision == nil else { throw LedgerError.conflict("the hold of entry \(seq) was already \(hold.decision!.rawValue)") }
        let action = try state.scheme().holdAction
        guard time < hold.untilMs || decision == action else {
            throw LedgerError.conflict("the hold of entry \(seq) ran out at \(hold.untilMs): it can only be \(action.rawValue) now, as hold_action says")
        }
        return hold
    }

    /// The account, if it is not closed.
    static func open(_ account: consuming AccountState) throws -> AccountState {
        try checkOpen(account)
        return account
    }

    /// Throws if the account is closed (a check that copies nothing).
    static func checkOpen(_ account: borrowing AccountState) throws {
        guard !account.closed else { throw LedgerError.conflict("account \(account.id) is closed") }
    }

    static func resident<S: LedgerStorage>(_ id: AccountID, in state: S) throws -> AccountState {
        let account = try account(id, in: state)
        guard account.kind == .resident else { throw LedgerError.invalid("account", "\(id) is not a resident") }
        return account
    }
}
