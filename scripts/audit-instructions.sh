#!/bin/bash
# Instruction counts of `ecoledger verify` under callgrind, per stage of the audit: steadier than
# time on this shared 2-core machine (where one binary's wall time varies by 30% from run to run),
# and the same from run to run within 0.01%. Compare two builds of the same ledger.
#   usage: scripts/audit-instructions.sh NAME ECOLEDGER_BINARY [LEDGER]
#   LEDGER defaults to a 50,000-entry ledger made once with `ecoledger generate` (2,000 residents).
# Valgrind hides SHA-NI from the program, so OpenSSL hashes in software under it: SHA-256 is
# reported apart (sha=). scan= is the first stage's thread (rows and their canonical bytes),
# chain_minus_sha= the second's (hashes, links, the tree) without SHA-256, main= the replay's
# thread (decode, replay, projections), replay= the rules alone. Needs valgrind
# (apt-get install valgrind).
set -euo pipefail
name=$1; bin=$(realpath "$2"); work=${TMPDIR:-/tmp}/ecoledger-audit-instructions; mkdir -p "$work"
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
db=${3:-$work/ledger-50000.sqlite}
[ -e "$db" ] || "$bin" generate --db "$db" --entries 50000 --accounts 2000 >/dev/null
# Valgrind 3.19 cannot read the Swift toolchain's DWARF; the symbol table is enough.
strip --strip-debug -o "$work/$name" "$bin"
valgrind --tool=callgrind --callgrind-out-file="$work/$name.callgrind" "$work/$name" verify --db "$db" >"$work/$name.log" 2>&1
callgrind_annotate --inclusive=yes "$work/$name.callgrind" >"$work/$name.inclusive" 2>/dev/null
callgrind_annotate "$work/$name.callgrind" >"$work/$name.self" 2>/dev/null
first() { grep -m1 -- "$1" "$2" | awk '{gsub(",", "", $1); print $1}'; }
total=$(first "PROGRAM TOTALS" "$work/$name.inclusive")
sha=$(first "libcrypto.so.3\]" "$work/$name.self")
scan=$(first 'JournalScanC3runyyF \[' "$work/$name.inclusive")
chain=$(first 'ChainCheckC3runyyF \[' "$work/$name.inclusive")
main=$(first 'AuditorV3run8expected13progressEvery0F0AA11AuditReportVAA12ExpectedHeadVSg_s5Int64VyAN_ANtcSgtKF \[' "$work/$name.inclusive")
replay=$(first 'ChainReplayerV6replay' "$work/$name.inclusive")
echo "$name: total=$total sha=$sha scan=$scan chain_minus_sha=$((chain - sha)) main=$main replay=$replay (callgrind files in $work)"
