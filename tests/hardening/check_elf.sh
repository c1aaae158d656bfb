#!/usr/bin/env bash
# Checks the hardening of the built programs with readelf (binutils):
#   PIE (ELF type DYN with the PIE flag), full RELRO (a GNU_RELRO segment and BIND_NOW), the
#   stack protector (__stack_chk_fail), and outside Debug builds FORTIFY: every compile command
#   has -D_FORTIFY_SOURCE=2 with optimisation, and the programs call fortified __*_chk functions
#   (a program whose calls all have unknown sizes, as sessiondesk-cli's, may have none itself).
# Usage: check_elf.sh CONFIG COMPILE_COMMANDS_JSON BINARY...
set -euo pipefail

config=$1
compile_commands=$2
shift 2
command -v readelf >/dev/null || { echo "FAIL: readelf is missing (Debian: binutils)"; exit 1; }
failed=0
fail() {
    echo "FAIL: $*"
    failed=1
}

all_fortified=""
for binary in "$@"; do
    name=$(basename "$binary")
    header=$(readelf --file-header --wide "$binary")
    dynamic=$(readelf --dynamic --wide "$binary")
    segments=$(readelf --program-headers --wide "$binary")
    symbols=$(readelf --dyn-syms --wide "$binary")

    grep -Eq 'Type:[[:space:]]+DYN' <<<"$header" || fail "$name is not position-independent (ELF type is not DYN)"
    grep -Eq 'FLAGS_1.*PIE' <<<"$dynamic" || fail "$name has no PIE flag in its dynamic section"
    grep -q 'GNU_RELRO' <<<"$segments" || fail "$name has no GNU_RELRO segment (no RELRO)"
    grep -Eq '\(FLAGS\).*BIND_NOW|FLAGS_1.*NOW' <<<"$dynamic" || fail "$name is not linked with -z now (no BIND_NOW)"
    grep -q '__stack_chk_fail' <<<"$symbols" || fail "$name calls no __stack_chk_fail (no stack protector)"
    fortified=$(grep -oE '__[a-z0-9_]+_chk' <<<"$symbols" | grep -v '__stack_chk' | sort -u | tr '\n' ' ' || true)
    all_fortified+=$fortified
    echo "$name: PIE, full RELRO, stack protector; fortified calls: ${fortified:-none}"
done

if [[ $config != Debug ]]; then
    total=$(grep -c '"command"' "$compile_commands" || true)
    fortify=$(grep '"command"' "$compile_commands" | grep -c -- '-D_FORTIFY_SOURCE=2' || true)
    optimised=$(grep '"command"' "$compile_commands" | grep -cE -- ' -O[123s]' || true)
    [[ $total -gt 0 ]] || fail "no compile commands in $compile_commands"
    [[ $fortify -eq $total ]] || fail "$((total - fortify)) of $total compile commands lack -D_FORTIFY_SOURCE=2"
    [[ $optimised -eq $total ]] || fail "$((total - optimised)) of $total compile commands are not optimised (FORTIFY needs -O1 or more)"
    [[ -n $all_fortified ]] || fail "no program calls a fortified __*_chk function"
    echo "FORTIFY: -D_FORTIFY_SOURCE=2 in all $total compile commands"
fi
exit $failed
