-- 003_account_closed.sql: accounts can be closed for good (`account_closed` entries).
--
-- A closed account stays in the table and in history; no point moves into or out of it
-- again. Existing rows are open.

ALTER TABLE accounts ADD COLUMN closed INTEGER NOT NULL DEFAULT 0 CHECK (closed IN (0, 1));
