-- The kiosk's outbox (ecoledger kiosk): a client-side file, never the ledger. Requests wait
-- here, each with its own ref, until the server has answered them; queue_meta holds the
-- queue's id (set once, at creation) and how to reach the server again.
CREATE TABLE queue_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE requests (
    id          INTEGER PRIMARY KEY,
    ref         TEXT    NOT NULL UNIQUE,
    line        TEXT    NOT NULL,
    queued_ms   INTEGER NOT NULL,
    state       TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    reply       TEXT,
    last_error  TEXT,
    answered_ms INTEGER,
    receipt     TEXT
);
CREATE INDEX requests_pending ON requests (id) WHERE state = 'pending';
