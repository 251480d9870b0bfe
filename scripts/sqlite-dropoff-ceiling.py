#!/usr/bin/env python3
"""The SQLite ceiling of one durable drop-off on this machine, and what each table costs it.

Writes the rows a drop-off writes (BatchFlush: the journal row and its indexes, the resident's
and sys:issuance's account rows, the tree's new hashes, the chain head), one transaction per
drop-off, WAL with synchronous=FULL, through the same system libsqlite3 the server links, with
no network, no rules, no Swift. Then the same with fewer pages per commit, to price each one:

  now      everything a drop-off writes today
  nohead   without the chain_head row
  nodebit  also without the journal_by_debit index (sys:issuance's entry in it)
  notree   also without tree_hashes rows (64 bytes more in the journal row instead)
  min      also without sys:issuance's account row: the journal row, its ref and credits
           indexes, the resident's row
  normal   everything, with synchronous=NORMAL: no sync per commit (not durable; the ceiling
           without the WAL's fsync)
  sidelog  as normal, and the entry's bytes (300) appended to a log file of their own and
           fdatasync'd per commit: the durability a separate append-only entry log would give,
           with SQLite's tables still written before the acknowledgement

usage: scripts/sqlite-dropoff-ceiling.py LEDGER.sqlite [COMMITS] [ROUNDS]
LEDGER is copied for every run (a bench ledger: make bench leaves one in .bench/); the original
is not changed. Rounds alternate the variants; compare within
a round (this machine's speed drifts).
"""
import os, random, resource, shutil, sqlite3, sys, tempfile, time

VARIANTS = ["now", "nohead", "nodebit", "notree", "min", "normal", "sidelog"]


def run(source, variant, commits, workdir):
    path = os.path.join(workdir, "ceiling.sqlite")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    shutil.copyfile(source, path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = " + ("NORMAL" if variant in ("normal", "sidelog") else "FULL"))
    log = os.open(os.path.join(workdir, "entries.log"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o600)
    seq, prev, time_ms = db.execute("SELECT seq, hash, time_ms FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
    position = db.execute("SELECT max(position) FROM tree_hashes").fetchone()[0]
    residents = [row[0] for row in db.execute("SELECT id FROM accounts WHERE kind = 'resident' LIMIT 1000")]
    template = db.execute("""SELECT kind, name, district, balance, min_redeem, pin_failures, locked, closed, pending, erased
                             FROM accounts WHERE id = ?""", (residents[0],)).fetchone()
    # Without the debit index: a NULL debit, which the partial index skips (dropping the index
    # would leave its pages free for the other tables, and price that instead).
    debit = None if variant in ("nodebit", "notree", "min") else "sys:issuance"
    run_id = os.urandom(4).hex()
    attrs = '{"grams":"1500","material":"BENCH","point":"CP-BENCH","rate":"1000"}'
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    for i in range(commits):
        seq += 1
        time_ms += 1
        resident = random.choice(residents)
        extra = os.urandom(64).hex() if variant in ("notree", "min") else ""
        db.execute("BEGIN IMMEDIATE")
        db.execute("""INSERT INTO journal (seq, time_ms, kind, debit, credit, amount, actor, ref, attrs, prev_hash, hash)
                      VALUES (?, ?, 'dropoff', ?, ?, 1500, 'tok-bench', ?, ?, ?, ?)""",
                   (seq, time_ms, debit, resident, f"{run_id}-{i}", attrs[:-1] + (f',"x":"{extra}"}}' if extra else "}"), prev, os.urandom(32)))
        kind, name, district, balance, min_redeem, failures, locked, closed, pending, erased = template
        db.execute("""INSERT INTO accounts (id, kind, name, district, balance, min_redeem, pin_failures, locked, last_seq, closed, pending, erased)
                      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                      ON CONFLICT (id) DO UPDATE SET balance = excluded.balance, last_seq = excluded.last_seq""",
                   (resident, kind, name, district, balance + i, min_redeem, failures, locked, seq, closed, pending, erased))
        if variant != "min":
            db.execute("UPDATE accounts SET balance = balance - 1500, last_seq = ? WHERE id = 'sys:issuance'", (seq,))
        if variant in ("now", "nohead", "nodebit", "normal", "sidelog"):
            # The leaf, and a node for every subtree it completes (1 + trailing ones of its index).
            for _ in range((seq & -seq).bit_length()):
                position += 1
                db.execute("INSERT INTO tree_hashes (position, hash) VALUES (?, ?)", (position, os.urandom(32)))
        if variant in ("now", "normal", "sidelog"):
            db.execute("UPDATE chain_head SET seq = ?, hash = ?, time_ms = ? WHERE id = 1", (seq, prev, time_ms))
        db.execute("COMMIT")
        if variant == "sidelog":
            os.write(log, os.urandom(300))
            os.fdatasync(log)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    db.close()
    os.close(log)
    return commits / elapsed, cpu / commits * 1e6


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    source = sys.argv[1]
    commits = int(sys.argv[2]) if len(sys.argv) > 2 else 2500
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(source))) as workdir:
        for round_number in range(1, rounds + 1):
            for variant in VARIANTS:
                rate, cpu = run(source, variant, commits, workdir)
                print(f"round {round_number} {variant:8} commits/s={rate:,.0f} cpu_us_per_commit={cpu:.0f}", flush=True)


if __name__ == "__main__":
    main()
