import LedgerCore
import LedgerCrypto
import LedgerPersistence
import LedgerTransparency

/// The ledger's state read from PostgreSQL on one connection, inside whatever transaction the
/// caller holds (a REPEATABLE READ snapshot for readers, the writer's own for its batch). The
/// rows are decoded by the same `RowDecoding` as SQLite's, so both engines accept and refuse
/// exactly the same stored values.
struct PGReads {
    let connection: PGConnection
    /// The last entry this process knows is on the synchronous standby (it committed it, or
    /// saw it after a commit of its own returned); nil when it is not the writer.
    var acknowledged: Int64? = nil
    /// The writer's batch asks for each request's ref: answered from one query for the whole
    /// batch (`prefetching(refs:)`), not one round trip each.
    private var prefetched: (refs: Set<String>, entries: [String: Entry])? = nil

    init(connection: PGConnection, acknowledged: Int64? = nil) {
        self.connection = connection
        self.acknowledged = acknowledged
    }

    /// These reads, answering `entry(ref:)` for each of `refs` from `found` (the entries holding
    /// any of them, fetched by the writer's first statement).
    func prefetched(refs: [String], found: [Entry]) -> PGReads {
        var reads = self
        var entries: [String: Entry] = [:]
        for entry in found {
            if let ref = entry.body.ref { entries[ref.rawValue] = entry }
        }
        reads.prefetched = (Set(refs), entries)
        return reads
    }

    /// An account row with its profile: the profile's texts come as (their kind, their bytes),
    /// the shape `RowDecoding.profile` reads.
    static let accountColumns = """
        accounts.id, kind, accounts.name, accounts.district, balance, min_redeem, pin_hash, pin_failures, locked, last_seq, \
        closed, pending, erased, \
        CASE WHEN profiles.salt IS NULL THEN 'null' ELSE 'text' END, convert_to(profiles.salt, 'UTF8'), \
        CASE WHEN profiles.name IS NULL THEN 'null' ELSE 'text' END, convert_to(profiles.name, 'UTF8'), \
        CASE WHEN profiles.district IS NULL THEN 'null' ELSE 'text' END, convert_to(profiles.district, 'UTF8')
        """
    static let accountSource = RowDecoding.accountSource

    static func entry(_ row: PGRow) throws -> Entry {
        try RowDecoding.entry(seq: try row.integer(0, "seq"), timeMs: try row.integer(1, "time_ms"), kind: try row.optionalText(2, "kind"),
                              debit: try row.optionalText(3, "debit"), credit: try row.optionalText(4, "credit"),
                              amount: try row.integer(5, "amount"), actor: try row.optionalText(6, "actor"),
                              ref: try row.optionalText(7, "ref"), attrs: try row.optionalText(8, "attrs"),
                              prevHash: Hash256(bytes: try row.blob(9, "prev_hash")), hash: Hash256(bytes: try row.blob(10, "hash")))
    }

    func head() throws -> ChainHead {
        guard let row = try connection.one("SELECT seq, hash, time_ms FROM chain_head WHERE id = 1"),
              let hash = Hash256(bytes: try row.blob(1, "hash")) else {
            throw StoreError.corrupt("chain_head row is missing or malformed")
        }
        return ChainHead(seq: try row.integer(0, "seq"), hash: hash, timeMs: try row.integer(2, "time_ms"))
    }

    func account(_ id: AccountID) throws -> AccountState? {
        try connection.one("SELECT \(Self.accountColumns) FROM \(Self.accountSource) WHERE accounts.id = $1", [.text(id.rawValue)])
            .map(RowDecoding.account)
    }

    func profile(_ id: AccountID) throws -> Profile? {
        let row = try connection.one("""
            SELECT 'text', convert_to(salt, 'UTF8'), 'text', convert_to(name, 'UTF8'),
                   CASE WHEN district IS NULL THEN 'null' ELSE 'text' END, convert_to(district, 'UTF8')
            FROM profiles WHERE account = $1
            """, [.text(id.rawValue)])
        do {
            return try row.flatMap { try RowDecoding.profile($0, from: 0) }
        } catch let error as StoreError {
            throw StoreError.corrupt("account \(id): \(error)")
        }
    }

    func pinRecord(_ id: AccountID) throws -> PINRecord? {
        guard let text = try connection.one("SELECT pin_hash FROM accounts WHERE id = $1", [.text(id.rawValue)])?.optionalText(0, "pin_hash") else {
            return nil
        }
        guard let record = PINRecord(text: text) else { throw StoreError.corrupt("account \(id): pin_hash is malformed") }
        return record
    }

    func point(_ id: PointID) throws -> PointState? {
        try connection.one("SELECT \(RowDecoding.pointColumns) FROM points WHERE id = $1", [.text(id.rawValue)]).map(RowDecoding.point)
    }

    func material(_ code: MaterialCode) throws -> MaterialState? {
        try connection.one("SELECT \(RowDecoding.materialColumns) FROM materials WHERE code = $1", [.text(code.rawValue)])
            .map(RowDecoding.material)
    }

    func token(_ id: TokenID) throws -> TokenState? {
        try connection.one("SELECT \(RowDecoding.tokenColumns) FROM tokens WHERE id = $1", [.text(id.rawValue)]).map(RowDecoding.token)
    }

    func entry(seq: Int64) throws -> Entry? {
        try connection.one("SELECT \(RowDecoding.journalColumns) FROM journal WHERE seq = $1", [.int(seq)]).map(Self.entry)
    }

    func entry(ref: ClientRef) throws -> Entry? {
        if let prefetched, prefetched.refs.contains(ref.rawValue) { return prefetched.entries[ref.rawValue] }
        return try connection.one("SELECT \(RowDecoding.journalColumns) FROM journal WHERE ref = $1", [.text(ref.rawValue)]).map(Self.entry)
    }

    func scheme() throws -> SchemeState {
        try connection.one("SELECT \(RowDecoding.schemeColumns) FROM scheme WHERE id = 1").map { try RowDecoding.scheme($0) } ?? .initial
    }

    /// The first seq whose time is at least `timeMs` (one past the head when none is), by a
    /// binary search over seq: entry times never decrease.
    func firstSeq(notBefore timeMs: Int64) throws -> Int64 {
        var low: Int64 = 1, high = try head().seq + 1
        while low < high {
            let middle = low + (high - low) / 2
            guard let stored = try connection.one("SELECT time_ms FROM journal WHERE seq = $1", [.int(middle)]) else {
                throw StoreError.corrupt("journal entry \(middle) is missing")
            }
            if try stored.integer(0, "time_ms") < timeMs { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private func sum(_ sql: String, _ values: [PGValue]) throws -> Points {
        Points(centipoints: try connection.one(sql, values)?.optionalInteger(0, "sum") ?? 0)
    }

    func earned(by account: AccountID, since timeMs: Int64) throws -> Points {
        try sum("""
            SELECT coalesce(sum(amount), 0)::bigint FROM journal WHERE credit = $1 AND seq >= $2 AND kind = 'dropoff' AND time_ms >= $3
            """, [.text(account.rawValue), .int(try firstSeq(notBefore: timeMs)), .int(timeMs)])
    }

    func credited(to account: AccountID, after timeMs: Int64) throws -> Points {
        let (from, overflow) = timeMs.addingReportingOverflow(1)
        return try sum("SELECT coalesce(sum(amount), 0)::bigint FROM journal WHERE credit = $1 AND seq >= $2 AND time_ms > $3",
                       [.text(account.rawValue), .int(overflow ? Int64.max : try firstSeq(notBefore: from)), .int(timeMs)])
    }

    func hold(_ dropoff: Int64) throws -> HoldState? {
        try connection.one("SELECT \(RowDecoding.holdColumns) FROM holds WHERE dropoff_seq = $1", [.int(dropoff)]).map(RowDecoding.hold)
    }

    func unpostedHeld(of account: AccountID, after timeMs: Int64) throws -> [(seq: Int64, centipoints: Int64)] {
        try connection.query("""
            SELECT dropoff_seq, amount FROM holds
            WHERE account = $1 AND credited_ms > $2 AND (decision IS NULL OR decision = 'voided')
            """, [.text(account.rawValue), .int(timeMs)]).map { (try $0.integer(0, "dropoff_seq"), try $0.integer(1, "amount")) }
    }

    func reversal(of seq: Int64) throws -> Int64? {
        try connection.one("SELECT reversal_seq FROM reversals WHERE original_seq = $1", [.int(seq)])?.integer(0, "reversal_seq")
    }

    func meta(_ key: String) throws -> String? {
        try connection.one("SELECT value FROM ledger_meta WHERE key = $1", [.text(key)])?.text(0, "value")
    }

    func hasKeyedPINRecords() throws -> Bool {
        try connection.one("SELECT EXISTS (SELECT 1 FROM accounts WHERE pin_hash LIKE 'pbkdf2-sha256-keyed$%')::int")?
            .flag(0, "exists") ?? false
    }

    func wasUnlocked(_ account: AccountID, after seq: Int64) throws -> Bool {
        try connection.one("""
            SELECT EXISTS (SELECT 1 FROM journal WHERE seq > $1 AND kind = 'account_unlocked' AND (attrs::jsonb ->> 'account') = $2)::int
            """, [.int(seq), .text(account.rawValue)])?.flag(0, "exists") ?? false
    }

    func history(of account: AccountID, limit: Int, before: Int64) throws -> [Entry] {
        try connection.query("""
            SELECT \(RowDecoding.journalColumns) FROM (
                (SELECT * FROM journal WHERE debit = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3)
                UNION ALL
                (SELECT * FROM journal WHERE credit = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3)
            ) AS moves ORDER BY seq DESC LIMIT $3
            """, [.text(account.rawValue), .int(before), .int(Int64(limit))]).map(Self.entry)
    }

    func points() throws -> [PointState] {
        try connection.query("SELECT \(RowDecoding.pointColumns) FROM points ORDER BY id").map(RowDecoding.point)
    }

    func materials() throws -> [MaterialState] {
        try connection.query("SELECT \(RowDecoding.materialColumns) FROM materials ORDER BY code").map(RowDecoding.material)
    }

    func tokens() throws -> [TokenState] {
        try connection.query("SELECT \(RowDecoding.tokenColumns) FROM tokens ORDER BY id").map(RowDecoding.token)
    }

    func tokenSnapshot() throws -> TokenSnapshot {
        TokenSnapshot(tokens: try tokens(), asOf: try head().seq)
    }

    func holdsDue(asOf: Int64) throws -> [Int64] {
        try connection.query("SELECT dropoff_seq FROM holds WHERE decision IS NULL AND until_ms <= $1 ORDER BY dropoff_seq", [.int(asOf)])
            .map { try $0.integer(0, "dropoff_seq") }
    }
}

extension PGReads: CommittedRows, LedgerReads {}
