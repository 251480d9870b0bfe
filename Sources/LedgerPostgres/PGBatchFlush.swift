import LedgerCore
import LedgerCrypto
import LedgerPersistence
import LedgerTransparency
import PostgresNIO

/// Writes one batch's changes, as `BatchFlush` does for SQLite: the entries, the tree's new
/// hashes and every changed account in one statement each (arrays, `unnest`), every other
/// changed row once, and the head moved only from the head the batch extends, while this
/// writer's lease epoch is still the lease's.
///
/// A batch of entries and account changes alone (drop-offs, redemptions, donations: nearly
/// every batch) is written by `writeAtOnce` in one statement, atomic without BEGIN and COMMIT;
/// any other batch by `write`, inside a transaction the caller holds.
struct PGBatchFlush {
    let connection: PGConnection

    /// Whether `writeAtOnce` can write these changes: only entries and accounts.
    static func fitsOneStatement(_ changes: WriteBatch.Changes) -> Bool {
        let projections = changes.projections
        return projections.pinRecords.isEmpty && projections.profiles.isEmpty && projections.points.isEmpty
            && projections.materials.isEmpty && projections.tokens.isEmpty && projections.scheme == nil
            && projections.holds.isEmpty && projections.reversals.isEmpty
    }

    /// The guard every batch's write passes: renews the lease held with `epoch` and moves the head
    /// from `from` to the batch's new head, or neither. Returns the statement's data-modifying
    /// parts (CTEs named `lease` and `head`; whatever else is written selects on `head`).
    static func guardParts(epoch: Int64, leaseMs: Int64, from head: ChainHead, to newHead: ChainHead, binds: inout Binds) -> String {
        """
        lease AS (
            UPDATE writer_lease SET expires_at = clock_timestamp() + \(binds.add(.int(leaseMs))) * interval '1 millisecond'
            WHERE id = 1 AND epoch = \(binds.add(.int(epoch))) RETURNING epoch),
        head AS (
            UPDATE chain_head SET seq = \(binds.add(.int(newHead.seq))), hash = \(binds.add(.bytes(newHead.hash.bytes))),
                time_ms = \(binds.add(.int(newHead.timeMs)))
            WHERE id = 1 AND seq = \(binds.add(.int(head.seq))) AND hash = \(binds.add(.bytes(head.hash.bytes)))
                AND EXISTS (SELECT 1 FROM lease)
            RETURNING seq)
        """
    }

    /// The statement that writes entries, accounts, tree hashes and the head at once, guarded:
    /// when the lease or the head is not what the writer holds, it writes nothing (the lease
    /// aside). Its one row is (lease renewed, head moved), each 0 or 1.
    func writeAtOnce(_ changes: WriteBatch.Changes, tree frontier: inout MerkleFrontier, from head: ChainHead,
                     epoch: Int64, leaseMs: Int64) throws -> (sql: String, binds: PostgresBindings) {
        var binds = Binds()
        let guardParts = Self.guardParts(epoch: epoch, leaseMs: leaseMs, from: head, to: changes.head, binds: &binds)
        var parts = [guardParts, "journal_rows AS (\(Self.journalInsert(changes.entries, binds: &binds, when: "EXISTS (SELECT 1 FROM head)")))"]
        let accounts = Array(changes.projections.accounts.values)
        if !accounts.isEmpty {
            parts.append("account_rows AS (\(Self.accountsUpsert(accounts, binds: &binds, when: "EXISTS (SELECT 1 FROM head)")))")
        }
        if let tree = try Self.treeInsert(leavesOf: changes.entries.map(\.hash), frontier: &frontier, binds: &binds,
                                          when: "EXISTS (SELECT 1 FROM head)") {
            parts.append("tree_rows AS (\(tree))")
        }
        return ("WITH " + parts.joined(separator: ",\n") + "\nSELECT (SELECT count(*) FROM lease), (SELECT count(*) FROM head)",
                PostgresBindings(binds.values))
    }

    /// The guard alone, after `write` inside the caller's transaction: the lease renewed and the
    /// head moved, or neither; one row as `writeAtOnce`'s.
    static func moveHead(from head: ChainHead, to newHead: ChainHead, epoch: Int64, leaseMs: Int64) -> (sql: String, binds: PostgresBindings) {
        var binds = Binds()
        let parts = guardParts(epoch: epoch, leaseMs: leaseMs, from: head, to: newHead, binds: &binds)
        return ("WITH \(parts) SELECT (SELECT count(*) FROM lease), (SELECT count(*) FROM head)", PostgresBindings(binds.values))
    }

    /// Statement parameters numbered as they are added.
    struct Binds {
        private(set) var values: [PGValue] = []

        mutating func add(_ value: PGValue) -> String {
            values.append(value)
            return "$\(values.count)"
        }
    }

    /// The entries as one INSERT … SELECT over arrays. Ids are never empty, so '' stands for
    /// NULL in the arrays (postgres-nio's arrays hold no NULLs).
    static func journalInsert(_ entries: [Entry], binds: inout Binds, when condition: String = "true") -> String {
        """
        INSERT INTO journal (seq, time_ms, kind, debit, credit, amount, actor, ref, attrs, prev_hash, hash)
        SELECT seq, time_ms, kind, NULLIF(debit, ''), NULLIF(credit, ''), amount, actor, NULLIF(ref, ''), attrs, prev_hash, hash
        FROM unnest(\(binds.add(.ints(entries.map(\.seq))))::bigint[], \(binds.add(.ints(entries.map(\.timeMs))))::bigint[],
                    \(binds.add(.texts(entries.map(\.body.kind.rawValue))))::text[],
                    \(binds.add(.texts(entries.map { $0.body.debit?.rawValue ?? "" })))::text[],
                    \(binds.add(.texts(entries.map { $0.body.credit?.rawValue ?? "" })))::text[],
                    \(binds.add(.ints(entries.map(\.body.amount.centipoints))))::bigint[],
                    \(binds.add(.texts(entries.map(\.body.actor.rawValue))))::text[],
                    \(binds.add(.texts(entries.map { $0.body.ref?.rawValue ?? "" })))::text[],
                    \(binds.add(.texts(entries.map { AttributesJSON.encode($0.body.attributes) })))::text[],
                    \(binds.add(.byteArrays(entries.map(\.prevHash.bytes))))::bytea[], \(binds.add(.byteArrays(entries.map(\.hash.bytes))))::bytea[])
            AS e (seq, time_ms, kind, debit, credit, amount, actor, ref, attrs, prev_hash, hash)
        WHERE \(condition)
        """
    }

    /// Every changed account as one upsert over arrays. Names and districts are never empty and
    /// a minimum redemption never 0, so '' and 0 stand for NULL in the arrays.
    static func accountsUpsert(_ accounts: [AccountState], binds: inout Binds, when condition: String = "true") -> String {
        """
        INSERT INTO accounts (id, kind, name, district, balance, min_redeem, pin_failures, locked, last_seq, closed, pending, erased)
        SELECT id, kind, NULLIF(name, ''), NULLIF(district, ''), balance, NULLIF(min_redeem, 0), pin_failures, locked::smallint,
               last_seq, closed::smallint, pending, erased::smallint
        FROM unnest(\(binds.add(.texts(accounts.map(\.id.rawValue))))::text[], \(binds.add(.texts(accounts.map(\.kind.rawValue))))::text[],
                    \(binds.add(.texts(accounts.map { $0.name ?? "" })))::text[], \(binds.add(.texts(accounts.map { $0.district ?? "" })))::text[],
                    \(binds.add(.ints(accounts.map(\.balance.centipoints))))::bigint[],
                    \(binds.add(.ints(accounts.map { $0.minRedeem?.centipoints ?? 0 })))::bigint[],
                    \(binds.add(.ints(accounts.map { Int64($0.pinFailures) })))::bigint[],
                    \(binds.add(.ints(accounts.map { $0.locked ? 1 : 0 })))::bigint[], \(binds.add(.ints(accounts.map(\.lastSeq))))::bigint[],
                    \(binds.add(.ints(accounts.map { $0.closed ? 1 : 0 })))::bigint[], \(binds.add(.ints(accounts.map(\.pending.centipoints))))::bigint[],
                    \(binds.add(.ints(accounts.map { $0.erased ? 1 : 0 })))::bigint[])
            AS a (id, kind, name, district, balance, min_redeem, pin_failures, locked, last_seq, closed, pending, erased)
        WHERE \(condition)
        ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, district = excluded.district,
            balance = excluded.balance, min_redeem = excluded.min_redeem, pin_failures = excluded.pin_failures,
            locked = excluded.locked, last_seq = excluded.last_seq, closed = excluded.closed, pending = excluded.pending,
            erased = excluded.erased
        """
    }

    /// The tree hashes the entries' leaves create, appended to `frontier`, as one INSERT; nil
    /// when they create none.
    static func treeInsert(leavesOf entryHashes: [Hash256], frontier: inout MerkleFrontier, binds: inout Binds,
                           when condition: String = "true") throws -> String? {
        var positions: [Int64] = [], hashes: [[UInt8]] = []
        for entryHash in entryHashes {
            for (position, hash) in try frontier.append(leaf: MerkleHash.leaf(entryHash)) {
                positions.append(position)
                hashes.append(hash.bytes)
            }
        }
        guard !positions.isEmpty else { return nil }
        return """
            INSERT INTO tree_hashes (position, hash)
            SELECT * FROM unnest(\(binds.add(.ints(positions)))::bigint[], \(binds.add(.byteArrays(hashes)))::bytea[]) WHERE \(condition)
            """
    }

    /// Writes every change, statement by statement, inside the caller's transaction (after
    /// `moveHead` has passed).
    func write(_ changes: WriteBatch.Changes, tree frontier: inout MerkleFrontier) throws {
        var binds = Binds()
        try connection.query(Self.journalInsert(changes.entries, binds: &binds), binds.values)
        let projections = changes.projections
        let accounts = Array(projections.accounts.values)
        if !accounts.isEmpty {
            var binds = Binds()
            try connection.query(Self.accountsUpsert(accounts, binds: &binds), binds.values)
        }
        // After the accounts, so a PIN set by the entry that opened its account has a row to go in.
        for (id, record) in projections.pinRecords {
            try connection.query("UPDATE accounts SET pin_hash = $1 WHERE id = $2", [.text(record.text), .text(id.rawValue)])
        }
        for (id, profile) in projections.profiles {
            if let profile {
                try connection.query("INSERT INTO profiles (account, salt, name, district) VALUES ($1, $2, $3, $4)",
                                     [.text(id.rawValue), .text(Hex.encode(profile.salt)), .text(profile.name), .optionalText(profile.district)])
            } else {
                try connection.query("DELETE FROM profiles WHERE account = $1", [.text(id.rawValue)])
            }
        }
        for point in projections.points.values {
            try connection.query("""
                INSERT INTO points (id, name, district, active, last_seq) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, district = excluded.district, active = excluded.active,
                    last_seq = excluded.last_seq
                """, [.text(point.id.rawValue), .text(point.name), .optionalText(point.district), .flag(point.active), .int(point.lastSeq)])
        }
        for material in projections.materials.values {
            try connection.query("""
                INSERT INTO materials (code, name, rate, min_grams, max_grams, last_seq, hold_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (code) DO UPDATE SET name = excluded.name, rate = excluded.rate, min_grams = excluded.min_grams,
                    max_grams = excluded.max_grams, last_seq = excluded.last_seq, hold_ms = excluded.hold_ms
                """, [.text(material.code.rawValue), .text(material.name), .int(material.rate.perKilogram.centipoints),
                      .optionalInt(material.minGrams?.value), .optionalInt(material.maxGrams?.value), .int(material.lastSeq),
                      .optionalInt(material.holdMs)])
        }
        for token in projections.tokens.values {
            try connection.query("""
                INSERT INTO tokens (id, role, point, merchant, secret_hash, revoked, last_seq) VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (id) DO UPDATE SET role = excluded.role, point = excluded.point, merchant = excluded.merchant,
                    secret_hash = excluded.secret_hash, revoked = excluded.revoked, last_seq = excluded.last_seq
                """, [.text(token.id.rawValue), .text(token.role.rawValue), .optionalText(token.point?.rawValue),
                      .optionalText(token.merchant?.rawValue), .bytes(token.secretHash.bytes), .flag(token.revoked), .int(token.lastSeq)])
        }
        if let scheme = projections.scheme {
            let alerts = AlertThresholds.Setting.allCases.map { PGValue.int(scheme.alerts[$0]) }
            try connection.query("""
                INSERT INTO scheme (id, utc_offset_minutes, daily_cap, monthly_cap, expiry_ms, last_seq, hold_action,
                    alert_weight_factor, alert_points, alert_repeats, alert_surge_factor)
                VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (id) DO UPDATE SET utc_offset_minutes = excluded.utc_offset_minutes, daily_cap = excluded.daily_cap,
                    monthly_cap = excluded.monthly_cap, expiry_ms = excluded.expiry_ms, last_seq = excluded.last_seq,
                    hold_action = excluded.hold_action, alert_weight_factor = excluded.alert_weight_factor,
                    alert_points = excluded.alert_points, alert_repeats = excluded.alert_repeats,
                    alert_surge_factor = excluded.alert_surge_factor
                """, [.int(Int64(scheme.offsetMinutes)), .optionalInt(scheme.dailyCap?.centipoints), .optionalInt(scheme.monthlyCap?.centipoints),
                      .int(scheme.expiryMs), .int(scheme.lastSeq), .text(scheme.holdAction.action)] + alerts)
        }
        for hold in projections.holds.values {
            try connection.query("""
                INSERT INTO holds (dropoff_seq, account, amount, until_ms, decision, last_seq, credited_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (dropoff_seq) DO UPDATE SET account = excluded.account, amount = excluded.amount, until_ms = excluded.until_ms,
                    decision = excluded.decision, last_seq = excluded.last_seq, credited_ms = excluded.credited_ms
                """, [.int(hold.dropoff), .text(hold.account.rawValue), .int(hold.amount.centipoints), .int(hold.untilMs),
                      .optionalText(hold.decision?.rawValue), .int(hold.lastSeq), .int(hold.creditedMs)])
        }
        for (original, by) in projections.reversals {
            try connection.query("INSERT INTO reversals (original_seq, reversal_seq) VALUES ($1, $2)", [.int(original), .int(by)])
        }
        // The entries' leaves: the tree always covers exactly the journal.
        var treeBinds = Binds()
        if let tree = try Self.treeInsert(leavesOf: changes.entries.map(\.hash), frontier: &frontier, binds: &treeBinds) {
            try connection.query(tree, treeBinds.values)
        }
    }
}
