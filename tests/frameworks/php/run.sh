#!/usr/bin/env bash
# Starts index.php under PHP's built-in server with sessions in Redis through phpredis.
#   REDIS_URL=redis://127.0.0.1:6379   PORT=0 (a free port is picked)
#   PHP_SERIALIZE_HANDLER=php | php_serialize   (session.serialize_handler; default php)
# Prints "LISTENING <port>" on stdout once the server accepts connections; the server's own
# output goes to stderr. SIGTERM/SIGINT stop the server.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
redis_url=${REDIS_URL:-redis://127.0.0.1:6379}
handler=${PHP_SERIALIZE_HANDLER:-php}
port=${PORT:-0}

case $handler in
php | php_serialize) ;;
*)
    echo "run.sh: PHP_SERIALIZE_HANDLER must be php or php_serialize, not $handler" >&2
    exit 2
    ;;
esac
if [[ ! $redis_url =~ ^redis://([^/@]+)(/([0-9]+))?/?$ ]]; then
    echo "run.sh: REDIS_URL must look like redis://HOST:PORT[/DB], not $redis_url" >&2
    exit 2
fi
save_path="tcp://${BASH_REMATCH[1]}?database=${BASH_REMATCH[3]:-0}"

if [[ $port == 0 ]]; then
    # The built-in server cannot report a kernel-chosen port; take one that is free now (a
    # caller that loses the race sees the server exit and tries again).
    # shellcheck disable=SC2016 # PHP code, not shell expansions
    port=$(php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); $n = stream_socket_get_name($s, false);
                   echo substr($n, strrpos($n, ":") + 1);')
fi

php -S "127.0.0.1:$port" \
    -d session.save_handler=redis \
    -d "session.save_path=\"$save_path\"" \
    -d "session.serialize_handler=$handler" \
    -d session.use_strict_mode=1 \
    -d session.cookie_httponly=1 \
    -d session.cookie_samesite=Lax \
    "$here/index.php" \
    2> >(while IFS= read -r line; do
        printf '%s\n' "$line" >&2
        [[ $line == *"Development Server (http://127.0.0.1:$port) started"* ]] && printf 'LISTENING %s\n' "$port"
    done) </dev/null &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true' TERM INT
status=0
wait "$server" || status=$?
# A trapped signal interrupts the first wait; wait again for the server itself.
if kill -0 "$server" 2>/dev/null; then wait "$server" || status=$?; fi
exit "$status"
