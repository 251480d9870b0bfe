import Foundation
import GRDB
import LedgerCore
import LedgerCrypto

/// Builds core values from stored rows, validating everything: a row that a tampered or
/// damaged file holds becomes a `StoreError.corrupt`, never a crash.
///
/// Every query selects one of the column lists below and rows are decoded by position, not by
/// name (GRDB's by-name lookup lower-cases the name on every call, the writer's hottest cost).
enum RowDecoding {
    static let journalColumns = "seq, time_ms, kind, debit, credit, amount, actor, ref, attrs, prev_hash, hash"
    /// An account row with its profile, if any: select these from `accountSource`.
    static let accountColumns = """
        accounts.id, kind, accounts.name, accounts.district, balance, min_redeem, pin_hash, pin_failures, locked, last_seq, \
        closed, pending, erased, \(profileColumns)
        """
    static let accountSource = "accounts LEFT JOIN profiles ON profiles.account = accounts.id"
    /// As bytes: SQLite's text values stop at a NUL byte when read as C strings, and personal
    /// data must not hide behind one where the audit cannot see it.
    static let profileColumns = """
        CAST(profiles.salt AS BLOB), CAST(profiles.name AS BLOB), CAST(profiles.district AS BLOB)
        """
    static let pointColumns = "id, name, district, active, last_seq"
    static let materialColumns = "code, name, rate, min_grams, max_grams, last_seq, hold_ms"
    static let schemeColumns = """
        utc_offset_minutes, daily_cap, monthly_cap, expiry_ms, last_seq, hold_action, \
        alert_weight_factor, alert_points, alert_repeats, alert_surge_factor
        """
    static let holdColumns = "dropoff_seq, account, amount, until_ms, decision, last_seq, credited_ms"
    static let tokenColumns = "id, role, point, merchant, secret_hash, revoked, last_seq"

    static func entry(_ row: Row) throws -> Entry {
        try entry(seq: try value(row, 0), timeMs: try value(row, 1), kind: try optionalValue(row, 2),
                  debit: try optionalValue(row, 3), credit: try optionalValue(row, 4), amount: try value(row, 5),
                  actor: try optionalValue(row, 6), ref: try optionalValue(row, 7), attrs: try optionalValue(row, 8),
                  prevHash: Hash256(blob: try value(row, 9) as Data), hash: Hash256(blob: try value(row, 10) as Data))
    }

    /// An entry from a journal row's values, however they were read (GRDB's rows here, the
    /// audit's column buffers in `ScannedRow`): the one place a stored entry is validated.
    static func entry(seq: Int64, timeMs: Int64, kind: String?, debit: String?, credit: String?, amount: Int64,
                      actor: String?, ref: String?, attrs: String?, prevHash: Hash256?, hash: Hash256?) throws -> Entry {
        func bad(_ what: String) -> StoreError { .corrupt("journal entry \(seq): \(what)") }
        func identifier<ID: LedgerIdentifier>(_ text: String?, _ column: String, _: ID.Type) throws -> ID? {
            guard let text else { return nil }
            guard ID.isValid(text) else { throw bad("\(column) \(text.debugDescription) is not a valid id") }
            return ID(unchecked: text)
        }
        guard let kind = kind.flatMap(EntryKind.init(rawValue:)) else { throw bad("unknown kind") }
        guard let attributes = attrs.flatMap(AttributesJSON.decode) else { throw bad("attrs is not in the canonical form") }
        guard let actor = try identifier(actor, "actor", Actor.self) else { throw bad("actor missing") }
        guard let prevHash, let hash else { throw bad("hashes are not 32 bytes") }
        let body = EntryBody(kind: kind, debit: try identifier(debit, "debit", AccountID.self),
                             credit: try identifier(credit, "credit", AccountID.self), amount: Points(centipoints: amount),
                             actor: actor, ref: try identifier(ref, "ref", ClientRef.self), attributes: attributes)
        return Entry(seq: seq, timeMs: timeMs, body: body, prevHash: prevHash, hash: hash)
    }

    static func account(_ row: Row) throws -> AccountState {
        let id: String = try value(row, 0)
        func bad(_ what: String) -> StoreError { .corrupt("account \(id.debugDescription): \(what)") }
        guard AccountID.isValid(id), let kind = AccountKind(rawValue: try value(row, 1)) else { throw bad("invalid id or kind") }
        let pinHash: String? = try value(row, 6)
        let minRedeem: Int64? = try value(row, 5)
        let locked: Int64 = try value(row, 8)
        let failures: Int64 = try value(row, 7)
        let closed: Int64 = try value(row, 10)
        let pending: Int64 = try value(row, 11)
        let erased: Int64 = try value(row, 12)
        guard let pinFailures = Int(exactly: failures) else { throw bad("pin_failures out of range") }
        // Like the PIN record's, the digest is recomputed from the stored profile, so an audit
        // comparing it with the journal's checks the profile itself.
        let profileDigest: Hash256?
        do {
            profileDigest = try profile(row, from: 13)?.digest
        } catch let error as StoreError {
            throw bad("\(error)")
        }
        return AccountState(
            id: AccountID(unchecked: id), kind: kind, name: try value(row, 2), district: try value(row, 3),
            profileDigest: profileDigest, erased: erased != 0,
            balance: Points(centipoints: try value(row, 4)), minRedeem: minRedeem.map(Points.init(centipoints:)),
            pinDigest: try pinHash.map { try SHA256.digest(Array($0.utf8)) }, pinFailures: pinFailures,
            locked: locked != 0, closed: closed != 0, pending: Points(centipoints: pending), lastSeq: try value(row, 9))
    }

    /// A profile from `profileColumns` starting at column `index`; nil when the row has none.
    static func profile(_ row: Row, from index: Int) throws -> Profile? {
        func text(_ column: Int) throws -> String? {
            let bytes: Data? = try optionalValue(row, column)
            guard let bytes else { return nil }
            guard let text = String(validating: bytes, as: UTF8.self) else { throw StoreError.corrupt("profile text is not UTF-8") }
            return text
        }
        guard let saltHex = try text(index) else { return nil }
        guard let salt = Hex.decode(saltHex), saltHex == Hex.encode(salt) else {
            throw StoreError.corrupt("profile salt is not lowercase hex")
        }
        guard let name = try text(index + 1) else { throw StoreError.corrupt("profile has no name") }
        do {
            return try Profile(name: name, district: try text(index + 2), salt: salt)
        } catch {
            throw StoreError.corrupt("profile is malformed: \(error)")
        }
    }

    static func point(_ row: Row) throws -> PointState {
        let id: String = try value(row, 0)
        guard PointID.isValid(id) else { throw StoreError.corrupt("point \(id.debugDescription): invalid id") }
        let active: Int64 = try value(row, 3)
        return PointState(id: PointID(unchecked: id), name: try value(row, 1), district: try value(row, 2),
                          active: active != 0, lastSeq: try value(row, 4))
    }

    static func material(_ row: Row) throws -> MaterialState {
        let code: String = try value(row, 0)
        guard MaterialCode.isValid(code) else { throw StoreError.corrupt("material \(code.debugDescription): invalid code") }
        let minGrams: Int64? = try value(row, 3)
        let maxGrams: Int64? = try value(row, 4)
        return MaterialState(code: MaterialCode(unchecked: code), name: try value(row, 1),
                             rate: Rate(perKilogram: Points(centipoints: try value(row, 2))),
                             minGrams: minGrams.map(Grams.init), maxGrams: maxGrams.map(Grams.init),
                             holdMs: try optionalValue(row, 6), lastSeq: try value(row, 5))
    }

    /// The scheme's columns, starting at column `first`.
    static func scheme(_ row: Row, from first: Int = 0) throws -> SchemeState {
        let offset: Int64 = try value(row, first)
        guard let offsetMinutes = Int(exactly: offset), SchemeState.offsetRange.contains(offsetMinutes) else {
            throw StoreError.corrupt("scheme: utc_offset_minutes out of range")
        }
        let daily: Int64? = try optionalValue(row, first + 1)
        let monthly: Int64? = try optionalValue(row, first + 2)
        var alerts = AlertThresholds.standard
        for (index, setting) in AlertThresholds.Setting.allCases.enumerated() {
            let value: Int64 = try self.value(row, first + 6 + index)
            guard setting.range.contains(value) else { throw StoreError.corrupt("scheme: \(setting.rawValue) out of range") }
            alerts[setting] = value
        }
        return SchemeState(offsetMinutes: offsetMinutes, dailyCap: daily.map(Points.init(centipoints:)),
                           monthlyCap: monthly.map(Points.init(centipoints:)), expiryMs: try value(row, first + 3),
                           holdAction: try HoldState.Decision(action: value(row, first + 5)) ?? { throw StoreError.corrupt("scheme: unknown hold_action") }(),
                           alerts: alerts, lastSeq: try value(row, first + 4))
    }

    static func hold(_ row: Row) throws -> HoldState {
        let seq: Int64 = try value(row, 0)
        let account: String = try value(row, 1)
        guard AccountID.isValid(account) else { throw StoreError.corrupt("hold of entry \(seq): invalid account") }
        let decision: String? = try optionalValue(row, 4)
        guard decision == nil || HoldState.Decision(rawValue: decision!) != nil else { throw StoreError.corrupt("hold of entry \(seq): unknown decision") }
        return HoldState(dropoff: seq, account: AccountID(unchecked: account), amount: Points(centipoints: try value(row, 2)),
                         creditedMs: try value(row, 6), untilMs: try value(row, 3), decision: decision.flatMap(HoldState.Decision.init(rawValue:)), lastSeq: try value(row, 5))
    }

    static func token(_ row: Row) throws -> TokenState {
        let id: String = try value(row, 0)
        func bad(_ what: String) -> StoreError { .corrupt("token \(id.debugDescription): \(what)") }
        guard TokenID.isValid(id), let role = Role(rawValue: try value(row, 1)) else { throw bad("invalid id or role") }
        guard let secretHash = Hash256(bytes: try value(row, 4) as Data) else { throw bad("secret_hash is not 32 bytes") }
        let revoked: Int64 = try value(row, 5)
        return TokenState(id: TokenID(unchecked: id), role: role,
                          point: try identifier(row, 2, "point", PointID.self, seq: nil),
                          merchant: try identifier(row, 3, "merchant", AccountID.self, seq: nil),
                          secretHash: secretHash, revoked: revoked != 0, lastSeq: try value(row, 6))
    }

    /// A column's value, read straight from the statement's column (GRDB's fast path for the
    /// types SQLite stores natively: integers, text, blobs), or `corrupt` when it is NULL where a
    /// value is required or of the wrong type.
    static func value<T: DatabaseValueConvertible & StatementColumnConvertible>(_ row: Row, _ index: Int) throws -> T {
        do {
            return try row.decode(T.self, atIndex: index)
        } catch {
            throw StoreError.corrupt("column \(index): \(error)")
        }
    }

    /// An optional column's value through the same fast path; nil for NULL.
    static func optionalValue<T: DatabaseValueConvertible & StatementColumnConvertible>(_ row: Row, _ index: Int) throws -> T? {
        row.hasNull(atIndex: index) ? nil : try value(row, index) as T
    }

    /// A column's value, or `corrupt` when it is NULL where a value is required or of the wrong type.
    static func value<T: DatabaseValueConvertible>(_ row: Row, _ index: Int) throws -> T {
        do {
            return try row.decode(T.self, atIndex: index)
        } catch {
            throw StoreError.corrupt("column \(index): \(error)")
        }
    }

    static func identifier<ID: LedgerIdentifier>(_ row: Row, _ index: Int, _ column: String, _: ID.Type, seq: Int64?) throws -> ID? {
        guard let text: String = try optionalValue(row, index) else { return nil }
        guard ID.isValid(text) else {
            throw StoreError.corrupt("\(seq.map { "journal entry \($0): " } ?? "")\(column) \(text.debugDescription) is not a valid id")
        }
        return ID(unchecked: text)
    }
}
