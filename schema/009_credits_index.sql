-- 009_credits_index.sql: an account's credits, with what the rules read of them (time, amount,
-- kind), in the index itself. A resident's credits lie one to a page all through the journal,
-- so BALANCE's next expiry (every credit of the resident) and the caps (the day's and the
-- month's drop-offs) read one journal page per credit through `journal_by_credit`; from this
-- index they read a few pages for hundreds of credits. It replaces `journal_by_credit`, whose
-- columns it starts with, so a drop-off still updates one index for its credit.

CREATE INDEX journal_credits ON journal (credit, seq, time_ms, amount, kind) WHERE credit IS NOT NULL;
DROP INDEX journal_by_credit;
