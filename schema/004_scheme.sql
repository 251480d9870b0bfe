-- 004_scheme.sql: the scheme's settings (`scheme_set` entries), a projection of one row.
--
-- No row until the first `scheme_set`: until then the scheme is UTC+08:00 with no caps.

CREATE TABLE scheme (
    id                 INTEGER PRIMARY KEY CHECK (id = 1),
    utc_offset_minutes INTEGER NOT NULL CHECK (utc_offset_minutes BETWEEN -720 AND 840),
    daily_cap          INTEGER CHECK (daily_cap IS NULL OR daily_cap > 0),     -- centipoints
    monthly_cap        INTEGER CHECK (monthly_cap IS NULL OR monthly_cap > 0), -- centipoints
    last_seq           INTEGER NOT NULL
) WITHOUT ROWID;
