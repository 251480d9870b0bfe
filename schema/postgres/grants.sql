-- What the role ecoledgerd connects as needs, and no more (docs/OPERATIONS.md, "Running on
-- PostgreSQL"). Run as the ledger's owner (the role that ran `ecoledger init`) after creating
-- the server's role, e.g.: CREATE ROLE ecoledger_server LOGIN PASSWORD '…';
-- It may read everything; it may only add to the journal, the tree and the checkpoints (and
-- their triggers refuse changes from anyone); it changes the projections the journal's entries
-- change, the head, and the writer lease; it deletes only an erased resident's profile.
GRANT USAGE ON SCHEMA public TO ecoledger_server;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO ecoledger_server;
GRANT INSERT ON journal, tree_hashes, checkpoints, reversals, ledger_meta TO ecoledger_server;
GRANT INSERT, UPDATE ON accounts, points, materials, tokens, scheme, holds, cosignatures TO ecoledger_server;
GRANT UPDATE ON chain_head, writer_lease TO ecoledger_server;
GRANT INSERT, DELETE ON profiles TO ecoledger_server;
