#!/usr/bin/env bash
# The whole test suite: install what is missing, build, check formatting, run every test.
# Usage: scripts/run-tests.sh [extra ctest arguments, e.g. -L unit]
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export CI=${CI:-}
export QT_QPA_PLATFORM=offscreen

step() { printf '\n== %s\n' "$*"; }

step "dependencies"
bash scripts/install-deps.sh

step "configure"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

step "build"
cmake --build build -j2

step "format"
bash scripts/check-format.sh

step "tests"
ctest --test-dir build --output-on-failure -j2 "$@"
