#!/usr/bin/env bash
# The main job, on a throwaway store: installs what is missing, builds SessionDesk, starts a
# local redis-server on a free 127.0.0.1 port (no persistence), fills it with demo sessions
# written by a real express-session + connect-redis app, then opens the GUI on it (when
# build/app/sessiondesk was built and there is a display) or else takes a short CLI tour.
# Usage: scripts/demo.sh [--cli]     --cli: take the CLI tour even when the GUI exists
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root=$PWD
# shellcheck source=scripts/lib/throwaway-redis.sh
source scripts/lib/throwaway-redis.sh

cli="$repo_root/build/app/sessiondesk-cli"
gui="$repo_root/build/app/sessiondesk"
user_index='user-sessions:{user}'
force_cli=false
[[ ${1:-} == --cli ]] && force_cli=true

step() { printf '\n== %s\n' "$*"; }

build() {
    step "dependencies"
    bash scripts/install-deps.sh
    step "build"
    cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build -j2
}

fill() {
    local url=$1
    step "demo sessions"
    if [[ -f scripts/demo-fill.mjs ]]; then
        node scripts/demo-fill.mjs "$url"
    else
        echo "scripts/demo-fill.mjs is not there yet: the store stays empty."
    fi
}

# Runs the CLI against the demo store, echoing the command first.
run_cli() {
    printf '\n$ sessiondesk-cli %s\n' "$*"
    "$cli" --store "$STORE_URL" --user-index "$user_index" "$@"
}

# Prints a field of the first element of the JSON array on stdin ('' when the array is empty).
first_field() {
    node -e '
        let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
            let a;
            try { a = JSON.parse(s); } catch (e) {
                console.error("demo: the CLI did not print JSON: " + e.message);
                process.exit(1);
            }
            process.stdout.write(a.length ? String(a[0][process.argv[1]]) : "");
        });' "$1"
}

tour() {
    local user id
    step "CLI tour"
    run_cli info
    run_cli users --limit 10
    user=$("$cli" --store "$STORE_URL" --user-index "$user_index" --json users --limit 1 \
        | first_field user)
    if [[ -z $user ]]; then
        echo "(no users in the store, so no sessions to show)"
        return
    fi
    run_cli sessions --user "$user"
    id=$("$cli" --store "$STORE_URL" --user-index "$user_index" --json sessions --user "$user" \
        --limit 1 | first_field id)
    if [[ -n $id ]]; then
        run_cli show -- "$id" # "--": session ids may start with "-"
    fi
}

have_display() { [[ -n ${DISPLAY:-} || -n ${WAYLAND_DISPLAY:-} ]]; }

open_gui() {
    step "GUI"
    echo "opening SessionDesk on $STORE_URL; the demo store lives until you close the window."
    echo "Meanwhile the CLI works on it too, e.g.:"
    echo "  $cli --store $STORE_URL --user-index '$user_index' users"
    "$gui" --store "$STORE_URL" --user-index "$user_index" || echo "sessiondesk exited with status $?"
}

how_to_continue() {
    step "go on by hand"
    cat <<EOF
While the demo store runs, try for example (in another terminal):

  $cli --store $STORE_URL --user-index '$user_index' users
  $cli --store $STORE_URL --user-index '$user_index' sessions --user USER
  $cli --store $STORE_URL --user-index '$user_index' show --reveal -- ID
  $cli --store $STORE_URL --user-index '$user_index' logout-user USER
  $cli --store $STORE_URL --user-index '$user_index' destroy-all --dry-run

  $cli --help     lists every command and option
EOF
    if [[ -t 0 ]]; then
        read -r -p "Press Enter to stop the demo store... " _ || true
    else
        echo "(no terminal on standard input, so the demo store stops now; run scripts/demo.sh"
        echo " in a terminal to keep it until you press Enter)"
    fi
}

main() {
    build
    [[ -x $cli ]] || { echo "the build did not produce $cli" >&2; exit 1; }

    step "throwaway redis-server"
    trap stop_throwaway_redis EXIT
    trap 'exit 130' INT TERM
    start_throwaway_redis
    STORE_URL="redis://127.0.0.1:$REDIS_PORT"
    echo "listening on 127.0.0.1:$REDIS_PORT (data in $REDIS_DIR, not persisted)"

    fill "$STORE_URL"

    if [[ -x $gui ]] && ! $force_cli && have_display; then
        open_gui
    else
        if [[ -x $gui ]] && ! $force_cli; then
            echo "(sessiondesk is built but there is no display: CLI tour instead)"
        fi
        tour
        how_to_continue
    fi
}

main
