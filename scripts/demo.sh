#!/usr/bin/env bash
# The main job, on throwaway stores: installs what is missing, builds SessionDesk, starts a
# local redis-server and a local dynalite (DynamoDB-compatible, in memory) on free 127.0.0.1
# ports, fills them with demo sessions written by real express-session apps (connect-redis,
# connect-dynamodb), fills more databases of the redis-server with the sessions of Rails, PHP,
# Flask, Django and Spring Session (scripts/demo-fill-frameworks.mjs: the real apps of
# tests/frameworks/ where they are installed, else sessions recorded from them), then opens the
# GUI with every store in its connection list (when build/app/sessiondesk was built and there is
# a display) or else takes a short CLI tour.
# Usage: scripts/demo.sh [--cli]     --cli: take the CLI tour even when the GUI exists
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo_root=$PWD
# shellcheck source=scripts/lib/throwaway-redis.sh
source scripts/lib/throwaway-redis.sh
# shellcheck source=scripts/lib/throwaway-dynalite.sh
source scripts/lib/throwaway-dynalite.sh

cli="$repo_root/build/app/sessiondesk-cli"
gui="$repo_root/build/app/sessiondesk"
user_index='user-sessions:{user}'
dynamo_table=account-sessions
dynamo_region=eu-west-2
aws_env_hint="AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=$dynamo_region"
DEMO_DIR=''
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

# Rails, PHP, Flask, Django and Spring Session in databases 1-5 (see demo-fill-frameworks.mjs).
fill_frameworks() {
    step "sessions of other frameworks"
    node scripts/demo-fill-frameworks.mjs "$STORE_URL"
}

fill_dynamodb() {
    step "demo sessions in DynamoDB"
    node scripts/demo-fill-dynamodb.mjs "$DYNAMO_ENDPOINT" "$dynamo_table"
}

# dynalite takes any credentials; dummy ones keep real ones (and AWS_PROFILE) out of the demo.
use_demo_aws_env() {
    unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN
    export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=$dynamo_region
}

# Runs the CLI against the demo store, echoing the command first.
run_cli() {
    printf '\n$ sessiondesk-cli %s\n' "$*"
    "$cli" --store "$STORE_URL" --user-index "$user_index" "$@"
}

# The same against another database of the demo redis-server, layout detected.
run_cli_db() {
    local db=$1
    shift
    printf '\n$ sessiondesk-cli --store %s %s\n' "$STORE_URL/$db" "$*"
    "$cli" --store "$STORE_URL/$db" "$@"
}

# The same against the demo DynamoDB table.
run_cli_dynamo() {
    printf "\n\$ sessiondesk-cli --store '%s' %s\n" "$DYNAMO_URL" "$*"
    "$cli" --store "$DYNAMO_URL" "$@"
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
    # The layout of the other databases is detected (the first line on stderr says which).
    run_cli_db 1 users
    run_cli_db 5 sessions --user alice@example.com
    run_cli_dynamo info
    run_cli_dynamo users --limit 5
}

# Both demo stores as saved connections (the INI layout storage/connectionprofile.cpp reads).
write_settings() {
    cat >"$DEMO_DIR/sessiondesk.ini" <<EOF
[profiles]
1\\name=demo Redis
1\\url="$STORE_URL/0"
1\\schema=connect-redis
1\\userIndex="$user_index"
2\\name=demo DynamoDB
2\\url="$DYNAMO_URL"
2\\schema=dynamodb-gds
3\\name=demo Rails (db 1)
3\\url="$STORE_URL/1"
3\\schema=auto
4\\name=demo PHP (db 2)
4\\url="$STORE_URL/2"
4\\schema=auto
5\\name=demo Flask (db 3)
5\\url="$STORE_URL/3"
5\\schema=auto
6\\name=demo Django (db 4)
6\\url="$STORE_URL/4"
6\\schema=auto
7\\name=demo Spring Session (db 5)
7\\url="$STORE_URL/5"
7\\schema=auto
size=7
EOF
}

have_display() { [[ -n ${DISPLAY:-} || -n ${WAYLAND_DISPLAY:-} ]]; }

open_gui() {
    step "GUI"
    write_settings
    echo "opening SessionDesk on $STORE_URL (\"demo Redis\"); double-click \"demo DynamoDB\" in"
    echo "the connection list for the DynamoDB table, or one of the other frameworks' databases"
    echo "(their layout is detected; the status bar says which). The demo stores live until you"
    echo "close the window. Meanwhile the CLI works on them too, e.g.:"
    echo "  $cli --store $STORE_URL --user-index '$user_index' users"
    echo "  $aws_env_hint $cli --store '$DYNAMO_URL' users"
    # --profile, not --store: an ad-hoc --store would list a third, unsaved connection.
    "$gui" --settings "$DEMO_DIR/sessiondesk.ini" --profile 'demo Redis' ||
        echo "sessiondesk exited with status $?"
}

how_to_continue() {
    step "go on by hand"
    cat <<EOF
While the demo stores run, try for example (in another terminal), on Redis:

  $cli --store $STORE_URL --user-index '$user_index' users
  $cli --store $STORE_URL --user-index '$user_index' sessions --user USER
  $cli --store $STORE_URL --user-index '$user_index' show --reveal -- ID
  $cli --store $STORE_URL --user-index '$user_index' logout-user USER
  $cli --store $STORE_URL --user-index '$user_index' destroy-all --dry-run

on the other frameworks' databases (1 Rails, 2 PHP, 3 Flask, 4 Django, 5 Spring Session):

  $cli --store $STORE_URL/1 users
  $cli --store $STORE_URL/5 show 'SESSION=<cookie>'

and on the DynamoDB table (dynalite takes any credentials):

  export $aws_env_hint
  $cli --store '$DYNAMO_URL' users
  $cli --store '$DYNAMO_URL' sessions --user USER
  $cli --store '$DYNAMO_URL' show --reveal -- ID

  $cli --help     lists every command and option
EOF
    if [[ -t 0 ]]; then
        read -r -p "Press Enter to stop the demo stores... " _ || true
    else
        echo "(no terminal on standard input, so the demo stores stop now; run scripts/demo.sh"
        echo " in a terminal to keep them until you press Enter)"
    fi
}

cleanup() {
    stop_throwaway_redis
    stop_throwaway_dynalite
    if [[ -n $DEMO_DIR && -d $DEMO_DIR ]]; then
        rm -rf -- "$DEMO_DIR"
    fi
    DEMO_DIR=''
}

main() {
    build
    [[ -x $cli ]] || { echo "the build did not produce $cli" >&2; exit 1; }

    step "throwaway redis-server"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    DEMO_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sessiondesk-demo.XXXXXX")
    # What the demo does is audited in a log of its own, not in your real one.
    export SESSIONDESK_AUDIT_LOG="$DEMO_DIR/audit.log"
    start_throwaway_redis
    STORE_URL="redis://127.0.0.1:$REDIS_PORT"
    echo "listening on 127.0.0.1:$REDIS_PORT (data in $REDIS_DIR, not persisted)"

    fill "$STORE_URL"
    fill_frameworks

    step "throwaway DynamoDB (dynalite)"
    use_demo_aws_env
    start_throwaway_dynalite
    DYNAMO_ENDPOINT="http://127.0.0.1:$DYNALITE_PORT"
    DYNAMO_URL="dynamodb://$dynamo_table?endpoint=$DYNAMO_ENDPOINT&region=$dynamo_region"
    echo "listening on 127.0.0.1:$DYNALITE_PORT (in memory, not persisted)"

    fill_dynamodb

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
