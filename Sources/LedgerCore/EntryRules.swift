import LedgerCrypto

/// The checks a request's catalogue rows must pass, shared by the rules and the effects:
/// a material's rate and limits, a drop-off's point and weight, an actor's token, a token's binding.
enum MaterialRules {
    static func check(rate: Rate, minGrams: Grams?, maxGrams: Grams?) throws(LedgerError) {
        guard rate.perKilogram > .zero else { throw .invalid("rate", "must be positive") }
        if let minGrams, minGrams.value <= 0 { throw .invalid("min_kg", "must be positive") }
        if let maxGrams, maxGrams.value <= 0 { throw .invalid("max_kg", "must be positive") }
        if let minGrams, let maxGrams, minGrams > maxGrams { throw .invalid("min_kg", "is above max_kg") }
        if let minGrams, maxGrams == nil, minGrams > MaterialState.defaultMaxGrams {
            throw .invalid("min_kg", "is above the default cap of \(MaterialState.defaultMaxGrams.kilograms) kg")
        }
    }
}

/// Rules about drop-offs shared by requests and replay.
enum DropoffRules {
    /// The material, which the caller needs next (read once).
    @discardableResult
    static func check<S: LedgerStorage>(point: PointID, material code: MaterialCode, grams: Grams, in state: S) throws -> MaterialState {
        guard let site = try state.point(point) else { throw LedgerError.notFound("no point \(point)") }
        guard site.active else { throw LedgerError.conflict("point \(point) is closed") }
        guard let material = try state.material(code) else { throw LedgerError.notFound("no material \(code)") }
        let accepted = material.acceptedGrams
        guard accepted.contains(grams) else {
            throw LedgerError.limitExceeded("\(code) drop-offs must weigh \(accepted.lowerBound.kilograms) to \(accepted.upperBound.kilograms) kg, got \(grams.kilograms) kg")
        }
        return material
    }
}

/// Who may write an entry: a fixed actor, or a token that is active at that point of the
/// journal. Checked by the writer (so a command racing its token's revocation is refused) and
/// by the audit's replay (so an entry written under a revoked token fails it).
enum ActorRules {
    static func check<S: LedgerStorage>(_ actor: Actor, in state: S) throws {
        guard !actor.isFixed else { return }
        guard let token = try state.token(TokenID(unchecked: actor.rawValue)), !token.revoked else {
            throw LedgerError.unauthenticated("actor \(actor) is not an active token")
        }
    }
}

/// Rules about what a token is bound to.
enum TokenRules {
    static func checkBinding<S: LedgerStorage>(role: Role, point: PointID?, merchant: AccountID?, in state: S) throws {
        switch role {
        case .`operator`:
            guard let point, merchant == nil else { throw LedgerError.invalid("point", "an operator token is bound to exactly one point") }
            guard let site = try state.point(point) else { throw LedgerError.notFound("no point \(point)") }
            guard site.active else { throw LedgerError.conflict("point \(point) is closed") }
        case .merchant:
            guard let merchant, point == nil else { throw LedgerError.invalid("merchant", "a merchant token is bound to exactly one merchant") }
            guard let account = try state.account(merchant), account.kind == .merchant else { throw LedgerError.notFound("no merchant \(merchant)") }
            try Effects.checkOpen(account)
        case .admin, .auditor, .witness:
            guard point == nil, merchant == nil else { throw LedgerError.invalid("role", "\(role.rawValue) tokens are not bound to a point or merchant") }
        case .resident:
            throw LedgerError.invalid(AttributeKey.role, "must be admin, operator, merchant, auditor or witness")
        }
    }
}
