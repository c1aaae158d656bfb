# shellcheck shell=bash disable=SC2034
# Sourced by scripts/demo.sh: a throwaway dynalite (a DynamoDB-compatible server, in memory)
# on a free 127.0.0.1 port picked by the kernel, run by `tests/bench/dynamodb_fill.mjs serve`
# with the dynalite from tests/e2e/node_modules (npm ci --prefix tests/e2e).
#   start_throwaway_dynalite   sets DYNALITE_PORT, DYNALITE_PID, DYNALITE_DIR; returns 1 if it could not
#   stop_throwaway_dynalite    stops it and removes its directory (safe to call twice)
# Expects the current directory to be the repository's root.

DYNALITE_PORT=''
DYNALITE_PID=''
DYNALITE_DIR=''

# Starts dynalite and waits (up to ~15 s) until it prints the port it listens on.
start_throwaway_dynalite() {
    local tries line
    command -v node >/dev/null || { echo "node is not installed" >&2; return 1; }
    [[ -f tests/e2e/node_modules/dynalite/package.json ]] ||
        { echo "dynalite is missing; run: npm ci --prefix tests/e2e" >&2; return 1; }
    DYNALITE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sessiondesk-dynalite.XXXXXX")
    node tests/bench/dynamodb_fill.mjs serve 0 >"$DYNALITE_DIR/dynalite.log" 2>&1 </dev/null &
    DYNALITE_PID=$!
    for ((tries = 0; tries < 150; tries++)); do
        line=$(grep -m1 '^Listening at http://127\.0\.0\.1:[0-9]*$' "$DYNALITE_DIR/dynalite.log" || true)
        if [[ -n $line ]]; then
            DYNALITE_PORT=${line##*:}
            return 0
        fi
        kill -0 "$DYNALITE_PID" 2>/dev/null || break # exited
        sleep 0.1
    done
    echo "could not start dynalite on 127.0.0.1; its output:" >&2
    cat "$DYNALITE_DIR/dynalite.log" >&2 2>/dev/null || true
    stop_throwaway_dynalite
    return 1
}

stop_throwaway_dynalite() {
    if [[ -n $DYNALITE_PID ]]; then
        kill "$DYNALITE_PID" 2>/dev/null || true
        wait "$DYNALITE_PID" 2>/dev/null || true
        DYNALITE_PID=''
    fi
    if [[ -n $DYNALITE_DIR && -d $DYNALITE_DIR ]]; then
        rm -rf -- "$DYNALITE_DIR"
    fi
    DYNALITE_DIR=''
    DYNALITE_PORT=''
}
