-- 010_debits_index.sql: an account's debits with their amounts, in the index itself. BALANCE's
-- next expiry needs all that a resident was ever credited; that is their balance plus all they
-- were ever debited (points move only as an entry's credit and debit), and a resident's debits
-- (redemptions, donations, expiries) are far fewer than their credits (every drop-off). Summed
-- from this index, they are a few index entries instead of thousands of credits (`journal_credits`).
-- It replaces `journal_by_debit`, whose columns it starts with, so an entry with a debit still
-- updates one index for it.

CREATE INDEX journal_debits ON journal (debit, seq, amount) WHERE debit IS NOT NULL;
DROP INDEX IF EXISTS journal_by_debit;
