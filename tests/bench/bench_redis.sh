#!/usr/bin/env bash
# Benchmark: sessiondesk-cli against redis-cli baselines on an express-session store.
#
# Starts its own redis-server on a free 127.0.0.1 port, fills it with express-session +
# connect-redis style sessions (`sess:<sid>` JSON strings, SET ... EX 7200) plus the
# application's per-user index SETs (`user-sessions:<user>`), and prints a table of wall times
# and peak RSS, next to baselines: redis-cli --scan, redis-cli --scan | xargs redis-cli unlink,
# and a node client doing SCAN + pipelined PTTL/GET (scan_read.mjs, using tests/e2e's redis
# package). It prints figures; it is not a pass/fail test and is not registered in ctest.
#
# Usage: tests/bench/bench_redis.sh [path/to/sessiondesk-cli]
#   CLI path also from SESSIONDESK_CLI (default: build/app/sessiondesk-cli)
#   BENCH_SESSIONS (50000), BENCH_USERS (5000), BENCH_REPEAT (3): the sizes and how often the
#   read-only measurements are repeated (the best run is shown, all runs are listed).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
# shellcheck source=scripts/lib/throwaway-redis.sh
source scripts/lib/throwaway-redis.sh

cli=${1:-${SESSIONDESK_CLI:-build/app/sessiondesk-cli}}
sessions=${BENCH_SESSIONS:-50000}
users=${BENCH_USERS:-5000}
repeat=${BENCH_REPEAT:-3}
ttl=7200
user_index='user-sessions:{user}'
limit_seconds=300 # per measured command

work=''
rows=()

log() { printf '%s\n' "$*" >&2; }
die() { log "bench: $*"; exit 1; }

cleanup() {
    stop_throwaway_redis
    [[ -n $work ]] && rm -rf -- "$work"
}

rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
# SCAN may return a key twice (e.g. while the server rehashes after mass deletes): dedupe.
count_keys() { rcli --scan --pattern "$1" | sort -u | wc -l; }

# RESP for `sessions` SET commands spread over `users` users, then one SADD per user.
generate_resp() {
    local expires
    expires=$(date -u -d "+$ttl seconds" +%Y-%m-%dT%H:%M:%S.000Z)
    LC_ALL=C awk -v sessions="$sessions" -v users="$users" -v ttl="$ttl" \
        -v expires="$expires" -v seed="$RANDOM" '
        function resp(n, a,    i, s) {
            s = "*" n "\r\n"
            for (i = 1; i <= n; i++) s = s "$" length(a[i]) "\r\n" a[i] "\r\n"
            return s
        }
        function sid(    s, c) {  # 32 url-safe base64 characters, like uid-safe(24)
            s = ""
            for (c = 0; c < 32; c++) s = s substr(alphabet, int(rand() * 64) + 1, 1)
            return s
        }
        BEGIN {
            alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            srand(seed)
            for (i = 0; i < sessions; i++) {
                u = i % users
                id = sid()
                user = "user" u "@example.org"
                v = "{\"cookie\":{\"originalMaxAge\":7200000,\"expires\":\"" expires "\"," \
                    "\"secure\":false,\"httpOnly\":true,\"path\":\"/\",\"sameSite\":\"lax\"}," \
                    "\"user_id\":\"" user "\",\"loginAt\":" (1764000000000 + i) "," \
                    "\"csrfSecret\":\"" substr(sid(), 1, 24) "\"," \
                    "\"prefs\":{\"lang\":\"en\",\"theme\":\"" (i % 2 ? "dark" : "light") "\"}}"
                cmd[1] = "SET"; cmd[2] = "sess:" id; cmd[3] = v; cmd[4] = "EX"; cmd[5] = ttl
                printf "%s", resp(5, cmd)
                members[u] = members[u] SUBSEP id
            }
            for (u = 0; u < users; u++) {
                n = split(substr(members[u], 2), ids, SUBSEP)
                delete sadd
                sadd[1] = "SADD"; sadd[2] = "user-sessions:user" u "@example.org"
                for (k = 1; k <= n; k++) sadd[k + 2] = ids[k]
                printf "%s", resp(n + 2, sadd)
            }
        }'
}

# Empties the throwaway server (it is ours alone) and loads the generated sessions again;
# sets FILL_SECONDS.
fill() {
    local t0 report got
    rcli flushdb >/dev/null
    t0=$(date +%s.%N)
    report=$(rcli --pipe <"$work/fill.resp")
    FILL_SECONDS=$(elapsed "$t0")
    grep -q 'errors: 0,' <<<"$report" || die "filling failed: $report"
    got=$(count_keys 'sess:*')
    [[ $got -eq $sessions ]] || die "expected $sessions sessions after filling, found $got"
}

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }

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
    report_failure "$*"
}

# measure_shell OUT 'pipeline': like measure, for a shell pipeline (no RSS).
measure_shell() {
    local out=$1 t0
    STATUS=0
    t0=$(date +%s.%N)
    timeout "$limit_seconds" bash -o pipefail -c "$2" >"$out" 2>"$work/stderr" || STATUS=$?
    WALL=$(elapsed "$t0")
    RSS='-'
    report_failure "$2"
}

report_failure() {
    [[ $STATUS -eq 0 ]] && return
    log "FAILED (exit $STATUS): $1"
    sed 's/^/  /' "$work/stderr" >&2
}

failed_note() { [[ $STATUS -eq 0 ]] || echo "FAILED: exit $STATUS; "; }

row() { rows+=("$(printf '%-46s %9s %12s  %s' "$1" "$2" "$3" "$4")"); log "  $1: $2 s  $4"; }

# best_of LABEL NOTE-FUNCTION measure-args...: repeats a read-only measurement.
best_of() {
    local label=$1 note_fn=$2 best='' all='' peak=0 i
    shift 2
    for ((i = 0; i < repeat; i++)); do
        "$@"
        if [[ $STATUS -ne 0 ]]; then
            row "$label" "$WALL" "$RSS" "$(failed_note)see the log above"
            return
        fi
        all+="$WALL "
        if [[ -z $best ]] || awk -v a="$WALL" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$WALL
        fi
        [[ $RSS != - && $RSS -gt $peak ]] && peak=$RSS
    done
    [[ $peak -eq 0 ]] && peak='-'
    row "$label" "$best" "$peak" "$($note_fn) runs: ${all% }"
}

sd=()       # the CLI on the benchmark store: set once the server runs
sd_index=() # the same with the per-user index

note_first_line() { echo "$(head -n 1 "$work/out" | cut -c 1-100);"; }
note_lines() { echo "$(wc -l <"$work/out") lines;"; }
note_count() { echo "$(tr -d ' ' <"$work/out") keys;"; }
note_json_users() {
    node -e '
        const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const total = a.reduce((n, u) => n + Number(u.sessions), 0);
        process.stdout.write(a.length + " users, " + total + " sessions;");' "$work/out"
}

after_destroy() {
    echo "left: $(count_keys 'sess:*') sess:*, $(count_keys 'user-sessions:*') user-sessions:*"
}

target_name() {
    "${sd[@]}" --json info | node -e '
        let s = ""; process.stdin.on("data", d => s += d)
            .on("end", () => process.stdout.write(String(JSON.parse(s).target)));'
}

main() {
    [[ -x $cli ]] || die "no CLI at $cli (build first: cmake -S . -B build -G Ninja && cmake --build build)"
    command -v /usr/bin/time >/dev/null || die "/usr/bin/time is missing (scripts/install-deps.sh installs it)"
    work=$(mktemp -d "${TMPDIR:-/tmp}/sessiondesk-bench.XXXXXX")
    trap cleanup EXIT
    export SESSIONDESK_AUDIT_LOG="$work/audit.log" # keep the user's own audit log clean
    trap 'exit 130' INT TERM

    local t0
    t0=$(date +%s.%N)
    generate_resp >"$work/fill.resp"
    log "generated $(wc -c <"$work/fill.resp") bytes of RESP in $(elapsed "$t0") s"

    start_throwaway_redis || die "could not start redis-server"
    sd=("$cli" --store "redis://127.0.0.1:$REDIS_PORT/0")
    sd_index=("${sd[@]}" --user-index "$user_index")
    log "redis-server $(rcli info server | sed -n 's/^redis_version:\(.*\)\r$/\1/p') on 127.0.0.1:$REDIS_PORT"
    log "cli: $cli ($("$cli" --version 2>&1 | head -n 1))"

    fill
    row "fill: redis-cli --pipe (RESP made by awk)" "$FILL_SECONDS" '-' \
        "$sessions sessions, $users index sets; used_memory $(rcli info memory \
            | sed -n 's/^used_memory_human:\(.*\)\r$/\1/p')"

    best_of "sessiondesk-cli users (scan + decode)" note_lines measure "$work/out" "${sd[@]}" users
    best_of "sessiondesk-cli users (--user-index)" note_lines measure "$work/out" "${sd_index[@]}" users
    best_of "sessiondesk-cli --json users (scan + decode)" note_json_users \
        measure "$work/out" "${sd[@]}" --json users
    best_of "sessiondesk-cli --json users (--user-index)" note_json_users \
        measure "$work/out" "${sd_index[@]}" --json users
    best_of "sessiondesk-cli destroy-all --dry-run" note_first_line \
        measure "$work/out" "${sd_index[@]}" destroy-all --dry-run
    if [[ -d tests/e2e/node_modules/redis ]]; then
        best_of "baseline: node SCAN + pipelined PTTL/GET" note_first_line \
            measure "$work/out" node tests/bench/scan_read.mjs "redis://127.0.0.1:$REDIS_PORT/0"
    else
        log "  (tests/e2e/node_modules is missing: no node baseline; npm ci --prefix tests/e2e)"
    fi
    best_of "baseline: redis-cli --scan 'sess:*' | wc -l" note_count \
        measure_shell "$work/out" "redis-cli -h 127.0.0.1 -p $REDIS_PORT --scan --pattern 'sess:*' | wc -l"

    local target
    target=$(target_name) || target="127.0.0.1:$REDIS_PORT/0"
    measure "$work/out" "${sd[@]}" destroy-all --confirm "$target"
    row "sessiondesk-cli destroy-all (scan + decode)" "$WALL" "$RSS" "$(failed_note)$(after_destroy)"

    fill
    measure "$work/out" "${sd_index[@]}" destroy-all --confirm "$target"
    row "sessiondesk-cli destroy-all (--user-index)" "$WALL" "$RSS" "$(failed_note)$(after_destroy)"

    fill
    measure_shell "$work/out" "redis-cli -h 127.0.0.1 -p $REDIS_PORT --scan --pattern 'sess:*' \
        | xargs -n 1000 redis-cli -h 127.0.0.1 -p $REDIS_PORT unlink"
    row "baseline: --scan 'sess:*' | xargs -n 1000 unlink" "$WALL" '-' "$(failed_note)$(after_destroy)"

    printf '\n%s sessions for %s users, %s cores, %s\n' "$sessions" "$users" "$(nproc)" \
        "$(date -u +%Y-%m-%dT%H:%MZ)"
    printf '%-46s %9s %12s  %s\n' "what" "wall (s)" "peak RSS KiB" "notes"
    printf '%s\n' "${rows[@]}"
}

main
