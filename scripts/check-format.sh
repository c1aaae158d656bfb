#!/usr/bin/env bash
# Fails when clang-format (with the repository's .clang-format) would change any C++ file
# that git tracks or would track (untracked but not ignored).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

clang_format=${CLANG_FORMAT:-clang-format}

list_sources() {
    {
        git ls-files -- '*.cpp' '*.h'
        git ls-files --others --exclude-standard -- '*.cpp' '*.h'
    } | sort -u
}

mapfile -t files < <(list_sources)
if [[ ${#files[@]} -eq 0 ]]; then
    echo "check-format: no C++ files to check"
    exit 0
fi

offending=()
for file in "${files[@]}"; do
    [[ -f $file ]] || continue # deleted in the work tree but still in the index
    if ! "$clang_format" --style=file --dry-run --Werror "$file" >/dev/null 2>&1; then
        offending+=("$file")
    fi
done

if [[ ${#offending[@]} -gt 0 ]]; then
    echo "check-format: clang-format would change ${#offending[@]} file(s):" >&2
    printf '  %s\n' "${offending[@]}" >&2
    echo "fix with: $clang_format -i ${offending[*]}" >&2
    exit 1
fi
echo "check-format: ${#files[@]} file(s) formatted"
