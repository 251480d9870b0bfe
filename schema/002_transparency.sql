-- 002_transparency.sql: the Merkle tree over the journal, and the checkpoints the log signed.
--
-- tree_hashes holds every complete subtree's hash (RFC 6962: leaf i = SHA-256(0x00 ‖ hash of
-- entry i+1), node = SHA-256(0x01 ‖ left ‖ right)) at its position in the order appends create
-- them (the layout of Go's sumdb/tlog), written in the same transaction as the entries. Like the
-- journal it is append-only. A tree of N entries holds 2N - popcount(N) hashes.

CREATE TABLE tree_hashes (
    position INTEGER PRIMARY KEY CHECK (position >= 0),
    hash     BLOB    NOT NULL CHECK (length(hash) = 32)
);

CREATE TRIGGER tree_hashes_append_only_update BEFORE UPDATE ON tree_hashes
BEGIN SELECT RAISE(ABORT, 'the tree is append-only'); END;

CREATE TRIGGER tree_hashes_append_only_delete BEFORE DELETE ON tree_hashes
BEGIN SELECT RAISE(ABORT, 'the tree is append-only'); END;

-- Every checkpoint the log signed (a C2SP signed note: origin, size, base64 root, the log's
-- signature), kept for ever: the audit checks that the journal never forked away from one.
CREATE TABLE checkpoints (
    size    INTEGER PRIMARY KEY CHECK (size >= 0),
    root    BLOB    NOT NULL CHECK (length(root) = 32),
    note    TEXT    NOT NULL,
    time_ms INTEGER NOT NULL
);

CREATE TRIGGER checkpoints_append_only_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;

CREATE TRIGGER checkpoints_append_only_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;

-- Witnesses' cosignatures (c2sp.org/tlog-cosignature), one line per witness per checkpoint,
-- served with the checkpoint.
CREATE TABLE cosignatures (
    size    INTEGER NOT NULL REFERENCES checkpoints (size),
    witness TEXT    NOT NULL,
    line    TEXT    NOT NULL,
    PRIMARY KEY (size, witness)
) WITHOUT ROWID;

-- Witness tokens: the role check of 001 is widened by rebuilding the table (SQLite cannot
-- alter a CHECK constraint).
CREATE TABLE tokens_v2 (
    id          TEXT    PRIMARY KEY,
    role        TEXT    NOT NULL CHECK (role IN ('admin', 'operator', 'merchant', 'auditor', 'witness')),
    point       TEXT,
    merchant    TEXT,
    secret_hash BLOB    NOT NULL CHECK (length(secret_hash) = 32),  -- SHA-256 of the secret
    revoked     INTEGER NOT NULL CHECK (revoked IN (0, 1)),
    last_seq    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO tokens_v2 SELECT id, role, point, merchant, secret_hash, revoked, last_seq FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_v2 RENAME TO tokens;
