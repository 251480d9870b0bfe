-- 005_expiry.sql: how long points last (the scheme's `expiry`, in milliseconds).
--
-- A scheme row written before this column existed had the default: five years of 365 days.

ALTER TABLE scheme ADD COLUMN expiry_ms INTEGER NOT NULL DEFAULT 157680000000
    CHECK (expiry_ms BETWEEN 1000 AND 315360000000);
