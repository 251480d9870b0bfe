import LedgerCore
import LedgerCrypto

/// Builds core values from stored rows, validating everything: a row that a tampered or
/// damaged file holds becomes a `StoreError.corrupt`, never a crash.
///
/// Every query selects one of the column lists below and rows are decoded by position, not by
/// name (GRDB's by-name lookup lower-cases the name on every call, the writer's hottest cost).
/// Projection rows are read as strictly as the journal's: each value must have its column's
/// storage class (`StoredColumns`), and its range as the schema's CHECK constraints give it.
package enum RowDecoding {
    package static let journalColumns = "seq, time_ms, kind, debit, credit, amount, actor, ref, attrs, prev_hash, hash"
    /// An account row with its profile, if any: select these from `accountSource`.
    package static let accountColumns = """
        accounts.id, kind, accounts.name, accounts.district, balance, min_redeem, pin_hash, pin_failures, locked, last_seq, \
        closed, pending, erased, \(profileColumns)
        """
    package static let accountSource = "accounts LEFT JOIN profiles ON profiles.account = accounts.id"
    /// Each text's storage class, then its bytes: SQLite's text values stop at a NUL byte when
    /// read as C strings, and personal data must not hide behind one.
    package static let profileColumns = """
        typeof(profiles.salt), CAST(profiles.salt AS BLOB), typeof(profiles.name), CAST(profiles.name AS BLOB), \
        typeof(profiles.district), CAST(profiles.district AS BLOB)
        """
    package static let pointColumns = "id, name, district, active, last_seq"
    package static let materialColumns = "code, name, rate, min_grams, max_grams, last_seq, hold_ms"
    package static let schemeColumns = """
        utc_offset_minutes, daily_cap, monthly_cap, expiry_ms, last_seq, hold_action, \
        alert_weight_factor, alert_points, alert_repeats, alert_surge_factor
        """
    package static let holdColumns = "dropoff_seq, account, amount, until_ms, decision, last_seq, credited_ms"
    package static let tokenColumns = "id, role, point, merchant, secret_hash, revoked, last_seq"

    /// An entry from a journal row's values, however they were read (GRDB's rows here, the
    /// audit's column buffers in `ScannedRow`): the one place a stored entry is validated.
    package static func entry(seq: Int64, timeMs: Int64, kind: String?, debit: String?, credit: String?, amount: Int64,
                      actor: String?, ref: String?, attrs: String?, prevHash: Hash256?, hash: Hash256?) throws -> Entry {
        try entry(seq: seq, timeMs: timeMs, kind: kind, debit: debit, credit: credit, amount: amount, actor: actor, ref: ref,
                  attributes: attrs.flatMap(AttributesJSON.decode), prevHash: prevHash, hash: hash)
    }

    /// The same, with `attrs` already read from its canonical form (nil when it was not in it):
    /// the audit's scan reads it once, for the hash and for the entry.
    package static func entry(seq: Int64, timeMs: Int64, kind: String?, debit: String?, credit: String?, amount: Int64,
                      actor: String?, ref: String?, attributes: EntryAttributes?, prevHash: Hash256?, hash: Hash256?) throws -> Entry {
        func bad(_ what: String) -> StoreError { .corrupt("journal entry \(seq): \(what)") }
        func identifier<ID: LedgerIdentifier>(_ text: String?, _ column: String, _: ID.Type) throws -> ID? {
            guard let text else { return nil }
            guard ID.isValid(text) else { throw bad("\(column) \(text.debugDescription) is not a valid id") }
            return ID(unchecked: text)
        }
        guard let kind = kind.flatMap(EntryKind.init(rawValue:)) else { throw bad("unknown kind") }
        guard let attributes else { throw bad("attrs is not in the canonical form") }
        guard let actor = try identifier(actor, "actor", Actor.self) else { throw bad("actor missing") }
        guard let prevHash, let hash else { throw bad("hashes are not 32 bytes") }
        let body = EntryBody(kind: kind, debit: try identifier(debit, "debit", AccountID.self),
                             credit: try identifier(credit, "credit", AccountID.self), amount: Points(centipoints: amount),
                             actor: actor, ref: try identifier(ref, "ref", ClientRef.self), attributes: attributes)
        return Entry(seq: seq, timeMs: timeMs, body: body, prevHash: prevHash, hash: hash)
    }

    package static func account(_ row: some StoredColumns) throws -> AccountState {
        let id = try decoding("account") { try row.text(0, "id") }
        return try decoding("account \(id.debugDescription)") {
            guard AccountID.isValid(id) else { throw StoreError.corrupt("id is not a valid id") }
            guard let kind = AccountKind(rawValue: try row.text(1, "kind")) else { throw StoreError.corrupt("kind is not a kind of account") }
            let name = try row.optionalText(2, "name")
            guard name != nil || kind == .resident else { throw StoreError.corrupt("name is NULL, which only a resident's may be") }
            let balance = try row.integer(4, "balance")
            guard balance != Int64.min, balance >= 0 || kind == .system else {
                throw StoreError.corrupt("balance \(balance) is out of range")
            }
            let pinHash = try row.optionalText(6, "pin_hash")
            guard let pinFailures = Int(exactly: try row.integer(7, "pin_failures", atLeast: 0)) else {
                throw StoreError.corrupt("pin_failures is out of range")
            }
            // Like the PIN record's, the digest is recomputed from the stored profile, so an audit
            // comparing it with the journal's checks the profile itself.
            let profileDigest = try profile(row, from: 13)?.digest
            return AccountState(
                id: AccountID(unchecked: id), kind: kind, name: name, district: try row.optionalText(3, "district"),
                profileDigest: profileDigest, erased: try row.flag(12, "erased"),
                balance: Points(centipoints: balance),
                minRedeem: try row.optionalInteger(5, "min_redeem", atLeast: 1).map(Points.init(centipoints:)),
                pinDigest: try pinHash.map { try SHA256.digest(Array($0.utf8)) }, pinFailures: pinFailures,
                locked: try row.flag(8, "locked"), closed: try row.flag(10, "closed"),
                pending: Points(centipoints: try row.integer(11, "pending", atLeast: 0)), lastSeq: try row.lastSeq(9))
        }
    }

    /// A profile from `profileColumns` starting at column `index`; nil when the row has none.
    package static func profile(_ row: some StoredColumns, from index: Int) throws -> Profile? {
        /// Each text is selected twice: its storage class (`typeof`), then its bytes (`CAST … AS
        /// BLOB`), which a reader gets whole, NUL bytes included, however it reads text.
        func text(_ column: Int, _ name: String) throws -> String? {
            let storage = try row.text(column, "typeof(\(name))")
            guard storage != "null" else { return nil }
            guard storage == "text" else { throw StoreError.corrupt("profile \(name) is not text (it is \(storage))") }
            guard case .blob(let bytes) = row.storedValue(at: column + 1) else { throw StoreError.corrupt("profile \(name) cannot be read") }
            guard let text = String(validating: bytes, as: UTF8.self) else { throw StoreError.corrupt("profile \(name) is not UTF-8") }
            return text
        }
        guard let saltHex = try text(index, "salt") else {
            guard try text(index + 2, "name") == nil, try text(index + 4, "district") == nil else {
                throw StoreError.corrupt("profile has no salt")
            }
            return nil
        }
        guard let salt = Hex.decode(saltHex), saltHex == Hex.encode(salt) else {
            throw StoreError.corrupt("profile salt is not lowercase hex")
        }
        guard let name = try text(index + 2, "name") else { throw StoreError.corrupt("profile has no name") }
        do {
            return try Profile(name: name, district: try text(index + 4, "district"), salt: salt)
        } catch {
            throw StoreError.corrupt("profile is malformed: \(error)")
        }
    }

    package static func point(_ row: some StoredColumns) throws -> PointState {
        let id = try decoding("point") { try row.text(0, "id") }
        return try decoding("point \(id.debugDescription)") {
            guard PointID.isValid(id) else { throw StoreError.corrupt("id is not a valid id") }
            return PointState(id: PointID(unchecked: id), name: try row.text(1, "name"), district: try row.optionalText(2, "district"),
                              active: try row.flag(3, "active"), lastSeq: try row.lastSeq(4))
        }
    }

    package static func material(_ row: some StoredColumns) throws -> MaterialState {
        let code = try decoding("material") { try row.text(0, "code") }
        return try decoding("material \(code.debugDescription)") {
            guard MaterialCode.isValid(code) else { throw StoreError.corrupt("code is not a valid code") }
            let holdMs = try row.optionalInteger(6, "hold_ms")
            guard holdMs.map(MaterialState.holdRange.contains) ?? true else { throw StoreError.corrupt("hold_ms is out of range") }
            return MaterialState(code: MaterialCode(unchecked: code), name: try row.text(1, "name"),
                                 rate: Rate(perKilogram: Points(centipoints: try row.integer(2, "rate", atLeast: 1))),
                                 minGrams: try row.optionalInteger(3, "min_grams", atLeast: 1).map(Grams.init),
                                 maxGrams: try row.optionalInteger(4, "max_grams", atLeast: 1).map(Grams.init),
                                 holdMs: holdMs, lastSeq: try row.lastSeq(5))
        }
    }

    /// The scheme's columns, starting at column `first`.
    package static func scheme(_ row: some StoredColumns, from first: Int = 0) throws -> SchemeState {
        try decoding("scheme") {
            let offset = try row.integer(first, "utc_offset_minutes")
            guard let offsetMinutes = Int(exactly: offset), SchemeState.offsetRange.contains(offsetMinutes) else {
                throw StoreError.corrupt("utc_offset_minutes is out of range")
            }
            var alerts = AlertThresholds.standard
            for (index, setting) in AlertThresholds.Setting.allCases.enumerated() {
                let value = try row.integer(first + 6 + index, setting.rawValue)
                guard setting.range.contains(value) else { throw StoreError.corrupt("\(setting.rawValue) is out of range") }
                alerts[setting] = value
            }
            let expiryMs = try row.integer(first + 3, "expiry_ms")
            guard SchemeState.expiryRange.contains(expiryMs) else { throw StoreError.corrupt("expiry_ms is out of range") }
            guard let holdAction = HoldState.Decision(action: try row.text(first + 5, "hold_action")) else {
                throw StoreError.corrupt("hold_action is neither void nor post")
            }
            return SchemeState(offsetMinutes: offsetMinutes,
                               dailyCap: try row.optionalInteger(first + 1, "daily_cap", atLeast: 1).map(Points.init(centipoints:)),
                               monthlyCap: try row.optionalInteger(first + 2, "monthly_cap", atLeast: 1).map(Points.init(centipoints:)),
                               expiryMs: expiryMs, holdAction: holdAction, alerts: alerts, lastSeq: try row.lastSeq(first + 4))
        }
    }

    package static func hold(_ row: some StoredColumns) throws -> HoldState {
        let seq = try decoding("hold") { try row.integer(0, "dropoff_seq", atLeast: 1) }
        return try decoding("hold of entry \(seq)") {
            let account = try row.text(1, "account")
            guard AccountID.isValid(account) else { throw StoreError.corrupt("account is not a valid id") }
            let decision = try row.optionalText(4, "decision")
            guard decision.map({ HoldState.Decision(rawValue: $0) != nil }) ?? true else {
                throw StoreError.corrupt("decision is neither posted nor voided")
            }
            return HoldState(dropoff: seq, account: AccountID(unchecked: account), amount: Points(centipoints: try row.integer(2, "amount", atLeast: 1)),
                             creditedMs: try row.integer(6, "credited_ms"), untilMs: try row.integer(3, "until_ms"),
                             decision: decision.flatMap(HoldState.Decision.init(rawValue:)), lastSeq: try row.lastSeq(5))
        }
    }

    /// The roles a token may have (`token_issued` refuses `resident`, and the schema's CHECK too).
    package static let tokenRoles: Set<Role> = [.admin, .operator, .merchant, .auditor, .witness]

    package static func token(_ row: some StoredColumns) throws -> TokenState {
        let id = try decoding("token") { try row.text(0, "id") }
        return try decoding("token \(id.debugDescription)") {
            guard TokenID.isValid(id) else { throw StoreError.corrupt("id is not a valid id") }
            guard let role = Role(rawValue: try row.text(1, "role")), tokenRoles.contains(role) else {
                throw StoreError.corrupt("role is not a token's role")
            }
            guard let secretHash = Hash256(bytes: try row.blob(4, "secret_hash")) else { throw StoreError.corrupt("secret_hash is not 32 bytes") }
            func identifier<ID: LedgerIdentifier>(_ index: Int, _ column: String, _: ID.Type) throws -> ID? {
                guard let text = try row.optionalText(index, column) else { return nil }
                guard ID.isValid(text) else { throw StoreError.corrupt("\(column) \(text.debugDescription) is not a valid id") }
                return ID(unchecked: text)
            }
            return TokenState(id: TokenID(unchecked: id), role: role, point: try identifier(2, "point", PointID.self),
                              merchant: try identifier(3, "merchant", AccountID.self),
                              secretHash: secretHash, revoked: try row.flag(5, "revoked"), lastSeq: try row.lastSeq(6))
        }
    }

    /// Runs `body`, naming the row in its `corrupt` error: `account "R-1": balance is not an integer`.
    package static func decoding<T>(_ row: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch StoreError.corrupt(let why) {
            throw StoreError.corrupt("\(row()): \(why)")
        }
    }
}

/// A stored row's columns by position, each value as SQLite holds it: its storage class
/// (`StoredValue`), never converted to another. The projection decoders read through it, so a
/// value of the wrong class is malformed instead of being read as what SQLite would make of
/// it (the text `2300x` as the integer 2300). The audit reads raw statement columns
/// (`SQLiteCursor`); readers read GRDB's rows.
package protocol StoredColumns {
    func storedValue(at index: Int) -> StoredValue
}

/// One stored value: SQLite's five storage classes.
package enum StoredValue {
    case null
    case integer(Int64)
    case real(Double)
    /// Text as its stored bytes, decoded as UTF-8; nil when they are not UTF-8.
    case text(String?)
    case blob([UInt8])

    package var storageClass: String {
        switch self {
        case .null: "NULL"
        case .integer: "INTEGER"
        case .real: "REAL"
        case .text: "TEXT"
        case .blob: "BLOB"
        }
    }
}

extension StoredColumns {
    /// An INTEGER, at least `minimum`.
    package func integer(_ index: Int, _ column: String, atLeast minimum: Int64 = .min) throws -> Int64 {
        guard let value = try optionalInteger(index, column, atLeast: minimum) else { throw StoreError.corrupt("\(column) is NULL") }
        return value
    }

    /// An INTEGER at least `minimum`, or NULL.
    package func optionalInteger(_ index: Int, _ column: String, atLeast minimum: Int64 = .min) throws -> Int64? {
        switch storedValue(at: index) {
        case .null: return nil
        case .integer(let value):
            guard value >= minimum else { throw StoreError.corrupt("\(column) \(value) is out of range (at least \(minimum))") }
            return value
        case let other: throw StoreError.corrupt("\(column) is not an integer (it is \(other.storageClass))")
        }
    }

    /// A TEXT of UTF-8.
    package func text(_ index: Int, _ column: String) throws -> String {
        guard let value = try optionalText(index, column) else { throw StoreError.corrupt("\(column) is NULL") }
        return value
    }

    /// A TEXT of UTF-8, or NULL.
    package func optionalText(_ index: Int, _ column: String) throws -> String? {
        switch storedValue(at: index) {
        case .null: return nil
        case .text(let value?): return value
        case .text(nil): throw StoreError.corrupt("\(column) is not UTF-8")
        case let other: throw StoreError.corrupt("\(column) is not text (it is \(other.storageClass))")
        }
    }

    /// A BLOB.
    package func blob(_ index: Int, _ column: String) throws -> [UInt8] {
        switch storedValue(at: index) {
        case .blob(let bytes): return bytes
        case .null: throw StoreError.corrupt("\(column) is NULL")
        case let other: throw StoreError.corrupt("\(column) is not a blob (it is \(other.storageClass))")
        }
    }

    /// A boolean: the INTEGER 0 or 1, nothing else.
    package func flag(_ index: Int, _ column: String) throws -> Bool {
        switch try integer(index, column) {
        case 0: return false
        case 1: return true
        case let value: throw StoreError.corrupt("\(column) \(value) is neither 0 nor 1")
        }
    }

    /// A `last_seq`: the INTEGER seq of an entry, or 0 (no entry: a system account's genesis).
    package func lastSeq(_ index: Int) throws -> Int64 {
        try integer(index, "last_seq", atLeast: 0)
    }

    /// The `last_seq` at `index` when it is one, else 0: where a malformed row is reported.
    package func reportedSeq(_ index: Int) -> Int64 {
        (try? lastSeq(index)) ?? 0
    }
}
