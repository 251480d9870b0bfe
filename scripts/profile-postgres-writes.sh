#!/usr/bin/env bash
# profile-postgres-writes.sh: where a durable drop-off's time goes on PostgreSQL, over a fixed load
# (docs/BENCHMARKS.md, "PostgreSQL"). Starts a fresh PostgreSQL 15 with pg_stat_statements and
# ecoledgerd on it, warms up (the bench's residents are opened once), then drives CONNS connections
# of drop-offs for 20 s and, over a 10 s window inside that, prints the drop-offs written (from the
# head), ecoledgerd's and PostgreSQL's CPU per drop-off (/proc/PID/stat), and the statements
# PostgreSQL ran (calls, total and mean ms).
#
# Env: BIN (.build/release), CONNS (32), PERF=1 (perf record ecoledgerd over the window into
#      /tmp/perf.data), TRACE=1 (log every statement's parse/bind/execute time; the log is copied
#      to /tmp/pgtrace.log).
set -euo pipefail
BIN=${BIN:-.build/release} CONNS=${CONNS:-32}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
WORK=$(mktemp -d /tmp/ecoledger-pgprofile.XXXXXX)
chown postgres "$WORK"
as_pg() { runuser -u postgres -- "$@"; }
sql() { as_pg psql -h "$WORK" -p "$port" -U postgres -d ledger -Atc "$1"; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
daemon=""
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null || true
  as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
options="-p $port -k $WORK -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c shared_preload_libraries=pg_stat_statements"
[ -n "${TRACE:-}" ] && options+=" -c log_min_duration_statement=0 -c log_line_prefix=%m_[%p]_"
as_pg "$PGBIN/initdb" -D "$WORK/pg" -A trust -U postgres --no-sync -E UTF8 --locale=C >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg.log" -w -o "$options" start >/dev/null
as_pg psql -h "$WORK" -p "$port" -U postgres -qc "CREATE DATABASE ledger"
sql "CREATE EXTENSION pg_stat_statements" >/dev/null
url="postgres://postgres@127.0.0.1:$port/ledger"
"$BIN/ecoledger" init --db "$url" >/dev/null
"$BIN/ecoledgerd" --db "$url" --port 0 --key "$WORK/log.key" --pin-key "$WORK/pin.key" \
    --admin-token-file "$WORK/admin.token" >"$WORK/out" 2>"$WORK/err" &
daemon=$!
for _ in $(seq 1 300); do
  listening=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$WORK/out")
  [ -n "$listening" ] && break
  sleep 0.1
done
[ -n "$listening" ] || { cat "$WORK/err"; exit 1; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
pgcpu() { local total=0; for pid in $(pgrep -u postgres postgres); do total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0))); done; echo "$total"; }
bench() { "$BIN/ecoledger-bench" --port "$listening" --token-file "$WORK/admin.token" --connections "$CONNS" --mix dropoff=100 --duration "$@"; }
bench 2 >"$WORK/warm-up" 2>&1
bench 20 >"$WORK/bench" 2>&1 &
load=$!
sleep 5
sql "SELECT pg_stat_statements_reset()" >/dev/null
d0=$(cpu "$daemon") g0=$(pgcpu) s0=$(sql "SELECT seq FROM chain_head") t0=$(date +%s.%N)
if [ -n "${PERF:-}" ]; then perf record -F 499 -g -p "$daemon" -o /tmp/perf.data -- sleep 10 >/dev/null 2>&1; else sleep 10; fi
d1=$(cpu "$daemon") g1=$(pgcpu) s1=$(sql "SELECT seq FROM chain_head") t1=$(date +%s.%N)
wait "$load" || true
grep "bench summary" "$WORK/bench"
python3 -c "n = $s1 - $s0; t = $t1 - $t0; print(f'window: {n} drop-offs in {t:.1f} s = {n / t:.0f}/s; CPU per drop-off: ecoledgerd {($d1 - $d0) * 10000 / n:.0f} us, postgres {($g1 - $g0) * 10000 / n:.0f} us')"
[ -n "${TRACE:-}" ] && cp "$WORK/pg.log" /tmp/pgtrace.log
sql "SELECT calls, round(total_exec_time::numeric, 1), round(mean_exec_time::numeric, 3), left(regexp_replace(query, '\s+', ' ', 'g'), 90) FROM pg_stat_statements ORDER BY calls DESC LIMIT 12"
