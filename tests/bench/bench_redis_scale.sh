#!/usr/bin/env bash
# Benchmark at scale: sessiondesk-cli on 1,000,000 express sessions, on a standalone
# redis-server and on a 3-master cluster, next to the redis-cli alternatives in the same run.
#
# Starts its own servers on free 127.0.0.1 ports (temporary directories, no persistence) and
# stops them on exit. Fills them with redis_fill.mjs (RESP loaded with `redis-cli --pipe`; one
# file per master for the cluster): BENCH_SESSIONS (1000000) sessions of about 600 B JSON for
# BENCH_USERS (100000) users, without and with the application's per-user index SETs. Prints,
# per topology: wall time, client peak RSS and the largest SLOWLOG entry during the run of
#   - users (full aggregation) vs `redis-cli --scan` + MGET (a GET pipeline on the cluster)
#     piped through a script that counts users;
#   - destroy-all (without and with the index, whose keys go too) vs
#     `redis-cli --scan --pattern 'sess:*' | xargs -n 1000 redis-cli unlink` (on the cluster,
#     per master at once: --scan | a RESP UNLINK per key | redis-cli --pipe, as UNLINK of many
#     keys cannot span slots);
#   - beside each of users and destroy-all, its floor: bench_redis_floor, the pipelined SCAN +
#     MGET / UNLINK prototype in C with no bookkeeping, on every master at once;
#   - logout-user latency p50/p99 over BENCH_LOGOUTS (10000) random users with the index
#     (bench_redis_ops, in one process: no process start or audit fsync per call);
# and the load average before and after. Each row also shows the seconds the servers spent
# executing commands (INFO commandstats) and the CPU seconds their processes used: on one
# server, the floor under any client's wall time.
# Prints figures; not a pass/fail test.
#
# Usage: tests/bench/bench_redis_scale.sh [build dir]       (default: build)
#   BENCH_TOPOLOGIES ("standalone cluster"), BENCH_SESSIONS, BENCH_USERS, BENCH_LOGOUTS.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
build=${1:-build}
cli=$build/app/sessiondesk-cli
ops=$build/tests/bench_redis_ops
floor_tool=$build/tests/bench_redis_floor
sessions=${BENCH_SESSIONS:-1000000}
users=${BENCH_USERS:-100000}
logouts=${BENCH_LOGOUTS:-10000}
topologies=${BENCH_TOPOLOGIES:-standalone cluster}
limit_seconds=600

work=''
pids=()
ports=()
rows=()

log() { printf '%s\n' "$*" >&2; }
die() { log "bench: $*"; exit 1; }

cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    [[ -n $work ]] && rm -rf -- "$work"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
    local port
    while true; do
        # below the kernel's ephemeral range (32768 on), bus port (+10000) included: a
        # client socket of the run cannot hold the port when the server binds it
        port=$((15000 + RANDOM % 7000))
        port_in_use "$port" || port_in_use $((port + 10000)) || { echo "$port"; return; }
    done
}
rcli() { local port=$1; shift; redis-cli -h 127.0.0.1 -p "$port" "$@"; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }'; }
load() { cut -d ' ' -f 1-3 /proc/loadavg; }

# start_server PORT [extra redis-server arguments]: a redis-server of ours, answering PING.
start_server() {
    local port=$1 dir="$work/redis-$1" tries
    shift
    mkdir -p "$dir"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
        --daemonize no --logfile "$dir/redis.log" --slowlog-max-len 4096 "$@" </dev/null &
    pids+=($!)
    for ((tries = 0; tries < 100; tries++)); do
        [[ $(rcli "$port" ping 2>/dev/null) == PONG ]] && return 0
        sleep 0.1
    done
    die "redis-server on $port did not start; see $dir/redis.log"
}

# The masters' ports and the store URL of the topology.
setup_standalone() {
    local port
    port=$(free_port)
    start_server "$port"
    ports=("$port")
    url="redis://127.0.0.1:$port/0"
}

setup_cluster() {
    local port i nodes=() tries
    ports=()
    for i in 0 1 2; do
        port=$(free_port)
        start_server "$port" --cluster-enabled yes --cluster-port $((port + 10000)) \
            --cluster-config-file "nodes-$port.conf"
        ports+=("$port")
        nodes+=("127.0.0.1:$port")
    done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$work/create.log" 2>&1 \
        || die "redis-cli --cluster create failed: $(tail -n 3 "$work/create.log")"
    for ((tries = 0; tries < 200; tries++)); do
        local ok=0
        for port in "${ports[@]}"; do
            rcli "$port" cluster info | grep -q 'cluster_state:ok' && ok=$((ok + 1))
        done
        [[ $ok -eq 3 ]] && break
        sleep 0.1
    done
    url="redis-cluster://$(IFS=,; echo "${nodes[*]}")"
}

# slot_range PORT: the slot range of a cluster master, e.g. 0-5460 (one range each here)
slot_range() {
    rcli "$1" cluster slots | awk -v p="$1" '
        { line[NR] = $0 }
        END { for (i = 1; i <= NR; i++) if (line[i] == p && line[i - 1] == "127.0.0.1")
                  print line[i - 3] "-" line[i - 2] }' | head -n 1
}

# generate NAME [--index]: the RESP of the fill, once per topology (per master on a cluster).
generate() {
    local name=$1 t0 spec='' port
    shift
    t0=$(date +%s.%N)
    if [[ ${#ports[@]} -gt 1 ]]; then
        for port in "${ports[@]}"; do
            spec+="${spec:+,}$(slot_range "$port")=$work/$name-$port.resp"
        done
        node tests/bench/redis_fill.mjs --sessions "$sessions" --users "$users" "$@" --cluster "$spec"
    else
        node tests/bench/redis_fill.mjs --sessions "$sessions" --users "$users" "$@" \
            --out "$work/$name-${ports[0]}.resp"
    fi
    log "  generated $name in $(elapsed "$t0") s"
}

# fill NAME: empties our servers (the benchmark's own FLUSHALL) and loads NAME.
fill() {
    local name=$1 port t0 reports=()
    t0=$(date +%s.%N)
    for port in "${ports[@]}"; do rcli "$port" flushall >/dev/null; done
    for port in "${ports[@]}"; do
        rcli "$port" --pipe <"$work/$name-$port.resp" >"$work/pipe-$port.log" &
    done
    wait_jobs
    for port in "${ports[@]}"; do
        grep -q 'errors: 0,' "$work/pipe-$port.log" || die "filling $port failed: $(cat "$work/pipe-$port.log")"
    done
    FILL_SECONDS=$(elapsed "$t0")
    [[ $(count 'sess:*') -eq $sessions ]] || die "expected $sessions sessions after the fill"
}

wait_jobs() { local job; for job in $(jobs -p); do [[ " ${pids[*]} " == *" $job "* ]] || wait "$job"; done; }

count() {
    local port total=0 n
    for port in "${ports[@]}"; do
        n=$(rcli "$port" --scan --pattern "$1" | sort -u | wc -l)
        total=$((total + n))
    done
    echo "$total"
}

slowlog_reset() {
    local port
    for port in "${ports[@]}"; do
        rcli "$port" config set slowlog-log-slower-than 1000 >/dev/null # record all above 1 ms
        rcli "$port" slowlog reset >/dev/null
        rcli "$port" config resetstat >/dev/null # for server_seconds
    done
    CPU_START=$(cpu_ticks)
}
# CPU ticks (user + system) of every redis-server of ours so far.
cpu_ticks() {
    local pid total=0
    for pid in "${pids[@]}"; do
        [[ -r /proc/$pid/stat ]] && total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat")))
    done
    echo "$total"
}
# "COMMANDS/CPU": seconds the masters spent executing commands since slowlog_reset (INFO
# commandstats, summed), and the CPU seconds their processes used (commands plus reading
# requests and writing replies): what the servers cannot do faster, whoever the client is.
# Over several masters it is CPU time spread over their cores, not wall time.
server_seconds() {
    local port commands
    commands=$(for port in "${ports[@]}"; do rcli "$port" info commandstats; done \
        | sed -n 's/^cmdstat_.*usec=\([0-9]*\),.*/\1/p' \
        | awk '{ t += $1 } END { printf "%.2f", t / 1e6 }')
    awk -v c="$commands" -v t=$(($(cpu_ticks) - CPU_START)) -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%s/%.2f", c, t / hz }'
}
# The largest SLOWLOG entry since slowlog_reset, over every master: "N us (COMMAND), K >10 ms".
slowlog_max() {
    local port
    for port in "${ports[@]}"; do rcli "$port" --json -2 slowlog get 4096; done | node -e '
        let text = ""; process.stdin.on("data", (d) => (text += d)).on("end", () => {
            let max = 0, what = "-", over = 0;
            for (const part of text.split(/\n(?=\[)/)) {
                if (!part.trim()) continue;
                for (const entry of JSON.parse(part)) {
                    if (String(entry[3][0]).toLowerCase() === "slowlog") continue; // ours
                    const us = Number(entry[2]);
                    if (us > 10000) over++;
                    if (us > max) { max = us; what = String(entry[3][0]) + " " + (entry[3].length - 1) + " args"; }
                }
            }
            process.stdout.write(max ? `${max} us (${what}), ${over} above 10 ms` : "none above 1 ms");
        });'
}

# measure LABEL NOTE CMD...: runs CMD with /usr/bin/time; a row with wall, RSS, SLOWLOG.
measure() {
    local label=$1 note=$2 t0 status=0
    shift 2
    slowlog_reset
    t0=$(date +%s.%N)
    /usr/bin/time -f %M -o "$work/rss" timeout "$limit_seconds" "$@" >"$work/out" 2>"$work/err" || status=$?
    WALL=$(elapsed "$t0")
    [[ $status -eq 0 ]] || { log "FAILED ($status): $*"; sed 's/^/  /' "$work/err" >&2; note="FAILED; $note"; }
    row "$label" "$WALL" "$(tail -n 1 "$work/rss")" "$(slowlog_max)" "$note" "$(server_seconds)"
}

# measure_shell LABEL NOTE 'pipeline': the same for a shell pipeline (RSS: its largest process).
measure_shell() {
    local label=$1 note=$2 t0 status=0
    slowlog_reset
    t0=$(date +%s.%N)
    timeout "$limit_seconds" bash -o pipefail -c "$3" >"$work/out" 2>"$work/err" || status=$?
    WALL=$(elapsed "$t0")
    [[ $status -eq 0 ]] || { log "FAILED ($status): $3"; sed 's/^/  /' "$work/err" >&2; note="FAILED; $note"; }
    row "$label" "$WALL" "-" "$(slowlog_max)" "$note" "$(server_seconds)"
}

# row LABEL WALL RSS SLOWLOG NOTE [SERVER_SECONDS]
row() {
    rows+=("$(printf '%-11s %-44s %8s %10s %9s  %-40s %s' "$topology" "$1" "$2" "${6:--}" "$3" "$4" "$5")")
    log "  $1: $2 s (servers' commands/CPU ${6:--} s), RSS $3 KiB, slowlog: $4; $5"
}

# floor users|destroy [slots]: bench_redis_floor on every master at once, 200 keys per SCAN
# (the CLI's default): the least any client can do for the same keys (see
# bench_redis_floor.cpp). On a cluster SCAN's keys span slots (one command per key); `slots`
# walks each master's slots instead (one command per slot), as the CLI does there.
floor() {
    local what=$1 walk=${2:-} mode=mget how='' commands label
    [[ $what == destroy ]] && mode=unlink
    rm -f "$work"/floor-*.out
    commands=$(for port in "${ports[@]}"; do
        if [[ -n $walk ]]; then how="slots $(slot_range "$port")"
        elif [[ ${#ports[@]} -gt 1 ]]; then how=per-key; fi
        printf '"%s" %s "sess:*" 200 %s %s >"%s" & ' \
            "$floor_tool" "$port" "$mode" "$how" "$work/floor-$port.out"; done)
    label="floor: pipelined SCAN + ${mode^^}${how:+ per key} (C)"
    [[ -n $walk ]] && label="floor: slot walk + ${mode^^} per slot (C)"
    measure_shell "$label" "" "$commands wait"
}
floor_note() {
    cat "$work"/floor-*.out | awk '{ keys += $1; bytes += $3 } END { printf "%d keys, %d value bytes", keys, bytes }'
}

json_field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);process.stdout.write(String(process.argv[1].split(".").reduce((o,k)=>o[k],j)))})' "$1"; }
users_note() {
    node -e 'const a=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));
        process.stdout.write(a.length+" users, "+a.reduce((n,u)=>n+Number(u.sessions),0)+" sessions")' "$work/out"
}

run_topology() {
    local target port baseline
    log "== $topology (load $(load))"
    "setup_$topology"
    generate plain
    generate index --index
    export SESSIONDESK_AUDIT_LOG="$work/audit-$topology.log"
    local sd=("$cli" --store "$url" --json)
    local sdi=("${sd[@]}" --user-index 'user-sessions:{user}')

    fill plain
    row "fill (redis-cli --pipe per master)" "$FILL_SECONDS" - - "$(for p in "${ports[@]}"; do rcli "$p" info memory | sed -n 's/^used_memory_human:\(.*\)\r$/\1/p'; done | xargs)"
    target=$("${sd[@]}" info | json_field target)

    measure "sessiondesk-cli users" "" "${sd[@]}" users
    rows[-1]+="$(users_note)"
    if [[ ${#ports[@]} -eq 1 ]]; then
        baseline="redis-cli -p ${ports[0]} --scan --pattern 'sess:*' | xargs -n 1000 redis-cli -p ${ports[0]} mget \
            | node -e 'require(\"readline\").createInterface({input:process.stdin}).on(\"line\",l=>{try{console.log(JSON.parse(l).user_id??\"\")}catch{console.log(\"\")}})' \
            | awk '{c[\$0]++} END {print length(c) \" users, \" NR \" sessions\"}'"
        measure_shell "baseline: --scan | xargs mget | node count" "" "$baseline"
    else
        # one file per master: lines of processes writing to one pipe at once could interleave
        baseline="for p in ${ports[*]}; do redis-cli -p \$p --scan --pattern 'sess:*' \
            | node tests/bench/users_from_keys.mjs redis://127.0.0.1:\$p >$work/users-\$p.txt & done; wait; \
            cat $work/users-*.txt | awk '{c[\$0]++} END {print length(c) \" users, \" NR \" sessions\"}'"
        measure_shell "baseline: per master --scan | GETs | count" "" "$baseline"
    fi
    rows[-1]+="$(cat "$work/out")"
    floor users
    rows[-1]+="$(floor_note)"
    if [[ ${#ports[@]} -gt 1 ]]; then
        floor users slots
        rows[-1]+="$(floor_note)"
    fi

    measure "sessiondesk-cli destroy-all" "" "${sd[@]}" destroy-all --confirm "$target"
    rows[-1]+="$(json_field destroyed <"$work/out") destroyed; left $(count 'sess:*')"

    fill plain
    measure "sessiondesk-cli destroy-all --report FILE" "" "${sd[@]}" destroy-all --confirm "$target" --report "$work/report.jsonl"
    rows[-1]+="$(json_field destroyed <"$work/out") destroyed, $(($(wc -l <"$work/report.jsonl") - 2)) report lines; left $(count 'sess:*')"

    fill plain
    if [[ ${#ports[@]} -eq 1 ]]; then
        baseline="redis-cli -p ${ports[0]} --scan --pattern 'sess:*' | xargs -n 1000 redis-cli -p ${ports[0]} unlink >/dev/null"
        measure_shell "baseline: --scan | xargs -n 1000 unlink" "" "$baseline"
    else
        baseline="for p in ${ports[*]}; do redis-cli -p \$p --scan --pattern 'sess:*' \
            | awk '{printf \"*2\\r\\n\$6\\r\\nUNLINK\\r\\n\$%d\\r\\n%s\\r\\n\", length(\$0), \$0}' \
            | redis-cli -p \$p --pipe >/dev/null & done; wait"
        measure_shell "baseline: per master --scan | UNLINK --pipe" "" "$baseline"
    fi
    rows[-1]+="left $(count 'sess:*')"

    fill plain
    floor destroy
    rows[-1]+="$(floor_note); left $(count 'sess:*')"
    if [[ ${#ports[@]} -gt 1 ]]; then
        fill plain
        floor destroy slots
        rows[-1]+="$(floor_note); left $(count 'sess:*')"
    fi

    fill index
    local t0
    t0=$(date +%s.%N)
    "$ops" --store "$url" --user-index 'user-sessions:{user}' logout-users "$logouts" "$users" >"$work/out"
    row "logout-user, index, in process" "$(elapsed "$t0")" - - "$(cat "$work/out")"

    fill index
    measure "sessiondesk-cli destroy-all --user-index" "" "${sdi[@]}" destroy-all --confirm "$target"
    rows[-1]+="$(json_field destroyed <"$work/out") destroyed + $(json_field index_keys <"$work/out") index keys; left $(count 'sess:*') + $(count 'user-sessions:*')"

    for port in "${ports[@]}"; do rcli "$port" flushall >/dev/null; done
    rm -f "$work"/*.resp
}

main() {
    [[ -x $cli ]] || die "no CLI at $cli (cmake --build $build --target sessiondesk-cli)"
    [[ -x $ops ]] || die "no $ops (cmake --build $build --target bench_redis_ops)"
    [[ -x $floor_tool ]] || die "no $floor_tool (cmake --build $build --target bench_redis_floor)"
    command -v /usr/bin/time >/dev/null || die "/usr/bin/time is missing"
    [[ -d tests/e2e/node_modules/redis ]] || die "tests/e2e/node_modules is missing (npm ci --prefix tests/e2e)"
    work=$(mktemp -d "${TMPDIR:-/tmp}/sessiondesk-bench-scale.XXXXXX")
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    local start_load
    start_load=$(load)
    for topology in $topologies; do
        run_topology
    done
    printf '\n%s sessions for %s users, %s cores, %s; load average %s at the start, %s at the end\n' \
        "$sessions" "$users" "$(nproc)" "$(date -u +%Y-%m-%dT%H:%MZ)" "$start_load" "$(load)"
    printf '%-11s %-44s %8s %10s %9s  %-40s %s\n' topology what "wall s" "srv cmd/cpu" "RSS KiB" "largest SLOWLOG" notes
    printf '%s\n' "${rows[@]}"
}

main
