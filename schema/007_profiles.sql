-- 007_profiles.sql: residents' personal data leaves the journal.
--
-- A resident's name and district live in `profiles`, the one table that is neither journal nor
-- projection: the journal holds only a salted digest of each profile (`profile_digest`), and
-- `account_erased` deletes it. So `accounts.name` may now be NULL (a resident with a profile),
-- which SQLite can only allow by rebuilding the table; and `accounts.erased` records erasure.
-- Residents opened before this version keep their name in the journal and in `accounts`.

CREATE TABLE accounts_new (
    id           TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('resident', 'merchant', 'beneficiary', 'system')),
    name         TEXT    CHECK (name IS NOT NULL OR kind = 'resident'),
    district     TEXT,
    balance      INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0 OR kind = 'system'),
    min_redeem   INTEGER CHECK (min_redeem IS NULL OR min_redeem > 0),
    pin_hash     TEXT,                   -- pbkdf2-sha256$ITERATIONS$SALT$HASH; the journal holds its SHA-256
    pin_failures INTEGER NOT NULL DEFAULT 0 CHECK (pin_failures >= 0),
    locked       INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    last_seq     INTEGER NOT NULL,       -- the last entry that changed this row (0: genesis)
    closed       INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),
    pending      INTEGER NOT NULL DEFAULT 0 CHECK (pending >= 0),
    erased       INTEGER NOT NULL DEFAULT 0 CHECK (erased IN (0, 1))
) WITHOUT ROWID;

INSERT INTO accounts_new (id, kind, name, district, balance, min_redeem, pin_hash, pin_failures, locked, last_seq, closed, pending)
    SELECT id, kind, name, district, balance, min_redeem, pin_hash, pin_failures, locked, last_seq, closed, pending FROM accounts;
DROP TABLE accounts;
ALTER TABLE accounts_new RENAME TO accounts;

CREATE TABLE profiles (
    account  TEXT PRIMARY KEY REFERENCES accounts (id),
    salt     TEXT NOT NULL,              -- 32 lowercase hex digits
    name     TEXT NOT NULL,
    district TEXT
) WITHOUT ROWID;
