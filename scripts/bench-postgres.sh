#!/usr/bin/env bash
# bench-postgres.sh: ecoledger on PostgreSQL, measured beside the PostgreSQL peer in one run
# (issue 20, item 9; `make bench-postgres`; results in docs/BENCHMARKS.md).
#
# 1. Durable drop-offs through ecoledgerd --db postgres:// at 1, 8 and 32 connections, on a
#    PostgreSQL server started with the peer's settings (fsync=on, synchronous_commit=on),
#    then again with a synchronous standby (synchronous_standby_names='*',
#    synchronous_commit=remote_apply, as docs/OPERATIONS.md "High availability" runs it).
# 2. The peer, ../shared/peers/pg_ledger.sh, with the same DURATION.
# 3. `ecoledger verify` of one generated ledger (ENTRIES) as a file and on PostgreSQL (after
#    `ecoledger copy`), each timed.
#
# Env: BIN (.build/release), PEERS (../shared/peers), DURATION seconds per scenario (10),
#      ENTRIES for the verify comparison (1000000), SKIP_PEER=1, SKIP_VERIFY=1, SKIP_LOAD=1.
set -euo pipefail
BIN=${BIN:-.build/release} PEERS=${PEERS:-../shared/peers} DURATION=${DURATION:-10} ENTRIES=${ENTRIES:-1000000}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
WORK=$(mktemp -d /tmp/ecoledger-pgbench.XXXXXX)
chown postgres "$WORK"
as_pg() { runuser -u postgres -- "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
servers=()
cleanup() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
  for data in "$WORK"/pg-*; do [ -d "$data" ] && as_pg "$PGBIN/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# start_pg NAME PORT [SETTING…]: a fresh server owned by postgres, trust on loopback (as the peer's).
start_pg() {
  local name=$1 port=$2; shift 2
  as_pg "$PGBIN/initdb" -D "$WORK/pg-$name" -A trust -U postgres --no-sync -E UTF8 --locale=C >/dev/null
  local options="-p $port -k $WORK -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=100"
  for setting in "$@"; do options+=" -c $setting"; done
  as_pg "$PGBIN/pg_ctl" -D "$WORK/pg-$name" -l "$WORK/$name.log" -w -o "$options" start >/dev/null
}

# load TOPOLOGY URL: ecoledgerd on URL, drop-offs at 1, 8 and 32 connections.
load() {
  local topology=$1 url=$2 dir="$WORK/$1"
  mkdir -p "$dir"
  "$BIN/ecoledger" init --db "$url" >/dev/null
  "$BIN/ecoledgerd" --db "$url" --port 0 --key "$dir/log.key" --pin-key "$dir/pin.key" \
      --admin-token-file "$dir/admin.token" >"$dir/out" 2>"$dir/err" &
  servers+=($!)
  local pid=$! port=""
  for _ in $(seq 1 300); do
    port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$dir/out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "ecoledgerd did not start:"; cat "$dir/err"; exit 1; }
  for connections in 1 8 32; do
    "$BIN/ecoledger-bench" --port "$port" --token-file "$dir/admin.token" --connections "$connections" \
        --duration "$DURATION" --mix dropoff=100 >"$dir/bench-$connections" 2>&1
    summary=$(sed -n 's/^bench summary: //p' "$dir/bench-$connections")
    [ -n "$summary" ] || { cat "$dir/bench-$connections"; exit 1; }
    echo "ecoledger-pg topology=$topology connections=$connections $summary"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

if [ -z "${SKIP_LOAD:-}" ]; then
  port=$(free_port)
  start_pg alone "$port"
  as_pg psql -h "$WORK" -p "$port" -U postgres -qc "CREATE DATABASE ledger"
  load alone "postgres://postgres@127.0.0.1:$port/ledger"
  as_pg "$PGBIN/pg_ctl" -D "$WORK/pg-alone" -m fast stop >/dev/null

  primary=$(free_port) standby=$(free_port)
  start_pg primary "$primary" "synchronous_standby_names='*'" "synchronous_commit=remote_apply"
  as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$primary" -U postgres -D "$WORK/pg-standby" -R -X stream -c fast
  as_pg "$PGBIN/pg_ctl" -D "$WORK/pg-standby" -l "$WORK/standby.log" -w \
      -o "-p $standby -k $WORK -c listen_addresses=127.0.0.1 -c fsync=on" start >/dev/null
  until as_pg psql -h "$WORK" -p "$primary" -U postgres -Atc "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'" | grep -q 1; do sleep 0.2; done
  as_pg psql -h "$WORK" -p "$primary" -U postgres -qc "CREATE DATABASE ledger"
  load sync-standby "postgres://postgres@127.0.0.1:$primary,127.0.0.1:$standby/ledger"
  as_pg "$PGBIN/pg_ctl" -D "$WORK/pg-standby" -m fast stop >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$WORK/pg-primary" -m fast stop >/dev/null
fi

if [ -z "${SKIP_PEER:-}" ]; then
  DURATION=$DURATION bash "$PEERS/pg_ledger.sh" | grep '^pg_ledger'
fi

if [ -z "${SKIP_VERIFY:-}" ]; then
  port=$(free_port)
  start_pg verify "$port"
  as_pg psql -h "$WORK" -p "$port" -U postgres -qc "CREATE DATABASE ledger"
  url="postgres://postgres@127.0.0.1:$port/ledger"
  file="$WORK/verify.sqlite"
  "$BIN/ecoledger" generate --db "$file" --entries "$ENTRIES" >/dev/null
  timed() { local start end; start=$(date +%s.%N); "$@" >"$WORK/timed.out" 2>&1 || { cat "$WORK/timed.out"; exit 1; }; end=$(date +%s.%N); python3 -c "print(f'{$end - $start:.1f}')"; }
  copy_s=$(timed "$BIN/ecoledger" copy --from "$file" --to "$url")
  file_s=$(timed "$BIN/ecoledger" verify --db "$file")
  pg_s=$(timed "$BIN/ecoledger" verify --db "$url")
  size_file=$(stat -c %s "$file")
  size_pg=$(as_pg psql -h "$WORK" -p "$port" -U postgres -Atc "SELECT pg_database_size('ledger')")
  echo "verify entries=$ENTRIES file_s=$file_s postgres_s=$pg_s ratio=$(python3 -c "print(f'{$pg_s / $file_s:.2f}')") copy_to_postgres_s=$copy_s"
  echo "size entries=$ENTRIES file_bytes=$size_file postgres_bytes=$size_pg"
fi
