#!/usr/bin/env bash
# Fuzzes the value decoders with libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   (default: 60 s, every target)
# Configures build-fuzz/ with clang++-16 and -DSESSIONDESK_FUZZ=ON, builds the targets
# (tests/fuzz/fuzz_*.cpp), runs each in turn, prints its executions and findings, and exits 1
# when any target found a crash, hang, leak or out-of-memory input (kept under
# build-fuzz/findings/<run>/<target>/; see tests/fuzz/README.md for what to do with one).
# Not part of scripts/run-tests.sh: it is too slow for CI.
# Environment: FUZZ_MAX_LEN (default 8192), FUZZ_JOBS (build jobs, default 2), CXX_FUZZ
# (default clang++-16).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-60}
if ! [[ $seconds =~ ^[0-9]+$ ]] || [[ $seconds -eq 0 ]]; then
    echo "fuzz.sh: SECONDS_PER_TARGET must be a positive whole number, not \"$seconds\"." >&2
    exit 2
fi
shift || true
compiler=${CXX_FUZZ:-clang++-16}
max_len=${FUZZ_MAX_LEN:-8192}
jobs=${FUZZ_JOBS:-2}

if ! command -v "$compiler" >/dev/null; then
    echo "fuzz.sh: $compiler is missing; install Debian's clang-16 and libclang-rt-16-dev." >&2
    exit 1
fi

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    for source in tests/fuzz/fuzz_*.cpp; do
        targets+=("$(basename "$source" .cpp)")
    done
fi

cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="$compiler" -DSESSIONDESK_FUZZ=ON -DSESSIONDESK_BUILD_TESTS=OFF \
    >/dev/null
cmake --build build-fuzz -j"$jobs" --target "${targets[@]}"

run_dir=build-fuzz/findings/$(date +%Y%m%d-%H%M%S)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Stack traces with function names when a symbolizer is installed (any LLVM version will do).
for symbolizer in llvm-symbolizer-16 llvm-symbolizer llvm-symbolizer-14; do
    if command -v "$symbolizer" >/dev/null; then
        export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v "$symbolizer")}
        break
    fi
done
summary=()
failed=0
for target in "${targets[@]}"; do
    name=${target#fuzz_}
    binary=build-fuzz/tests/fuzz/$target
    seeds=tests/fuzz/corpus/$name
    work=build-fuzz/corpus/$name # what the fuzzer learns, kept between runs
    findings=$run_dir/$name
    mkdir -p "$work" "$findings"
    [[ -d $seeds ]] || seeds=
    log=$findings/fuzz.log
    echo "== $target: $seconds s"
    status=0
    "$binary" -max_total_time="$seconds" -max_len="$max_len" -timeout=5 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$findings/" "$work" ${seeds:+"$seeds"} \
        >"$log" 2>&1 || status=$?
    executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' \
        || echo "?")
    found=$(find "$findings" -maxdepth 1 -type f \
        \( -name 'crash-*' -o -name 'timeout-*' -o -name 'leak-*' -o -name 'oom-*' \) | wc -l)
    if [[ $status -ne 0 && $found -eq 0 ]]; then
        found=1 # the fuzzer failed without an artifact (e.g. a crash while loading seeds)
    fi
    line="$target: $executions executions in $seconds s, $found finding(s)"
    if [[ $found -gt 0 ]]; then
        failed=1
        line+=" — see $findings (log: $log)"
        grep -m1 -E 'ERROR: |runtime error:|SUMMARY:' "$log" | sed 's/^/    /' || true
    fi
    echo "$line"
    summary+=("$line")
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $failed
