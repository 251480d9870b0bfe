-- 006_holds.sql: held credits. A material may hold its drop-offs' points (pending) until an
-- administrator or the point's operator posts them, an administrator voids them, or the sweep
-- applies the scheme's hold_action once the hold has run out.

ALTER TABLE materials ADD COLUMN hold_ms INTEGER CHECK (hold_ms IS NULL OR hold_ms BETWEEN 1000 AND 7776000000);
ALTER TABLE accounts ADD COLUMN pending INTEGER NOT NULL DEFAULT 0 CHECK (pending >= 0);
ALTER TABLE scheme ADD COLUMN hold_action TEXT NOT NULL DEFAULT 'void' CHECK (hold_action IN ('void', 'post'));

CREATE TABLE holds (
    dropoff_seq INTEGER PRIMARY KEY REFERENCES journal (seq),
    account     TEXT    NOT NULL,
    amount      INTEGER NOT NULL CHECK (amount > 0),
    credited_ms INTEGER NOT NULL,            -- the drop-off's time
    until_ms    INTEGER NOT NULL,
    decision    TEXT    CHECK (decision IS NULL OR decision IN ('posted', 'voided')),
    last_seq    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX holds_undecided ON holds (until_ms) WHERE decision IS NULL;
CREATE INDEX holds_unposted ON holds (account, credited_ms) WHERE decision IS NULL OR decision = 'voided';
