-- 001_ledger.sql: the journal (the ledger itself) and the projections derived from it.
--
-- The journal is append-only: triggers refuse UPDATE and DELETE. Every other table is a
-- projection, written in the same transaction as the entry that changes it, and rebuilt
-- and compared by `ecoledger verify`. Amounts are integer centipoints, weights integer grams.

CREATE TABLE ledger_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

INSERT INTO ledger_meta (key, value) VALUES ('format', 'ecoledger'), ('encoding', '1');

CREATE TABLE journal (
    seq       INTEGER PRIMARY KEY CHECK (seq >= 1),
    time_ms   INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    debit     TEXT,                      -- NULL for entries that move no points
    credit    TEXT,
    amount    INTEGER NOT NULL CHECK (amount >= 0),
    actor     TEXT    NOT NULL,
    ref       TEXT    UNIQUE,            -- the client's idempotency reference (transfers)
    attrs     TEXT    NOT NULL,          -- JSON object of the kind's attributes, string values
    prev_hash BLOB    NOT NULL CHECK (length(prev_hash) = 32),
    hash      BLOB    NOT NULL CHECK (length(hash) = 32)
);

CREATE INDEX journal_by_debit  ON journal (debit, seq)  WHERE debit IS NOT NULL;
CREATE INDEX journal_by_credit ON journal (credit, seq) WHERE credit IS NOT NULL;

CREATE TRIGGER journal_is_append_only_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: undo an entry with a reversal'); END;

CREATE TRIGGER journal_is_append_only_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: undo an entry with a reversal'); END;

-- The last entry, so opening a ledger needs no scan. seq 0 and a zero hash when empty.
CREATE TABLE chain_head (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    seq     INTEGER NOT NULL,
    hash    BLOB    NOT NULL CHECK (length(hash) = 32),
    time_ms INTEGER NOT NULL
);

INSERT INTO chain_head (id, seq, hash, time_ms) VALUES (1, 0, zeroblob(32), 0);

CREATE TABLE accounts (
    id           TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL CHECK (kind IN ('resident', 'merchant', 'beneficiary', 'system')),
    name         TEXT    NOT NULL,
    district     TEXT,
    balance      INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0 OR kind = 'system'),
    min_redeem   INTEGER CHECK (min_redeem IS NULL OR min_redeem > 0),
    pin_hash     TEXT,                   -- pbkdf2-sha256$ITERATIONS$SALT$HASH; the journal holds its SHA-256
    pin_failures INTEGER NOT NULL DEFAULT 0 CHECK (pin_failures >= 0),
    locked       INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    last_seq     INTEGER NOT NULL        -- the last entry that changed this row (0: genesis)
) WITHOUT ROWID;

INSERT INTO accounts (id, kind, name, last_seq) VALUES
    ('sys:issuance', 'system', 'Issuance', 0),
    ('sys:settlement', 'system', 'Settlement', 0),
    ('sys:forfeit', 'system', 'Forfeit', 0);

CREATE TABLE points (
    id       TEXT    PRIMARY KEY,
    name     TEXT    NOT NULL,
    district TEXT,
    active   INTEGER NOT NULL CHECK (active IN (0, 1)),
    last_seq INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE materials (
    code      TEXT    PRIMARY KEY,
    name      TEXT    NOT NULL,
    rate      INTEGER NOT NULL CHECK (rate > 0),      -- centipoints per kg
    min_grams INTEGER CHECK (min_grams IS NULL OR min_grams > 0),
    max_grams INTEGER CHECK (max_grams IS NULL OR max_grams > 0),
    last_seq  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE tokens (
    id          TEXT    PRIMARY KEY,
    role        TEXT    NOT NULL CHECK (role IN ('admin', 'operator', 'merchant', 'auditor')),
    point       TEXT,
    merchant    TEXT,
    secret_hash BLOB    NOT NULL CHECK (length(secret_hash) = 32),  -- SHA-256 of the secret
    revoked     INTEGER NOT NULL CHECK (revoked IN (0, 1)),
    last_seq    INTEGER NOT NULL
) WITHOUT ROWID;

-- Which entries have been reversed, and by which entry (at most once each).
CREATE TABLE reversals (
    original_seq INTEGER PRIMARY KEY REFERENCES journal (seq),
    reversal_seq INTEGER NOT NULL UNIQUE REFERENCES journal (seq)
);
