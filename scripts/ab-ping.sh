#!/bin/bash
# A/B of PING: throughput from 50 connections and the server's CPU time per PING (utime+stime
# from /proc/PID/stat), for one ecoledgerd binary on a fresh --demo ledger. Run it for two
# binaries in turn, several rounds, in one session, and compare.
# usage: scripts/ab-ping.sh NAME BINARY PORT   (needs .build/release/ecoledger-bench)
set -e
name=$1; bin=$(realpath "$2"); port=$3
BENCH=$(cd "$(dirname "$0")/.." && pwd)/.build/release/ecoledger-bench
dir=${TMPDIR:-/tmp}/ecoledger-ab-ping/$name; rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
"$bin" --db l.sqlite --demo --port "$port" > out.txt 2> err.txt &
pid=$!
sleep 1.5
t0=$(awk '{print $14+$15}' /proc/$pid/stat)
out=$("$BENCH" --port "$port" --token-file l.sqlite.demo-tokens --connections 50 --duration 8 --mix ping=100 --skip-setup | grep 'bench summary')
t1=$(awk '{print $14+$15}' /proc/$pid/stat)
n=$(echo "$out" | sed 's/.*throughput=\([0-9]*\).*/\1/')
tps=$(getconf CLK_TCK)
echo "$name: $out server_cpu_us_per_ping=$(python3 -c "print(round(($t1-$t0)/$tps*1e6/($n*8),2))")"
kill $pid; wait $pid 2>/dev/null || true
