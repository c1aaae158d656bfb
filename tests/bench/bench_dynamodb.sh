#!/usr/bin/env bash
# Benchmark: sessiondesk-cli against a plain @aws-sdk/client-dynamodb script on a DynamoDB
# session table in the dynamodb-gds layout, served by dynalite.
#
# Runs dynalite in a node process of its own on a free 127.0.0.1 port (dynamodb_fill.mjs serve;
# restarted before every fill, because dynalite leaks memory), creates the table (hash key `id`,
# GSI `users-sessions` on `user_id`) and fills it with BatchWriteItem, many requests in flight
# (dynamodb_fill.mjs fill). Then it prints a table of wall time, peak client RSS and requests of
# `sessiondesk-cli users` and `destroy-all`, next to the baseline a user would write
# (dynamodb_sdk_baseline.mjs: sequential Scan of every page, then BatchWriteItem 25 keys at a
# time, one request after the other, retrying UnprocessedItems). Uses dynalite and the SDK from
# tests/e2e (npm ci --prefix tests/e2e). It prints figures; it is not a pass/fail test and is
# not registered in ctest.
#
# Usage: tests/bench/bench_dynamodb.sh [path/to/sessiondesk-cli]
#   CLI path also from SESSIONDESK_CLI (default: build/app/sessiondesk-cli)
#   BENCH_SESSIONS (100000), BENCH_USERS (10000), BENCH_REPEAT (3): the sizes and how often the
#   read-only measurements are repeated (the best run is shown, all runs are listed).
#   BENCH_IN_FLIGHT (16): concurrent BatchWriteItem requests while filling.
#   BENCH_LATENCY_MS (0): dynalite holds every request this long first, standing in for the
#   round trip to a real DynamoDB endpoint (a few ms in-region); with 0, dynalite's own CPU
#   time (one node thread) is what every client waits for.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

cli=${1:-${SESSIONDESK_CLI:-build/app/sessiondesk-cli}}
sessions=${BENCH_SESSIONS:-100000}
users=${BENCH_USERS:-10000}
repeat=${BENCH_REPEAT:-3}
in_flight=${BENCH_IN_FLIGHT:-16}
latency_ms=${BENCH_LATENCY_MS:-0}
table=sessions
region=eu-west-2
target="$table@$region"
limit_seconds=600 # per measured command, and per fill

work=''
rows=()
dynalite_pid=''
endpoint=''
server_peaks=() # dynalite's peak RSS (KiB) for each of its runs

# Any credentials do for dynalite; keep the user's own (and profiles) out of it.
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=$region
unset AWS_SESSION_TOKEN AWS_PROFILE
node=(node --no-warnings) # the SDK warns about node < 22 on every start

log() { printf '%s\n' "$*" >&2; }
die() { log "bench: $*"; exit 1; }

stop_dynalite() {
    [[ -n $dynalite_pid ]] || return 0
    local peak
    peak=$(awk '/^VmHWM:/ { print $2 }' "/proc/$dynalite_pid/status" 2>/dev/null || true)
    [[ -n $peak ]] && server_peaks+=("$peak")
    kill "$dynalite_pid" 2>/dev/null || true
    wait "$dynalite_pid" 2>/dev/null || true
    dynalite_pid=''
    endpoint=''
}

# A fresh dynalite (empty, in memory) on a port the kernel picks; sets endpoint and sd.
start_dynalite() {
    local tries
    stop_dynalite
    : >"$work/dynalite.log"
    BENCH_LATENCY_MS=$latency_ms "${node[@]}" tests/bench/dynamodb_fill.mjs serve 0 >"$work/dynalite.log" 2>&1 </dev/null &
    dynalite_pid=$!
    for ((tries = 0; tries < 300; tries++)); do
        endpoint=$(sed -n 's/^Listening at \(http:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' "$work/dynalite.log")
        if [[ -n $endpoint ]]; then
            sd=("$cli" --store "dynamodb://$table?endpoint=$endpoint&region=$region" --schema dynamodb-gds)
            return 0
        fi
        kill -0 "$dynalite_pid" 2>/dev/null || break
        sleep 0.1
    done
    cat "$work/dynalite.log" >&2
    die "dynalite did not start"
}

cleanup() {
    stop_dynalite
    [[ -n $work ]] && rm -rf -- "$work"
}

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }

count_items() {
    timeout "$limit_seconds" "${node[@]}" tests/bench/dynamodb_fill.mjs count "$endpoint" "$table"
}

# Restarts dynalite and loads the sessions again; sets FILL_SECONDS and FILL_REPORT.
fill() {
    local t0 got
    start_dynalite
    t0=$(date +%s.%N)
    FILL_REPORT=$(timeout "$limit_seconds" "${node[@]}" tests/bench/dynamodb_fill.mjs fill \
        "$endpoint" "$table" "$sessions" "$users" "$in_flight") || die "filling failed"
    FILL_SECONDS=$(elapsed "$t0")
    got=$(count_items)
    [[ $got -eq $sessions ]] || die "expected $sessions items after filling, found $got"
    log "filled on $endpoint: $FILL_REPORT"
}

# measure OUT CMD...: runs CMD (bounded), output to OUT; sets WALL, RSS (KiB) and STATUS.
measure() {
    local out=$1 t0
    shift
    STATUS=0
    t0=$(date +%s.%N)
    /usr/bin/time -f %M -o "$work/rss" timeout "$limit_seconds" "$@" >"$out" 2>"$work/stderr" \
        || STATUS=$?
    WALL=$(elapsed "$t0")
    RSS=$(tail -n 1 "$work/rss")
    [[ $RSS =~ ^[0-9]+$ ]] || RSS='-'
    report_failure "$*"
}

report_failure() {
    [[ $STATUS -eq 0 ]] && return
    log "FAILED (exit $STATUS): $1"
    sed 's/^/  /' "$work/stderr" >&2
}

failed_note() { [[ $STATUS -eq 0 ]] || echo "FAILED: exit $STATUS; "; }

row() {
    rows+=("$(printf '%-44s %9s %12s %9s  %s' "$1" "$2" "$3" "$4" "$5")")
    log "  $1: $2 s, $3 KiB, $4 requests; $5"
}

# best_of LABEL NOTE-FUNCTION measure-args...: repeats a read-only measurement.
best_of() {
    local label=$1 note_fn=$2 best='' all='' peak=0 i
    shift 2
    for ((i = 0; i < repeat; i++)); do
        "$@"
        if [[ $STATUS -ne 0 ]]; then
            row "$label" "$WALL" "$RSS" '-' "$(failed_note)see the log above"
            return
        fi
        all+="$WALL "
        if [[ -z $best ]] || awk -v a="$WALL" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$WALL
        fi
        [[ $RSS != - && $RSS -gt $peak ]] && peak=$RSS
    done
    [[ $peak -eq 0 ]] && peak='-'
    row "$label" "$best" "$peak" "$(requests_of_last)" "$($note_fn) runs: ${all% }"
}

sd=() # the CLI on the benchmark table: set by start_dynalite

# The baseline's last line is "requests: N (...)"; the CLI does not print its requests.
requests_of_last() { sed -n 's/^requests: \([0-9]*\).*/\1/p' "$work/out" | tail -n 1 | grep . || echo '-'; }
note_lines() { echo "$(wc -l <"$work/out") lines, last: $(tail -n 1 "$work/out" | cut -c 1-60);"; }
note_first_line() { echo "$(head -n 1 "$work/out" | cut -c 1-90);"; }
note_json_users() {
    node -e '
        const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const total = a.reduce((n, u) => n + Number(u.sessions), 0);
        process.stdout.write(a.length + " users, " + total + " sessions;");' "$work/out"
}
# From `--json destroy-all`: what the CLI says it destroyed.
note_json_destroy() {
    node -e '
        const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        process.stdout.write("reported destroyed " + r.destroyed + ", failed " + r.failed +
            ", examined " + r.examined + ", " + r.duration_ms + " ms;");' "$work/out" 2>/dev/null \
        || echo "unreadable output;"
}

DESTROY_WALL=() # [cli]=… [sdk]=…
destroy_row() {
    local label=$1 note=$2
    row "$label" "$WALL" "$RSS" "$(requests_of_last)" "$(failed_note)$note left: $(count_items) items"
}

main() {
    [[ -x $cli ]] || die "no CLI at $cli (build first: cmake -S . -B build -G Ninja && cmake --build build)"
    command -v /usr/bin/time >/dev/null || die "/usr/bin/time is missing (scripts/install-deps.sh installs it)"
    command -v node >/dev/null || die "node is not installed (scripts/install-deps.sh)"
    [[ -f tests/e2e/node_modules/dynalite/index.js && -d tests/e2e/node_modules/@aws-sdk/client-dynamodb ]] \
        || die "dynalite or @aws-sdk/client-dynamodb is missing: npm ci --prefix tests/e2e"
    work=$(mktemp -d "${TMPDIR:-/tmp}/sessiondesk-bench.XXXXXX")
    trap cleanup EXIT
    export SESSIONDESK_AUDIT_LOG="$work/audit.log" # keep the user's own audit log clean
    trap 'exit 130' INT TERM

    log "cli: $cli ($("$cli" --version 2>&1 | head -n 1)); node $(node --version); dynalite $(
        node -p 'require("./tests/e2e/node_modules/dynalite/package.json").version')"

    fill
    local fill_note=${FILL_REPORT%% BatchWriteItem requests*} # "N items …, S B/item avg, R"
    row "fill: BatchWriteItem, $in_flight in flight" "$FILL_SECONDS" '-' "${fill_note##*, }" \
        "${fill_note%, *}; incl. node start"

    best_of "sessiondesk-cli users" note_lines measure "$work/out" "${sd[@]}" users
    best_of "sessiondesk-cli --json users" note_json_users measure "$work/out" "${sd[@]}" --json users
    best_of "baseline: SDK sequential Scan, count in JS" note_first_line \
        measure "$work/out" "${node[@]}" tests/bench/dynamodb_sdk_baseline.mjs users "$endpoint" "$table"
    best_of "sessiondesk-cli destroy-all --dry-run" note_first_line \
        measure "$work/out" "${sd[@]}" destroy-all --dry-run

    fill # a fresh server for each destroy: same conditions for both
    measure "$work/out" "${sd[@]}" --json destroy-all --confirm "$target"
    DESTROY_WALL[0]=$WALL
    CLI_RSS=$RSS
    destroy_row "sessiondesk-cli destroy-all --confirm" "$(note_json_destroy)"

    fill
    measure "$work/out" "${node[@]}" tests/bench/dynamodb_sdk_baseline.mjs destroy "$endpoint" "$table"
    DESTROY_WALL[1]=$WALL
    destroy_row "baseline: SDK sequential Scan + BatchWrite" "$(note_first_line)"
    stop_dynalite

    printf '\n%s items for %s users on dynalite, %s ms added latency per request, %s cores, %s\n' \
        "$sessions" "$users" "$latency_ms" "$(nproc)" "$(date -u +%Y-%m-%dT%H:%MZ)"
    printf '%-44s %9s %12s %9s  %s\n' "what" "wall (s)" "peak RSS KiB" "requests" "notes"
    printf '%s\n' "${rows[@]}"
    printf '\ndestroy-all vs the sequential SDK script: %s x faster (goal >= 2); CLI peak RSS %s KiB (goal < 102400)\n' \
        "$(awk -v c="${DESTROY_WALL[0]}" -v s="${DESTROY_WALL[1]}" 'BEGIN { printf "%.2f", s / c }')" "$CLI_RSS"
    printf 'dynalite peak RSS per run (KiB, restarted before each fill): %s\n' "${server_peaks[*]}"
}

main
