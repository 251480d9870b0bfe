import LedgerCore
import LedgerCrypto
import LedgerPersistence
import LedgerTransparency
import PostgresNIO

/// Writes one batch's changes, as `BatchFlush` does for SQLite. Every batch calls the writer's
/// session function (`createWriteFunction`): the lease renewed and the head moved from the head
/// the batch extends, then its entries, accounts and tree hashes inserted from arrays, or nothing
/// at all when the lease or the head is not the writer's. A batch that changes more (a PIN, a
/// profile, the catalogue, a token, the scheme, a hold, a reversal) then writes those rows one
/// statement each (`writeRest`), in the same transaction.
struct PGBatchFlush {
    let connection: PGConnection

    /// Whether the write function writes all of these changes (only entries and accounts).
    static func writeCallCoversAll(_ changes: WriteBatch.Changes) -> Bool {
        let projections = changes.projections
        return projections.pinRecords.isEmpty && projections.profiles.isEmpty && projections.points.isEmpty
            && projections.materials.isEmpty && projections.tokens.isEmpty && projections.scheme == nil
            && projections.holds.isEmpty && projections.reversals.isEmpty
    }

    /// The function that writes a batch of entries and account changes with its guard, created
    /// for the writer's session only (in `pg_temp`, when the writer connects: nothing is added
    /// to the ledger's schema, and PostgreSQL lets every role make temporary objects unless its
    /// TEMP privilege is revoked). PL/pgSQL plans its statements once per session, where a
    /// statement sent as text is parsed and planned for every batch (about 1.5 ms of the
    /// server's time each). Writes nothing, the lease aside, unless the lease and the head are
    /// the writer's; returns (lease renewed, head moved), each 0 or 1.
    static let createWriteFunction = """
        CREATE FUNCTION pg_temp.ecoledger_write_batch(
            p_lease_ms bigint, p_epoch bigint, p_old_seq bigint, p_old_hash bytea, p_new_seq bigint, p_new_hash bytea, p_new_time bigint,
            p_seq bigint[], p_time bigint[], p_kind text[], p_debit text[], p_credit text[], p_amount bigint[], p_actor text[],
            p_ref text[], p_attrs text[], p_prev bytea[], p_hash bytea[],
            p_id text[], p_account_kind text[], p_name text[], p_district text[], p_balance bigint[], p_min_redeem bigint[],
            p_pin_failures bigint[], p_locked bigint[], p_last_seq bigint[], p_closed bigint[], p_pending bigint[], p_erased bigint[],
            p_position bigint[], p_tree_hash bytea[])
        RETURNS TABLE (renewed int, moved int) LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE writer_lease SET expires_at = clock_timestamp() + p_lease_ms * interval '1 millisecond' WHERE id = 1 AND epoch = p_epoch;
            IF NOT FOUND THEN
                RETURN QUERY SELECT 0, 0;
                RETURN;
            END IF;
            UPDATE chain_head SET seq = p_new_seq, hash = p_new_hash, time_ms = p_new_time WHERE id = 1 AND seq = p_old_seq AND hash = p_old_hash;
            IF NOT FOUND THEN
                RETURN QUERY SELECT 1, 0;
                RETURN;
            END IF;
            -- Ids are never empty, names and districts never empty, a minimum redemption never 0:
            -- '' and 0 stand for NULL in the arrays (postgres-nio's arrays hold no NULLs).
            INSERT INTO journal (seq, time_ms, kind, debit, credit, amount, actor, ref, attrs, prev_hash, hash)
            SELECT e.seq, e.time_ms, e.kind, NULLIF(e.debit, ''), NULLIF(e.credit, ''), e.amount, e.actor, NULLIF(e.ref, ''), e.attrs,
                   e.prev_hash, e.hash
            FROM unnest(p_seq, p_time, p_kind, p_debit, p_credit, p_amount, p_actor, p_ref, p_attrs, p_prev, p_hash)
                AS e (seq, time_ms, kind, debit, credit, amount, actor, ref, attrs, prev_hash, hash);
            INSERT INTO accounts AS old (id, kind, name, district, balance, min_redeem, pin_failures, locked, last_seq, closed, pending, erased)
            SELECT a.id, a.kind, NULLIF(a.name, ''), NULLIF(a.district, ''), a.balance, NULLIF(a.min_redeem, 0), a.pin_failures,
                   a.locked::smallint, a.last_seq, a.closed::smallint, a.pending, a.erased::smallint
            FROM unnest(p_id, p_account_kind, p_name, p_district, p_balance, p_min_redeem, p_pin_failures, p_locked, p_last_seq,
                        p_closed, p_pending, p_erased)
                AS a (id, kind, name, district, balance, min_redeem, pin_failures, locked, last_seq, closed, pending, erased)
            ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, district = excluded.district,
                balance = excluded.balance, min_redeem = excluded.min_redeem, pin_failures = excluded.pin_failures,
                locked = excluded.locked, last_seq = excluded.last_seq, closed = excluded.closed, pending = excluded.pending,
                erased = excluded.erased;
            INSERT INTO tree_hashes (position, hash) SELECT t.position, t.hash FROM unnest(p_position, p_tree_hash) AS t (position, hash);
            RETURN QUERY SELECT 1, 1;
        END
        $$
        """

    /// The call of the write function for a batch, its entries, accounts and tree hashes as
    /// arrays; its one row is (lease renewed, head moved).
    func writeCall(_ changes: WriteBatch.Changes, tree frontier: inout MerkleFrontier, from head: ChainHead,
                     epoch: Int64, leaseMs: Int64) throws -> (sql: String, binds: PostgresBindings) {
        let entries = changes.entries, accounts = Array(changes.projections.accounts.values)
        let tree = try Self.treeRows(leavesOf: entries.map(\.hash), frontier: &frontier)
        let newHead = changes.head
        let arguments: [PGValue] = [
            .int(leaseMs), .int(epoch), .int(head.seq), .bytes(head.hash.bytes), .int(newHead.seq), .bytes(newHead.hash.bytes), .int(newHead.timeMs),
            .ints(entries.map(\.seq)), .ints(entries.map(\.timeMs)), .texts(entries.map(\.body.kind.rawValue)),
            .texts(entries.map { $0.body.debit?.rawValue ?? "" }), .texts(entries.map { $0.body.credit?.rawValue ?? "" }),
            .ints(entries.map(\.body.amount.centipoints)), .texts(entries.map(\.body.actor.rawValue)),
            .texts(entries.map { $0.body.ref?.rawValue ?? "" }), .texts(entries.map { AttributesJSON.encode($0.body.attributes) }),
            .byteArrays(entries.map(\.prevHash.bytes)), .byteArrays(entries.map(\.hash.bytes)),
            .texts(accounts.map(\.id.rawValue)), .texts(accounts.map(\.kind.rawValue)), .texts(accounts.map { $0.name ?? "" }),
            .texts(accounts.map { $0.district ?? "" }), .ints(accounts.map(\.balance.centipoints)),
            .ints(accounts.map { $0.minRedeem?.centipoints ?? 0 }), .ints(accounts.map { Int64($0.pinFailures) }),
            .ints(accounts.map { $0.locked ? 1 : 0 }), .ints(accounts.map(\.lastSeq)), .ints(accounts.map { $0.closed ? 1 : 0 }),
            .ints(accounts.map(\.pending.centipoints)), .ints(accounts.map { $0.erased ? 1 : 0 }),
            .ints(tree.positions), .byteArrays(tree.hashes),
        ]
        let placeholders = (1...arguments.count).map { "$\($0)" }.joined(separator: ", ")
        return ("SELECT renewed, moved FROM pg_temp.ecoledger_write_batch(\(placeholders))", PostgresBindings(arguments))
    }

    /// The tree hashes the entries' leaves create, appended to `frontier`: (position, hash) pairs.
    static func treeRows(leavesOf entryHashes: [Hash256], frontier: inout MerkleFrontier) throws -> (positions: [Int64], hashes: [[UInt8]]) {
        var positions: [Int64] = [], hashes: [[UInt8]] = []
        for entryHash in entryHashes {
            for (position, hash) in try frontier.append(leaf: MerkleHash.leaf(entryHash)) {
                positions.append(position)
                hashes.append(hash.bytes)
            }
        }
        return (positions, hashes)
    }

    /// Writes the rows besides entries, accounts and tree hashes, one statement each, inside the
    /// caller's transaction, after the write function has passed its guard.
    func writeRest(_ changes: WriteBatch.Changes) throws {
        let projections = changes.projections
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
    }
}
