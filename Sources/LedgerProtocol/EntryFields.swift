import LedgerCore

/// How entries and ledger records appear as reply fields, in one place, so `HISTORY`,
/// `ENTRY`, `ACCOUNT SHOW` and the lists spell them the same way.
///
/// Points are written with two decimals and weights as kg; attribute names follow
/// docs/LEDGER.md, with `grams`, `min_grams` and `max_grams` shown as `kg`, `min_kg` and
/// `max_kg`, and centipoint attributes shown as points.
public enum EntryFields {
    /// seq, time, kind, amount, the accounts, ref, actor and the kind's attributes.
    /// `offsetMinutes`: the scheme's zone, for `time_local` (the entry's minute there, for people).
    public static func summary(_ entry: Entry, offsetMinutes: Int = SchemeState.initial.offsetMinutes) -> Reply.Fields {
        var fields: Reply.Fields = [("seq", String(entry.seq)), ("time", String(entry.timeMs)),
                                    ("time_local", SchemeCalendar.localMinute(entry.timeMs, offsetMinutes: offsetMinutes)),
                                    ("kind", entry.kind.rawValue), ("amount", entry.body.amount.description)]
        if let debit = entry.body.debit { fields.append(("debit", debit.rawValue)) }
        if let credit = entry.body.credit { fields.append(("credit", credit.rawValue)) }
        if let ref = entry.body.ref { fields.append(("ref", ref.rawValue)) }
        fields.append(("actor", entry.body.actor.rawValue))
        for pair in entry.body.attributes.pairs {
            fields.append(display(pair.key, pair.value))
        }
        return fields
    }

    /// Every field, including both hashes: enough to rebuild the canonical bytes.
    public static func full(_ entry: Entry, offsetMinutes: Int = SchemeState.initial.offsetMinutes) -> Reply.Fields {
        summary(entry, offsetMinutes: offsetMinutes) + [("prev", entry.prevHash.hex), ("hash", entry.hash.hex)]
    }

    static func display(_ key: String, _ value: String) -> (String, String) {
        switch key {
        case AttributeKey.grams, AttributeKey.minGrams, AttributeKey.maxGrams:
            let name = String(key.dropLast("grams".count)) + "kg"
            return (name, Int64(value).map { Grams($0).kilograms } ?? value)
        case AttributeKey.rate, AttributeKey.minRedeem:
            return (key, Int64(value).map { Points(centipoints: $0).description } ?? value)
        default:
            return (key, value)
        }
    }

    /// An account as ACCOUNT SHOW gives it: a resident's name and district come from `profile`
    /// (outside the journal), and an erased resident has neither.
    public static func account(_ account: AccountState, profile: Profile? = nil) -> Reply.Fields {
        var fields: Reply.Fields = [("account", account.id.rawValue), ("kind", account.kind.rawValue)]
        if let name = account.name ?? profile?.name { fields.append(("name", name)) }
        if let district = account.district ?? profile?.district { fields.append(("district", district)) }
        fields.append(("balance", account.balance.description))
        if let minimum = account.minRedeem { fields.append(("min_redeem", minimum.description)) }
        if account.kind == .resident {
            fields += [("pin", account.pinDigest == nil ? "none" : "set"), ("pin_failures", String(account.pinFailures)),
                       ("locked", account.locked ? "1" : "0"),
                       // none: opened before profiles, its name is in the journal and cannot be erased.
                       ("profile", account.erased ? "erased" : account.name == nil ? "kept" : "none")]
        }
        if account.pending > .zero { fields.append(("pending", account.pending.description)) }
        if account.closed { fields.append(("closed", "1")) }
        return fields
    }

    /// One row of a report: the group's key (`month=2026-01`, `material=PET`, …, `total=all`),
    /// kilograms, drop-offs and points issued, and for months and the total what was spent,
    /// expired, forfeited and is still outstanding.
    public static func report(_ group: LedgerReport.Group, key: String) -> Reply.Fields {
        let figures = group.figures
        var fields: Reply.Fields = [(key, group.key), ("kg", Grams(figures.grams).kilograms), ("dropoffs", String(figures.dropoffs)),
                                    ("issued", figures.issued.description)]
        guard let outstanding = figures.outstanding else { return fields }
        fields += [("redeemed", figures.redeemed.description), ("donated", figures.donated.description), ("settled", figures.settled.description),
                   ("expired", figures.expired.description), ("forfeited", figures.forfeited.description), ("outstanding", outstanding.description)]
        return fields
    }

    /// `alert=RULE seq=N [account=ID] [point=ID] entries=N,N,… detail="…"`.
    public static func alert(_ alert: AlertRules.Alert) -> Reply.Fields {
        var fields: Reply.Fields = [("alert", alert.rule.rawValue), ("seq", String(alert.seq))]
        if let resident = alert.resident { fields.append(("account", resident.rawValue)) }
        if let point = alert.point { fields.append(("point", point.rawValue)) }
        fields += [("entries", alert.entries.map(String.init).joined(separator: ",")), ("detail", alert.detail)]
        return fields
    }

    /// `tz=+08:00 daily_cap=P|none monthly_cap=P|none expiry=5y`.
    public static func scheme(_ scheme: SchemeState) -> Reply.Fields {
        [("tz", scheme.offsetText), ("daily_cap", scheme.dailyCap?.description ?? "none"),
         ("monthly_cap", scheme.monthlyCap?.description ?? "none"), ("expiry", SchemeState.durationText(scheme.expiryMs)),
         ("hold_action", scheme.holdAction.action)]
            + AlertThresholds.Setting.allCases.map { ($0.rawValue, String(scheme.alerts[$0])) }
    }

    public static func point(_ point: PointState) -> Reply.Fields {
        var fields: Reply.Fields = [("point", point.id.rawValue), ("name", point.name)]
        if let district = point.district { fields.append(("district", district)) }
        fields.append(("active", point.active ? "1" : "0"))
        return fields
    }

    public static func material(_ material: MaterialState) -> Reply.Fields {
        var fields: Reply.Fields = [("material", material.code.rawValue), ("name", material.name), ("rate", material.rate.perKilogram.description)]
        if let minimum = material.minGrams { fields.append(("min_kg", minimum.kilograms)) }
        fields.append(("max_kg", (material.maxGrams ?? MaterialState.defaultMaxGrams).kilograms))
        if let hold = material.holdMs { fields.append(("hold", SchemeState.durationText(hold))) }
        return fields
    }

    public static func token(_ token: TokenState) -> Reply.Fields {
        var fields: Reply.Fields = [("id", token.id.rawValue), ("role", token.role.rawValue)]
        if let point = token.point { fields.append(("point", point.rawValue)) }
        if let merchant = token.merchant { fields.append(("merchant", merchant.rawValue)) }
        fields.append(("revoked", token.revoked ? "1" : "0"))
        return fields
    }
}
