import GRDB
import LedgerPersistence

/// The SQL migrations, in order: each file of the top-level `schema/` folder, embedded at build time.
///
/// A migration's name is its file name; GRDB's `DatabaseMigrator` records which ran, so each
/// applies once. Adding a file means adding it here and to Package.swift's resources (a test
/// checks that both match the folder).
public enum Schema {
    public static let migrations: [(name: String, sql: [UInt8])] = [
        ("001_ledger.sql", PackageResources._01_ledger_sql),
        ("002_transparency.sql", PackageResources._02_transparency_sql),
        ("003_account_closed.sql", PackageResources._03_account_closed_sql),
        ("004_scheme.sql", PackageResources._04_scheme_sql),
        ("005_expiry.sql", PackageResources._05_expiry_sql),
        ("006_holds.sql", PackageResources._06_holds_sql),
        ("007_profiles.sql", PackageResources._07_profiles_sql),
        ("008_alert_thresholds.sql", PackageResources._08_alert_thresholds_sql),
        ("009_credits_index.sql", PackageResources._09_credits_index_sql),
        ("010_debits_index.sql", PackageResources._10_debits_index_sql),
    ]

    /// Migrations that change indexes only: the audit reads a file without them as it reads
    /// one with them, so `verify`, `backup` and `restore` accept a file an older version left
    /// (ecoledgerd applies them when it opens the file).
    static let indexesOnly: Set<String> = ["009_credits_index.sql", "010_debits_index.sql"]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            let sql = String(decoding: migration.sql, as: UTF8.self)
            migrator.registerMigration(migration.name) { db in try db.execute(sql: sql) }
        }
        return migrator
    }
}
