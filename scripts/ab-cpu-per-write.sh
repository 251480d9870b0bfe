#!/bin/bash
# A/B: the server's CPU time per durable drop-off (utime+stime from /proc/PID/stat over a fixed
# load), and the load generator's throughput line, for one ecoledgerd binary. Run it for two
# binaries in turn, several rounds, in one session, and compare: CPU per write is steadier than
# throughput on this shared 2-core machine.
# usage: scripts/ab-cpu-per-write.sh NAME BINARY PORT   (CONNS, PIPE, SECS: load shape; defaults 32, 1, 8;
#        EXTRA_ARGS: more ecoledgerd options, e.g. "--metrics 127.0.0.1:0")
# needs .build/release/ecoledger and ecoledger-bench (make bench builds them)
set -e
name=$1; bin=$(realpath "$2"); port=$3
CLI=${CLI:-$(cd "$(dirname "$0")/.." && pwd)/.build/release/ecoledger}; BENCH=${CLI}-bench; dir=${TMPDIR:-/tmp}/ecoledger-ab/$name; rm -rf $dir; mkdir -p $dir; cd $dir
$bin --db l.sqlite --demo --port $port ${EXTRA_ARGS:-} > out.txt 2> err.txt &
sleep 1.5
pid=$(pgrep -f "$bin --db l.sqlite --demo --port $port" | head -1)
$BENCH --port $port --token-file l.sqlite.demo-tokens --connections 8 --duration 1 --mix dropoff=100 --accounts 1000 > /dev/null
t0=$(awk '{print $14+$15}' /proc/$pid/stat)
w0=$($CLI call --port $port --token-file l.sqlite.demo-tokens STATS | tr ' ' '\n' | grep '^writes=' | cut -d= -f2)
out=$($BENCH --port $port --token-file l.sqlite.demo-tokens --connections ${CONNS:-32} --pipeline ${PIPE:-1} --duration ${SECS:-8} --mix dropoff=100 --accounts 1000 --skip-setup)
t1=$(awk '{print $14+$15}' /proc/$pid/stat)
w1=$($CLI call --port $port --token-file l.sqlite.demo-tokens STATS | tr ' ' '\n' | grep '^writes=' | cut -d= -f2)
tps=$(getconf CLK_TCK)
echo "$name: $(echo "$out" | grep 'bench summary') writes=$((w1-w0)) cpu_us_per_write=$(python3 -c "print(round(($t1-$t0)/$tps*1e6/($w1-$w0),1))")"
kill $pid; wait $pid 2>/dev/null || true
