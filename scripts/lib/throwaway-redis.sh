# shellcheck shell=bash disable=SC2034
# Sourced by scripts/demo.sh and tests/bench/bench_redis.sh: a throwaway redis-server on a
# free 127.0.0.1 port, in a temporary directory, with no persistence.
#   start_throwaway_redis      sets REDIS_PORT, REDIS_PID, REDIS_DIR; returns 1 if it could not
#   stop_throwaway_redis       stops it and removes its directory (safe to call twice)

REDIS_PORT=''
REDIS_PID=''
REDIS_DIR=''

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

redis_answers_ping() {
    [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]
}

# Starts redis-server on one port and waits (up to ~10 s) until it answers PING.
try_redis_on_port() {
    local port=$1 tries
    redis-server --bind 127.0.0.1 --port "$port" --dir "$REDIS_DIR" \
        --save '' --appendonly no --daemonize no \
        --logfile "$REDIS_DIR/redis.log" </dev/null &
    REDIS_PID=$!
    for ((tries = 0; tries < 100; tries++)); do
        if redis_answers_ping "$port"; then
            REDIS_PORT=$port
            return 0
        fi
        kill -0 "$REDIS_PID" 2>/dev/null || break # exited: port taken meanwhile, or worse
        sleep 0.1
    done
    kill "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=''
    return 1
}

start_throwaway_redis() {
    local attempt port
    command -v redis-server >/dev/null || { echo "redis-server is not installed" >&2; return 1; }
    REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sessiondesk-redis.XXXXXX")
    for ((attempt = 0; attempt < 20; attempt++)); do
        port=$((20000 + RANDOM % 30000))
        port_in_use "$port" && continue
        try_redis_on_port "$port" && return 0
    done
    echo "could not start redis-server on a free 127.0.0.1 port; its log:" >&2
    cat "$REDIS_DIR/redis.log" >&2 2>/dev/null || true
    return 1
}

stop_throwaway_redis() {
    if [[ -n $REDIS_PID ]]; then
        kill "$REDIS_PID" 2>/dev/null || true
        wait "$REDIS_PID" 2>/dev/null || true
        REDIS_PID=''
    fi
    if [[ -n $REDIS_DIR && -d $REDIS_DIR ]]; then
        rm -rf -- "$REDIS_DIR"
    fi
    REDIS_DIR=''
}
