#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png: builds SessionDesk, fills a throwaway redis-server with
# the demo sessions and renders the main screens under Xvfb.
# Usage: scripts/screenshots.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/throwaway-redis.sh
source scripts/lib/throwaway-redis.sh

bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target sessiondesk-screenshots

trap stop_throwaway_redis EXIT
start_throwaway_redis
node scripts/demo-fill.mjs "redis://127.0.0.1:$REDIS_PORT"
xvfb-run -a -s "-screen 0 1600x1000x24" \
    build/tests/sessiondesk-screenshots --store "redis://127.0.0.1:$REDIS_PORT" \
    --user-index 'user-sessions:{user}' --out docs/screenshots
