#!/usr/bin/env bash
# Installs what SessionDesk needs to build, test and run its demo on Debian 12.
# Idempotent: when everything is present it touches neither apt nor npm.
# Works non-interactively (CI=true, no stdin); uses sudo when not run as root.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

apt_packages=(
    build-essential cmake ninja-build pkg-config git ca-certificates
    qt6-base-dev qt6-base-dev-tools qt6-svg-dev qt6-qpa-plugins
    libhiredis-dev libssl-dev openssl zlib1g-dev
    qtkeychain-qt6-dev libsecret-1-0
    redis-server redis-tools
    clang-format
    xvfb xauth
    time
    # Real frameworks writing sessions to Redis (tests/frameworks/): Rails/Rack, PHP, Flask, Django
    ruby-redis-rack ruby-redis-actionpack ruby-warden ruby-webrick
    php-cli php-redis
    python3-flask python3-flask-session python3-flask-login
    python3-django python3-django-redis-sessions python3-django-redis
    # the keychain tests: a private D-Bus session with GNOME Keyring's secret service
    dbus-daemon gnome-keyring
    # packaging: PNG icons, dependencies from the binaries, and the package test's validators
    librsvg2-bin dpkg-dev desktop-file-utils appstream groff-base binutils
)

log() { printf 'install-deps: %s\n' "$*" >&2; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then
        "$@"
    else
        sudo --non-interactive "$@"
    fi
}

is_installed() {
    # dpkg -s succeeds for removed-but-configured packages too; check the status line.
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing_apt_packages() {
    local pkg
    for pkg in "${apt_packages[@]}"; do
        is_installed "$pkg" || printf '%s\n' "$pkg"
    done
    # Node.js may come from elsewhere (e.g. NodeSource, which ships npm inside `nodejs`):
    # only fall back to Debian's packages when the commands themselves are missing.
    command -v node >/dev/null 2>&1 || printf '%s\n' nodejs
    command -v npm >/dev/null 2>&1 || printf '%s\n' npm
}

install_apt_packages() {
    local missing
    mapfile -t missing < <(missing_apt_packages)
    if [[ ${#missing[@]} -eq 0 ]]; then
        log "all apt packages present"
        return
    fi
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -q </dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" </dev/null
}

install_npm_packages() {
    local dir="$repo_root/tests/e2e"
    local lock="$dir/package-lock.json"
    [[ -f $lock ]] || return 0
    if [[ -d $dir/node_modules && ! $lock -nt $dir/node_modules ]]; then
        log "tests/e2e/node_modules is up to date"
        return
    fi
    log "npm ci in tests/e2e"
    (cd "$dir" && npm ci --no-audit --no-fund </dev/null)
    # npm ci recreates node_modules, but make its time stamp newer than the lock regardless.
    touch "$dir/node_modules"
}

install_apt_packages
install_npm_packages
