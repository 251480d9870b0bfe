-- ecoledger on PostgreSQL: the same tables as SQLite's schema/001–008, at their latest form, in
-- PostgreSQL's types (INTEGER → bigint, BLOB → bytea, flags → smallint 0/1). The journal, the
-- tree, the checkpoints and the cosignatures are append-only: triggers refuse UPDATE, DELETE and
-- TRUNCATE whoever asks, and the role ecoledgerd connects as is granted no more than it needs
-- (docs/OPERATIONS.md, "Running on PostgreSQL").

CREATE TABLE schema_migrations (
    name       text PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_meta (
    key   text COLLATE "C" PRIMARY KEY,
    value text NOT NULL
);

INSERT INTO ledger_meta (key, value) VALUES ('format', 'ecoledger'), ('encoding', '1');

CREATE FUNCTION ecoledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TABLE journal (
    seq       bigint PRIMARY KEY CHECK (seq >= 1),
    time_ms   bigint NOT NULL,
    kind      text   NOT NULL,
    debit     text,
    credit    text,
    amount    bigint NOT NULL CHECK (amount >= 0),
    actor     text   NOT NULL,
    ref       text   UNIQUE,
    attrs     text   NOT NULL,
    prev_hash bytea  NOT NULL CHECK (length(prev_hash) = 32),
    hash      bytea  NOT NULL CHECK (length(hash) = 32)
);

CREATE INDEX journal_by_debit  ON journal (debit, seq)  WHERE debit IS NOT NULL;
CREATE INDEX journal_by_credit ON journal (credit, seq) WHERE credit IS NOT NULL;

CREATE TRIGGER journal_is_append_only BEFORE UPDATE OR DELETE ON journal FOR EACH ROW
    EXECUTE FUNCTION ecoledger_refuse_change('the journal is append-only: undo an entry with a reversal');
CREATE TRIGGER journal_is_not_truncated BEFORE TRUNCATE ON journal FOR EACH STATEMENT
    EXECUTE FUNCTION ecoledger_refuse_change('the journal is append-only: undo an entry with a reversal');

CREATE TABLE chain_head (
    id      smallint PRIMARY KEY CHECK (id = 1),
    seq     bigint   NOT NULL,
    hash    bytea    NOT NULL CHECK (length(hash) = 32),
    time_ms bigint   NOT NULL
);

INSERT INTO chain_head (id, seq, hash, time_ms) VALUES (1, 0, decode(repeat('00', 32), 'hex'), 0);

-- Which ecoledgerd may write: the holder of the current epoch while its lease runs (renewed by
-- the active writer; a standby takes the next epoch once it has run out). Every batch checks,
-- in its own transaction, that its writer still holds the epoch it started with.
CREATE TABLE writer_lease (
    id         smallint    PRIMARY KEY CHECK (id = 1),
    epoch      bigint      NOT NULL CHECK (epoch >= 0),
    holder     text        NOT NULL,
    expires_at timestamptz NOT NULL
);

INSERT INTO writer_lease (id, epoch, holder, expires_at) VALUES (1, 0, '', '-infinity');

CREATE TABLE accounts (
    id           text COLLATE "C"     PRIMARY KEY,
    kind         text     NOT NULL CHECK (kind IN ('resident', 'merchant', 'beneficiary', 'system')),
    name         text     CHECK (name IS NOT NULL OR kind = 'resident'),
    district     text,
    balance      bigint   NOT NULL DEFAULT 0 CHECK (balance >= 0 OR kind = 'system'),
    min_redeem   bigint   CHECK (min_redeem IS NULL OR min_redeem > 0),
    pin_hash     text,
    pin_failures bigint   NOT NULL DEFAULT 0 CHECK (pin_failures >= 0),
    locked       smallint NOT NULL DEFAULT 0 CHECK (locked IN (0, 1)),
    last_seq     bigint   NOT NULL,
    closed       smallint NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),
    pending      bigint   NOT NULL DEFAULT 0 CHECK (pending >= 0),
    erased       smallint NOT NULL DEFAULT 0 CHECK (erased IN (0, 1))
);

INSERT INTO accounts (id, kind, name, last_seq) VALUES
    ('sys:issuance', 'system', 'Issuance', 0),
    ('sys:settlement', 'system', 'Settlement', 0),
    ('sys:forfeit', 'system', 'Forfeit', 0);

CREATE TABLE profiles (
    account  text COLLATE "C" PRIMARY KEY REFERENCES accounts (id),
    salt     text NOT NULL,
    name     text NOT NULL,
    district text
);

CREATE TABLE points (
    id       text COLLATE "C"     PRIMARY KEY,
    name     text     NOT NULL,
    district text,
    active   smallint NOT NULL CHECK (active IN (0, 1)),
    last_seq bigint   NOT NULL
);

CREATE TABLE materials (
    code      text COLLATE "C"   PRIMARY KEY,
    name      text   NOT NULL,
    rate      bigint NOT NULL CHECK (rate > 0),
    min_grams bigint CHECK (min_grams IS NULL OR min_grams > 0),
    max_grams bigint CHECK (max_grams IS NULL OR max_grams > 0),
    last_seq  bigint NOT NULL,
    hold_ms   bigint CHECK (hold_ms IS NULL OR hold_ms BETWEEN 1000 AND 7776000000)
);

CREATE TABLE tokens (
    id          text COLLATE "C"     PRIMARY KEY,
    role        text     NOT NULL CHECK (role IN ('admin', 'operator', 'merchant', 'auditor', 'witness')),
    point       text,
    merchant    text,
    secret_hash bytea    NOT NULL CHECK (length(secret_hash) = 32),
    revoked     smallint NOT NULL CHECK (revoked IN (0, 1)),
    last_seq    bigint   NOT NULL
);

CREATE TABLE reversals (
    original_seq bigint PRIMARY KEY REFERENCES journal (seq),
    reversal_seq bigint NOT NULL UNIQUE REFERENCES journal (seq)
);

CREATE TABLE scheme (
    id                  smallint PRIMARY KEY CHECK (id = 1),
    utc_offset_minutes  bigint   NOT NULL CHECK (utc_offset_minutes BETWEEN -720 AND 840),
    daily_cap           bigint   CHECK (daily_cap IS NULL OR daily_cap > 0),
    monthly_cap         bigint   CHECK (monthly_cap IS NULL OR monthly_cap > 0),
    last_seq            bigint   NOT NULL,
    expiry_ms           bigint   NOT NULL DEFAULT 157680000000 CHECK (expiry_ms BETWEEN 1000 AND 315360000000),
    hold_action         text     NOT NULL DEFAULT 'void' CHECK (hold_action IN ('void', 'post')),
    alert_weight_factor bigint   NOT NULL DEFAULT 5 CHECK (alert_weight_factor BETWEEN 2 AND 100),
    alert_points        bigint   NOT NULL DEFAULT 3 CHECK (alert_points BETWEEN 2 AND 20),
    alert_repeats       bigint   NOT NULL DEFAULT 3 CHECK (alert_repeats BETWEEN 2 AND 20),
    alert_surge_factor  bigint   NOT NULL DEFAULT 5 CHECK (alert_surge_factor BETWEEN 2 AND 100)
);

CREATE TABLE holds (
    dropoff_seq bigint PRIMARY KEY REFERENCES journal (seq),
    account     text   NOT NULL,
    amount      bigint NOT NULL CHECK (amount > 0),
    credited_ms bigint NOT NULL,
    until_ms    bigint NOT NULL,
    decision    text   CHECK (decision IS NULL OR decision IN ('posted', 'voided')),
    last_seq    bigint NOT NULL
);

CREATE INDEX holds_undecided ON holds (until_ms) WHERE decision IS NULL;
CREATE INDEX holds_unposted ON holds (account, credited_ms) WHERE decision IS NULL OR decision = 'voided';

CREATE TABLE tree_hashes (
    position bigint PRIMARY KEY CHECK (position >= 0),
    hash     bytea  NOT NULL CHECK (length(hash) = 32)
);

CREATE TRIGGER tree_hashes_append_only BEFORE UPDATE OR DELETE ON tree_hashes FOR EACH ROW
    EXECUTE FUNCTION ecoledger_refuse_change('the tree is append-only');
CREATE TRIGGER tree_hashes_not_truncated BEFORE TRUNCATE ON tree_hashes FOR EACH STATEMENT
    EXECUTE FUNCTION ecoledger_refuse_change('the tree is append-only');

CREATE TABLE checkpoints (
    size    bigint PRIMARY KEY CHECK (size >= 0),
    root    bytea  NOT NULL CHECK (length(root) = 32),
    note    text   NOT NULL,
    time_ms bigint NOT NULL
);

CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON checkpoints FOR EACH ROW
    EXECUTE FUNCTION ecoledger_refuse_change('checkpoints are append-only');
CREATE TRIGGER checkpoints_not_truncated BEFORE TRUNCATE ON checkpoints FOR EACH STATEMENT
    EXECUTE FUNCTION ecoledger_refuse_change('checkpoints are append-only');

CREATE TABLE cosignatures (
    size    bigint NOT NULL REFERENCES checkpoints (size),
    witness text COLLATE "C"   NOT NULL,
    line    text   NOT NULL,
    PRIMARY KEY (size, witness)
);
