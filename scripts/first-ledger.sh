#!/usr/bin/env bash
# docs/OPERATIONS.md, "Your first real ledger", run as written: from nothing to a first drop-off,
# a first redemption, an AUDIT and an offline `ecoledger verify`, on a new (not --demo) ledger.
#
#   bash scripts/first-ledger.sh          # ECOLEDGER_BIN=DIR picks the binaries (default .build/debug)
#
# Each command below is a line of that section, character for character, and each reply must be
# the one the section shows under it (`…` there stands for anything). The script also checks that
# it ran every command the section shows, so the page and the script cannot drift apart. The
# only differences from a person following the page: HOME is a temporary folder (so `~/ledger`
# is inside it and removed at the end), `ecoledger` and `ecoledgerd` are the binaries of
# ECOLEDGER_BIN, and the server listens on a free port (`--port 0`, which `ecoledger call` is
# given) rather than 7707, in the background, stopped with SIGTERM where the page says Ctrl-C.
# Exit status 0 when everything matched; otherwise 1, with what differed on stderr.
set -euo pipefail

repository=$(cd "$(dirname "$0")/.." && pwd)
doc="$repository/docs/OPERATIONS.md"
section="## Your first real ledger"
bin=${ECOLEDGER_BIN:-"$repository/.build/debug"}

failure=""
fail() {
    failure="first-ledger.sh: FAILED: $*"
    echo "$failure" >&2
    exit 1
}

[ -x "$bin/ecoledger" ] && [ -x "$bin/ecoledgerd" ] || fail "no ecoledger and ecoledgerd in $bin (build them, or set ECOLEDGER_BIN)"
bin=$(cd "$bin" && pwd)
grep -qxF "$section" "$doc" || fail "$doc has no section \"$section\""

scratch=$(mktemp -d "${TMPDIR:-/tmp}/first-ledger.XXXXXX")
server=""
port=""

stop_server() {
    [ -n "$server" ] || return 0
    kill -TERM "$server" 2>/dev/null || true
    local status=0
    wait "$server" || status=$?
    server=""
    return "$status"
}

cleanup() {
    local status=$?
    if [ -n "$server" ]; then
        kill -TERM "$server" 2>/dev/null || true
        sleep 1
        kill -KILL "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
    fi
    if [ "$status" -ne 0 ] && [ -s "$scratch/server.err" ]; then
        echo "--- the end of ecoledgerd's log:" >&2
        tail -n 20 "$scratch/server.err" >&2
        [ -z "$failure" ] || echo "$failure" >&2
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

export HOME="$scratch/home"
mkdir -m 700 "$HOME"

# The page's `ecoledger` and `ecoledgerd`: ECOLEDGER_BIN's, and the server on a free port.
ecoledger() {
    if [ "${1:-}" = call ]; then
        shift
        "$bin/ecoledger" call --port "$port" "$@"
    else
        "$bin/ecoledger" "$@"
    fi
}
ecoledgerd() {
    exec "$bin/ecoledgerd" --port 0 "$@"
}

# The commands of the section's code blocks, in order (comment lines are replies, not commands).
export SECTION="$section"
mapfile -t shown_commands < <(awk '
    $0 == ENVIRON["SECTION"] { inside = 1; next }
    inside && /^## / { exit }
    inside && /^```/ { block = !block; next }
    inside && block && !/^# / && NF { print }
' "$doc")
ran=()

# shown_reply COMMAND N: the reply the section shows under the Nth occurrence of COMMAND, one
# line per reply line, without the leading "# ".
shown_reply() {
    COMMAND=$1 WANTED=$2 awk '
        $0 == ENVIRON["SECTION"] { inside = 1; next }
        inside && /^## / { exit }
        !inside { next }
        found && /^# / { print substr($0, 3); next }
        found { exit }
        $0 == ENVIRON["COMMAND"] && ++seen == ENVIRON["WANTED"] + 0 { found = 1 }
    ' "$doc"
}

# as_pattern: a shown reply line as an extended regular expression, `…` standing for anything.
as_pattern() {
    LC_ALL=C sed -e 's#[][\.*^$(){}?+|]#\\&#g' -e 's#…#.*#g'
}

# matches ACTUAL SHOWN: every line of ACTUAL matches the shown line at the same place.
matches() {
    local -a actual shown
    mapfile -t actual <<<"$1"
    mapfile -t shown <<<"$2"
    [ "${#actual[@]}" -eq "${#shown[@]}" ] || return 1
    local i pattern
    for i in "${!shown[@]}"; do
        pattern=$(printf '%s\n' "${shown[$i]}" | as_pattern)
        [[ ${actual[$i]} =~ ^${pattern}$ ]] || return 1
    done
}

occurrences() {
    local command=$1 count=0 line
    for line in ${ran[@]+"${ran[@]}"}; do
        [ "$line" = "$command" ] && count=$((count + 1))
    done
    echo "$count"
}

# step COMMAND: runs one command of the page in this shell (so `cd` holds), and checks its exit
# status and its output against the reply the page shows under it.
step() {
    local command=$1
    grep -qxF -- "$command" <(printf '%s\n' "${shown_commands[@]}") \
        || fail "\"$section\" in docs/OPERATIONS.md no longer shows the command: $command"
    local nth
    nth=$(($(occurrences "$command") + 1))
    ran+=("$command")
    local expected
    expected=$(shown_reply "$command" "$nth")
    echo "\$ $command"
    local status=0
    eval "$command" >"$scratch/reply" 2>"$scratch/errors" || status=$?
    local reply
    reply=$(cat "$scratch/reply")
    [ -n "$reply" ] && printf '%s\n' "$reply"
    [ "$status" -eq 0 ] || fail "exit status $status from: $command
$(cat "$scratch/errors")"
    matches "$reply" "$expected" || fail "the reply to: $command
is:
$reply
but the page shows:
$expected"
}

# start_server COMMAND: step 1's ecoledgerd, in the background; waits for `listening on` and
# checks what it printed until then against the page.
start_server() {
    local command=$1
    grep -qxF -- "$command" <(printf '%s\n' "${shown_commands[@]}") \
        || fail "\"$section\" in docs/OPERATIONS.md no longer shows the command: $command"
    ran+=("$command")
    local expected
    expected=$(shown_reply "$command" 1)
    echo "\$ $command &"
    eval "$command" >"$scratch/server.out" 2>"$scratch/server.err" &
    server=$!
    local waited=0
    until grep -q '^listening on ' "$scratch/server.out"; do
        kill -0 "$server" 2>/dev/null || fail "ecoledgerd exited before listening: $(cat "$scratch/server.out")"
        [ "$waited" -lt 600 ] || fail "ecoledgerd did not print 'listening on' within 60 s"
        sleep 0.1
        waited=$((waited + 1))
    done
    local printed
    printed=$(cat "$scratch/server.out")
    printf '%s\n' "$printed"
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$scratch/server.out")
    [ -n "$port" ] || fail "no port in: $printed"
    # The page's server listens on 7707; this one on the free port it picked.
    matches "$printed" "$(printf '%s\n' "$expected" | sed "s/^listening on 127\.0\.0\.1:7707\$/listening on 127.0.0.1:$port/")" \
        || fail "ecoledgerd printed:
$printed
but the page shows:
$expected"
}

# 1. The ledger and the server.
step 'mkdir -m 700 ~/ledger && cd ~/ledger'
step 'ecoledger init --db ledger.sqlite'
start_server 'ecoledgerd --db ledger.sqlite --admin-token-file admin.token --origin ledger.quezoncity.example/ecoledger'
[ "$(stat -c %a admin.token)" = 600 ] || fail "admin.token is mode $(stat -c %a admin.token), not 600"

# 2. The catalogue, as admin.
step 'ecoledger call --token-file admin.token POINT ADD CP-BATASAN "name=Batasan Hills Barangay Hall" district=Batasan'
step 'ecoledger call --token-file admin.token MATERIAL SET PET rate=18 "name=PET bottles"'
step 'ecoledger call --token-file admin.token MATERIAL SET ALU rate=40 "name=Aluminium cans" min_kg=0.1'
step 'ecoledger call --token-file admin.token MATERIAL LIST'
step 'ecoledger call --token-file admin.token ACCOUNT OPEN M-SARI kind=merchant "name=Nena Sari-sari Store"'
step 'ecoledger call --token-file admin.token ACCOUNT OPEN R-0001 kind=resident "name=Juan dela Cruz" district=Batasan pin=4321'

# 3. Tokens for the point and the merchant, each secret alone in an owner-only file.
step 'ecoledger call --token-file admin.token --token-out operator.token TOKEN ISSUE role=operator point=CP-BATASAN'
step 'ecoledger call --token-file admin.token --token-out merchant.token TOKEN ISSUE role=merchant merchant=M-SARI'
for file in operator.token merchant.token; do
    [ "$(stat -c %a "$file")" = 600 ] || fail "$file is mode $(stat -c %a "$file"), not 600"
    grep -qxE '[0-9a-f]{32,}' "$file" || fail "$file does not hold a token's secret alone: $(cat "$file")"
done

# 4. A drop-off as the point's operator, and its retry.
step 'ecoledger call --token-file operator.token DROPOFF R-0001 point=CP-BATASAN material=PET kg=2.5 ref=cp-batasan-000001'
step 'ecoledger call --token-file operator.token DROPOFF R-0001 point=CP-BATASAN material=PET kg=2.5 ref=cp-batasan-000001'

# 5. A redemption at the merchant, with the resident's PIN.
step 'ecoledger call --token-file merchant.token REDEEM R-0001 points=20 merchant=M-SARI pin=4321 ref=sari-000001'

# 6. The balances and an audit.
step 'ecoledger call --token-file admin.token BALANCE R-0001'
step 'ecoledger call --token-file merchant.token BALANCE M-SARI'
step 'ecoledger call --token-file admin.token AUDIT | tee audit.reply'

# 7. The server stops cleanly (Ctrl-C on the page), then the offline audit.
echo "\$ kill -TERM ecoledgerd"
status=0
stop_server || status=$?
[ "$status" -eq 0 ] || fail "ecoledgerd exited with status $status on SIGTERM"
step 'ecoledger key public --key ledger.sqlite.log-key --origin ledger.quezoncity.example/ecoledger | tee log.vkey'
[ "log key $(cat log.vkey)" = "$(grep '^log key ' "$scratch/server.out")" ] \
    || fail "the key file's verifier key $(cat log.vkey) is not the one ecoledgerd printed: $(grep '^log key ' "$scratch/server.out")"
step 'ecoledger verify --db ledger.sqlite --expect-head "$(sed '"'"'s/.* head=//'"'"' audit.reply)" --log-key "$(cat log.vkey)"'
[ "$(cat "$scratch/reply")" = "$(cat audit.reply)" ] \
    || fail "verify's head ($(cat "$scratch/reply")) is not AUDIT's ($(cat audit.reply))"

# Every command the page shows was run.
for command in "${shown_commands[@]}"; do
    [ "$(occurrences "$command")" -gt 0 ] || fail "the page shows a command this script does not run: $command"
done
[ "${#ran[@]}" -eq "${#shown_commands[@]}" ] \
    || fail "the page shows ${#shown_commands[@]} commands and this script ran ${#ran[@]}"

echo "first-ledger.sh: OK: every command of \"$section\" ran as written and answered as shown"
