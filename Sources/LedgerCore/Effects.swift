import LedgerCrypto

/// What a sealed entry does to the projections, checked against the state before it.
///
/// This is the ledger's meaning. The store applies these changes when it appends, and an
/// audit replays every entry through the same function, so an entry that could not have been
/// appended (a negative balance, a wrong rate, a reversal of nothing) fails the audit.
public enum Effects {
    /// The number of wrong PINs in a row that locks redemptions and donations.
    public static let pinAttemptLimit = 5

    public static func changes<S: LedgerStorage>(of entry: Entry, in state: S) throws -> [ProjectionChange] {
        guard entry.timeMs <= Entry.latestTimeMs else {
            throw LedgerError.invalid("time", "\(entry.timeMs) ms is after the year 9999")
        }
        let body = entry.body
        try ActorRules.check(body.actor, in: state)
        if body.actor == .resident, body.kind != .pinChanged, body.kind != .pinRejected {
            throw LedgerError.forbidden("the resident actor writes only PIN changes and rejected PINs")
        }
        var attributes = Attributes(body: body)
        let result: [ProjectionChange]
        if body.kind.isTransfer {
            // A transfer kind always has its accounts, amount and ref: checked once, here.
            guard let moved = body.transfer else {
                throw LedgerError.invalid("entry", "\(body.kind.rawValue) must have debit, credit and ref")
            }
            result = try transferChanges(of: entry, moving: moved, attributes: &attributes, in: state)
        } else if body.kind.movesPointsWithoutRef {
            // Record kinds that move points without a ref: a closed account's remainder, expired
            // points, a voided hold.
            result = try recordChanges(of: entry, attributes: &attributes, in: state)
        } else {
            guard body.debit == nil, body.credit == nil, body.amount == .zero, body.ref == nil else {
                throw LedgerError.invalid("entry", "\(body.kind.rawValue) moves no points")
            }
            result = try recordChanges(of: entry, attributes: &attributes, in: state)
        }
        try attributes.checkAllUsed()
        return result
    }

    /// Entries that move no points: accounts, PINs, points, materials and tokens.
    static func recordChanges<S: LedgerStorage>(of entry: Entry, attributes: inout Attributes, in state: S) throws -> [ProjectionChange] {
        let seq = entry.seq
        let body = entry.body
        let result: [ProjectionChange]
        switch body.kind {
        case .accountOpened:
            let id = try attributes.identifier(AttributeKey.account, AccountID.self)
            try SystemReserved.check(id)
            guard try state.account(id) == nil else { throw LedgerError.alreadyExists("account \(id) already exists") }
            guard let kind = AccountKind(rawValue: try attributes.text(AttributeKey.accountKind)), kind != .system else {
                throw LedgerError.invalid(AttributeKey.accountKind, "must be resident, merchant or beneficiary")
            }
            // A resident's name and district are in a profile outside the journal, committed to by
            // its digest; a resident opened before profiles existed has them in the entry itself.
            let profileDigest = try attributes.optionalHash(AttributeKey.profileDigest)
            let name: String?, district: String?
            if profileDigest != nil {
                guard kind == .resident else { throw LedgerError.invalid("profile", "only residents have a profile") }
                (name, district) = (nil, nil)
            } else {
                (name, district) = (try attributes.text(AttributeKey.name), try attributes.optionalText(AttributeKey.district))
            }
            let minRedeem = try attributes.optionalPoints(AttributeKey.minRedeem)
            let pinDigest = try attributes.optionalHash(AttributeKey.pinDigest)
            guard pinDigest == nil || kind == .resident else { throw LedgerError.invalid("pin", "only residents have a PIN") }
            guard minRedeem == nil || kind == .merchant else { throw LedgerError.invalid("min_redeem", "only merchants have a minimum redemption") }
            if let minRedeem, minRedeem <= .zero { throw LedgerError.invalid("min_redeem", "must be positive") }
            result = [.putAccount(AccountState(id: id, kind: kind, name: name, district: district, profileDigest: profileDigest,
                                               minRedeem: minRedeem, pinDigest: pinDigest, lastSeq: seq))]
        case .pinChanged:
            var account = try open(resident(attributes.identifier(AttributeKey.account, AccountID.self), in: state))
            account.pinDigest = try attributes.hash(AttributeKey.pinDigest)
            account.lastSeq = seq
            result = [.putAccount(account)]
        case .pinRejected:
            var account = try open(resident(attributes.identifier(AttributeKey.account, AccountID.self), in: state))
            guard account.pinDigest != nil, !account.locked else {
                throw LedgerError.forbidden("a PIN can only be rejected for an unlocked resident with a PIN")
            }
            account.pinFailures += 1
            account.locked = account.pinFailures >= pinAttemptLimit
            account.lastSeq = seq
            result = [.putAccount(account)]
        case .accountUnlocked:
            var account = try open(resident(attributes.identifier(AttributeKey.account, AccountID.self), in: state))
            guard account.locked else { throw LedgerError.conflict("account \(account.id) is not locked") }
            account.pinFailures = 0
            account.locked = false
            account.lastSeq = seq
            result = [.putAccount(account)]
        case .accountClosed:
            let id = try attributes.identifier(AttributeKey.account, AccountID.self)
            try SystemReserved.check(id)
            _ = try attributes.text(AttributeKey.reason)
            var account = try open(try self.account(id, in: state))
            guard body.ref == nil else { throw LedgerError.invalid("entry", "an account closure has no ref") }
            guard account.pending == .zero else {
                throw LedgerError.conflict("\(id) has \(account.pending) pending points: POST or VOID its held drop-offs first")
            }
            if account.balance > .zero {
                guard account.kind == .resident else {
                    throw LedgerError.conflict("\(account.kind.rawValue) \(id) still holds \(account.balance) points; \(account.kind == .merchant ? "settle it" : "it must be emptied") first")
                }
                guard body.debit == id, body.credit == .forfeit, body.amount == account.balance else {
                    throw LedgerError.invalid("entry", "closing \(id) must forfeit its \(account.balance) points to sys:forfeit")
                }
                account.closed = true
                result = try transfer(body, seq: seq, debitAccount: account, creditAccount: try self.account(.forfeit, in: state))
            } else {
                guard body.debit == nil, body.credit == nil, body.amount == .zero else {
                    throw LedgerError.invalid("entry", "\(id) holds no points to forfeit")
                }
                account.closed = true
                account.lastSeq = seq
                result = [.putAccount(account)]
            }
        case .accountErased:
            let id = try attributes.identifier(AttributeKey.account, AccountID.self)
            _ = try attributes.text(AttributeKey.reason)
            var account = try resident(id, in: state)
            // Checked before closure, so nobody closes a resident (forfeiting their points) only
            // to learn that their name cannot be erased.
            guard account.name == nil else {
                throw LedgerError.conflict("\(id) was opened with its name in the journal (before profiles existed), where it cannot be erased")
            }
            guard !account.erased else { throw LedgerError.conflict("\(id) is already erased") }
            guard account.closed else {
                throw LedgerError.conflict("\(id) is open: close it first (ACCOUNT CLOSE), which forfeits what it holds")
            }
            account.profileDigest = nil
            account.erased = true
            account.lastSeq = seq
            result = [.putAccount(account), .eraseProfile(id)]
        case .pointAdded:
            let id = try attributes.identifier(AttributeKey.point, PointID.self)
            try SystemReserved.check(id)
            guard try state.point(id) == nil else { throw LedgerError.alreadyExists("point \(id) already exists") }
            result = [.putPoint(PointState(id: id, name: try attributes.text(AttributeKey.name),
                                           district: try attributes.optionalText(AttributeKey.district),
                                           active: true, lastSeq: seq))]
        case .pointClosed:
            let id = try attributes.identifier(AttributeKey.point, PointID.self)
            guard var point = try state.point(id) else { throw LedgerError.notFound("no point \(id)") }
            guard point.active else { throw LedgerError.conflict("point \(id) is already closed") }
            point.active = false
            point.lastSeq = seq
            result = [.putPoint(point)]
        case .pointRenamed:
            let id = try attributes.identifier(AttributeKey.point, PointID.self)
            guard var point = try state.point(id) else { throw LedgerError.notFound("no point \(id)") }
            point.name = try attributes.text(AttributeKey.name)
            if let district = try attributes.optionalText(AttributeKey.district) { point.district = district }
            point.lastSeq = seq
            result = [.putPoint(point)]
        case .accountRenamed:
            let id = try attributes.identifier(AttributeKey.account, AccountID.self)
            var account = try account(id, in: state)
            guard account.kind == .merchant || account.kind == .beneficiary else {
                throw LedgerError.invalid("account", account.kind == .resident
                    ? "\(id) is a resident: a resident's name is kept in their profile, outside the journal, and is not renamed"
                    : "\(id) is a system account")
            }
            account.name = try attributes.text(AttributeKey.name)
            if let district = try attributes.optionalText(AttributeKey.district) { account.district = district }
            account.lastSeq = seq
            result = [.putAccount(account)]
        case .materialSet:
            let code = try attributes.identifier(AttributeKey.material, MaterialCode.self)
            try SystemReserved.check(code)
            let rate = Rate(perKilogram: try attributes.points(AttributeKey.rate))
            let minGrams = try attributes.optionalGrams(AttributeKey.minGrams)
            let maxGrams = try attributes.optionalGrams(AttributeKey.maxGrams)
            try MaterialRules.check(rate: rate, minGrams: minGrams, maxGrams: maxGrams)
            let holdMs = try attributes.optionalInteger(AttributeKey.holdMs)
            if let holdMs, !MaterialState.holdRange.contains(holdMs) { throw LedgerError.invalid("hold", "must be from 1s to 90d") }
            result = [.putMaterial(MaterialState(code: code, name: try attributes.text(AttributeKey.name), rate: rate,
                                                 minGrams: minGrams, maxGrams: maxGrams, holdMs: holdMs, lastSeq: seq))]
        case .tokenIssued:
            let id = try attributes.identifier(AttributeKey.token, TokenID.self)
            try SystemReserved.check(id)
            guard try state.token(id) == nil else { throw LedgerError.alreadyExists("token \(id) already exists") }
            guard let role = Role(rawValue: try attributes.text(AttributeKey.role)) else {
                throw LedgerError.invalid(AttributeKey.role, "must be admin, operator, merchant, auditor or witness")
            }
            let point = try attributes.optionalIdentifier(AttributeKey.point, PointID.self)
            let merchant = try attributes.optionalIdentifier(AttributeKey.merchant, AccountID.self)
            try TokenRules.checkBinding(role: role, point: point, merchant: merchant, in: state)
            result = [.putToken(TokenState(id: id, role: role, point: point, merchant: merchant,
                                           secretHash: try attributes.hash(AttributeKey.secretHash), revoked: false,
                                           lastSeq: seq))]
        case .tokenRevoked:
            let id = try attributes.identifier(AttributeKey.token, TokenID.self)
            guard var token = try state.token(id) else { throw LedgerError.notFound("no token \(id)") }
            guard !token.revoked else { throw LedgerError.conflict("token \(id) is already revoked") }
            token.revoked = true
            token.lastSeq = seq
            result = [.putToken(token)]
        case .expiry:
            let asOf = try attributes.integer(AttributeKey.asOf)
            guard body.ref == nil, let id = body.debit, body.credit == .forfeit else {
                throw LedgerError.invalid("entry", "an expiry moves a resident's points to sys:forfeit, without a ref")
            }
            guard asOf <= entry.timeMs else { throw LedgerError.invalid(AttributeKey.asOf, "is after the entry's own time") }
            // A sweep runs now: an as_of more than a day old is refused (and the audit keeps the
            // credits it needs for exactly that long beyond the longest expiry).
            guard asOf >= entry.timeMs - 86_400_000 else { throw LedgerError.invalid(AttributeKey.asOf, "is more than a day before the entry's own time") }
            let account = try resident(id, in: state)
            let expired = try ExpiryRules.expired(of: account, asOf: asOf, in: state)
            guard body.amount == expired else {
                throw LedgerError.conflict("\(body.amount) points is not what of \(id)'s had expired at \(asOf): \(expired)")
            }
            result = try transfer(body, seq: seq, debitAccount: account, creditAccount: try self.account(.forfeit, in: state))
        case .schemeSet:
            let offset = try attributes.integer(AttributeKey.offsetMinutes)
            guard let offsetMinutes = Int(exactly: offset), SchemeState.offsetRange.contains(offsetMinutes) else {
                throw LedgerError.invalid("tz", "must be a UTC offset from -12:00 to +14:00")
            }
            let dailyCap = try attributes.optionalPoints(AttributeKey.dailyCap)
            let monthlyCap = try attributes.optionalPoints(AttributeKey.monthlyCap)
            for (name, cap) in [("daily_cap", dailyCap), ("monthly_cap", monthlyCap)] where cap.map({ $0 <= .zero }) == true {
                throw LedgerError.invalid(name, "must be positive")
            }
            // Absent only in entries written before expiry existed: they meant the default.
            let expiryMs = try attributes.optionalInteger(AttributeKey.expiryMs) ?? SchemeState.defaultExpiryMs
            guard SchemeState.expiryRange.contains(expiryMs) else { throw LedgerError.invalid("expiry", "must be from 1s to 10y") }
            // Absent only in entries written before holds existed: they meant void.
            let action = try attributes.optionalText(AttributeKey.holdAction)
            guard let holdAction = action.map({ HoldState.Decision(action: $0) }) ?? .voided else {
                throw LedgerError.invalid("hold_action", "must be void or post")
            }
            // Each absent only in entries written before the thresholds were settings: the defaults.
            var alerts = AlertThresholds.standard
            let given = AlertThresholds.Setting.allCases.filter { body[$0.rawValue] != nil }.count
            guard given == 0 || given == AlertThresholds.Setting.allCases.count else {
                throw LedgerError.invalid("entry", "a scheme_set has all four alert thresholds or none")
            }
            for setting in AlertThresholds.Setting.allCases {
                guard let value = try attributes.optionalInteger(setting.rawValue) else { continue }
                guard setting.range.contains(value) else {
                    throw LedgerError.invalid(setting.rawValue, "must be from \(setting.range.lowerBound) to \(setting.range.upperBound)")
                }
                alerts[setting] = value
            }
            result = [.putScheme(SchemeState(offsetMinutes: offsetMinutes, dailyCap: dailyCap, monthlyCap: monthlyCap,
                                             expiryMs: expiryMs, holdAction: holdAction, alerts: alerts, lastSeq: seq))]
        case .holdPosted:
            var hold = try undecidedHold(attributes.integer(AttributeKey.dropoff), in: state, deciding: .posted, at: entry.timeMs)
            var account = try self.account(hold.account, in: state)
            account.pending = try account.pending.subtracting(hold.amount)
            account.lastSeq = seq
            hold.decision = .posted
            hold.lastSeq = seq
            result = [.putAccount(account), .putHold(hold)]
        case .holdVoided:
            var hold = try undecidedHold(attributes.integer(AttributeKey.dropoff), in: state, deciding: .voided, at: entry.timeMs)
            _ = try attributes.text(AttributeKey.reason)
            guard body.ref == nil, body.debit == hold.account, body.credit == .issuance, body.amount == hold.amount else {
                throw LedgerError.invalid("entry", "voiding a hold moves its amount from its resident back to sys:issuance, without a ref")
            }
            var account = try self.account(hold.account, in: state)
            account.pending = try account.pending.subtracting(hold.amount)
            hold.decision = .voided
            hold.lastSeq = seq
            result = try transfer(body, seq: seq, debitAccount: account, creditAccount: try self.account(.issuance, in: state))
                + [.putHold(hold)]
        case .dropoff, .redemption, .donation, .settlement, .reversal:
            preconditionFailure("a transfer kind reached recordChanges")
        }
        return result
    }

    /// Entries that move points, with their accounts, amount and ref already unwrapped.
    static func transferChanges<S: LedgerStorage>(of entry: Entry, moving moved: Transfer, attributes: inout Attributes,
                                                 in state: S) throws -> [ProjectionChange] {
        let body = entry.body
        let seq = entry.seq
        let result: [ProjectionChange]
        switch body.kind {
        case .dropoff:
            guard body.debit == .issuance else { throw LedgerError.invalid("debit", "a drop-off is issued from sys:issuance") }
            let resident = try resident(moved.credit, in: state)
            let point = try attributes.identifier(AttributeKey.point, PointID.self)
            let code = try attributes.identifier(AttributeKey.material, MaterialCode.self)
            let grams = try attributes.grams(AttributeKey.grams)
            let rate = Rate(perKilogram: try attributes.points(AttributeKey.rate))
            let material = try DropoffRules.check(point: point, material: code, grams: grams, in: state)
            guard rate == material.rate else {
                throw LedgerError.conflict("rate \(rate) is not the current rate \(material.rate) of \(code)")
            }
            guard try rate.points(for: grams) == body.amount else {
                throw LedgerError.conflict("amount \(body.amount) is not floor(grams × rate ÷ 1000) = \(try rate.points(for: grams))")
            }
            try CapRules.check(resident: moved.credit, amount: body.amount, at: entry.timeMs, in: state)
            if let holdMs = material.holdMs {
                // A held material: the points are the resident's, but pending until decided.
                var held = resident
                held.pending = try held.pending.adding(body.amount)
                let (until, overflow) = entry.timeMs.addingReportingOverflow(holdMs)
                result = try transfer(body, seq: seq, debitAccount: try account(.issuance, in: state), creditAccount: held)
                    + [.putHold(HoldState(dropoff: seq, account: resident.id, amount: body.amount, creditedMs: entry.timeMs,
                                          untilMs: overflow ? .max : until,
                                          decision: nil, lastSeq: seq))]
            } else {
                result = try transfer(body, seq: seq, debitAccount: try account(.issuance, in: state), creditAccount: resident)
            }
        case .redemption, .donation:
            let payer = try resident(moved.debit, in: state)
            guard !payer.locked else { throw LedgerError.locked("account \(payer.id) is locked after repeated wrong PINs") }
            guard payer.pinDigest != nil else { throw LedgerError.forbidden("account \(payer.id) has no PIN") }
            let payee = try account(moved.credit, in: state)
            if body.kind == .redemption {
                guard payee.kind == .merchant else { throw LedgerError.invalid("merchant", "\(payee.id) is not a merchant") }
                if let minimum = payee.minRedeem, body.amount < minimum {
                    throw LedgerError.limitExceeded("\(payee.id) accepts redemptions of at least \(minimum) points")
                }
            } else {
                guard payee.kind == .beneficiary else { throw LedgerError.invalid("to", "\(payee.id) is not a beneficiary pool") }
            }
            var debit = payer
            debit.pinFailures = 0 // a correct PIN ends a run of wrong ones
            result = try transfer(body, seq: seq, debitAccount: debit, creditAccount: payee)
        case .settlement:
            let merchant = try account(moved.debit, in: state)
            guard merchant.kind == .merchant else { throw LedgerError.invalid("merchant", "\(merchant.id) is not a merchant") }
            guard body.credit == .settlement else { throw LedgerError.invalid("credit", "a settlement retires points into sys:settlement") }
            result = try transfer(body, seq: seq, debitAccount: merchant, creditAccount: try account(.settlement, in: state))
        case .reversal:
            let originalSeq = try attributes.integer(AttributeKey.reverses)
            _ = try attributes.text(AttributeKey.reason)
            guard originalSeq < seq, let original = try state.entry(seq: originalSeq) else {
                throw LedgerError.notFound("no entry \(originalSeq) to reverse")
            }
            guard original.kind.isReversible else { throw notReversible(originalSeq, original.kind) }
            if let by = try state.reversal(of: originalSeq) {
                throw LedgerError.conflict("entry \(originalSeq) was already reversed by entry \(by)")
            }
            if let hold = try state.hold(originalSeq) {
                guard hold.decision == .posted else {
                    throw LedgerError.conflict(hold.decision == nil ? "entry \(originalSeq) is held: POST or VOID it instead"
                                                                   : "entry \(originalSeq) was voided: its points already went back")
                }
            }
            guard body.debit == original.body.credit, body.credit == original.body.debit, body.amount == original.body.amount else {
                throw LedgerError.invalid("entry", "a reversal must move the original amount back the other way")
            }
            result = try transfer(body, seq: seq, debitAccount: try account(moved.debit, in: state),
                                  creditAccount: try account(moved.credit, in: state))
                + [.markReversed(original: originalSeq)]
        default:
            preconditionFailure("a record kind reached transferChanges")
        }
        return result
    }
}
