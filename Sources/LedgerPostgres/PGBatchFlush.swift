import LedgerCore
import LedgerCrypto
import LedgerPersistence
import LedgerTransparency

/// Writes one batch's changes inside the writer's transaction, as `BatchFlush` does for SQLite:
/// the entries and the tree's new hashes in one statement each (arrays, `unnest`), every changed
/// row once, then the head.
struct PGBatchFlush {
    let connection: PGConnection

    func write(_ changes: WriteBatch.Changes, tree frontier: inout MerkleFrontier) throws {
        let entries = changes.entries
        // Ids are never empty, so '' stands for NULL in the arrays (postgres-nio's arrays hold no NULLs).
        try connection.query("""
            INSERT INTO journal (seq, time_ms, kind, debit, credit, amount, actor, ref, attrs, prev_hash, hash)
            SELECT seq, time_ms, kind, NULLIF(debit, ''), NULLIF(credit, ''), amount, actor, NULLIF(ref, ''), attrs, prev_hash, hash
            FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[],
                        $9::text[], $10::bytea[], $11::bytea[])
                AS e (seq, time_ms, kind, debit, credit, amount, actor, ref, attrs, prev_hash, hash)
            """, [
                .ints(entries.map(\.seq)), .ints(entries.map(\.timeMs)), .texts(entries.map(\.body.kind.rawValue)),
                .texts(entries.map { $0.body.debit?.rawValue ?? "" }), .texts(entries.map { $0.body.credit?.rawValue ?? "" }),
                .ints(entries.map(\.body.amount.centipoints)), .texts(entries.map(\.body.actor.rawValue)),
                .texts(entries.map { $0.body.ref?.rawValue ?? "" }), .texts(entries.map { AttributesJSON.encode($0.body.attributes) }),
                .byteArrays(entries.map(\.prevHash.bytes)), .byteArrays(entries.map(\.hash.bytes)),
            ])
        let projections = changes.projections
        // Every changed account in one statement. Names and districts are never empty and a
        // minimum redemption never 0, so '' and 0 stand for NULL in the arrays.
        let accounts = Array(projections.accounts.values)
        if !accounts.isEmpty {
            try connection.query("""
                INSERT INTO accounts (id, kind, name, district, balance, min_redeem, pin_failures, locked, last_seq, closed, pending, erased)
                SELECT id, kind, NULLIF(name, ''), NULLIF(district, ''), balance, NULLIF(min_redeem, 0), pin_failures, locked::smallint,
                       last_seq, closed::smallint, pending, erased::smallint
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[],
                            $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[])
                    AS a (id, kind, name, district, balance, min_redeem, pin_failures, locked, last_seq, closed, pending, erased)
                ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, district = excluded.district,
                    balance = excluded.balance, min_redeem = excluded.min_redeem, pin_failures = excluded.pin_failures,
                    locked = excluded.locked, last_seq = excluded.last_seq, closed = excluded.closed, pending = excluded.pending,
                    erased = excluded.erased
                """, [.texts(accounts.map(\.id.rawValue)), .texts(accounts.map(\.kind.rawValue)), .texts(accounts.map { $0.name ?? "" }),
                      .texts(accounts.map { $0.district ?? "" }), .ints(accounts.map(\.balance.centipoints)),
                      .ints(accounts.map { $0.minRedeem?.centipoints ?? 0 }), .ints(accounts.map { Int64($0.pinFailures) }),
                      .ints(accounts.map { $0.locked ? 1 : 0 }), .ints(accounts.map(\.lastSeq)), .ints(accounts.map { $0.closed ? 1 : 0 }),
                      .ints(accounts.map(\.pending.centipoints)), .ints(accounts.map { $0.erased ? 1 : 0 })])
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
        try appendLeaves(entries.map(\.hash), to: &frontier)
    }

    /// Appends one leaf per entry hash, inserting the hashes each creates, in one statement.
    func appendLeaves(_ entryHashes: [Hash256], to frontier: inout MerkleFrontier) throws {
        var positions: [Int64] = [], hashes: [[UInt8]] = []
        for entryHash in entryHashes {
            for (position, hash) in try frontier.append(leaf: MerkleHash.leaf(entryHash)) {
                positions.append(position)
                hashes.append(hash.bytes)
            }
        }
        guard !positions.isEmpty else { return }
        try connection.query("INSERT INTO tree_hashes (position, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[])",
                             [.ints(positions), .byteArrays(hashes)])
    }
}
