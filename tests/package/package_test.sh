#!/usr/bin/env bash
# The Debian package, for real: builds it with CPack from the build tree, installs it with apt-get
# (as root, or through password-less sudo), runs both programs from /usr/bin, checks the files
# it installed (desktop entry, AppStream metainfo, icons, man pages, bash completion, policy
# presets, copyright and changelogs), then purges it and checks that nothing is left behind.
#
# Usage: package_test.sh BUILD_DIR SOURCE_DIR VERSION APP_ID
# Exit codes: 0 pass, 1 fail, 77 skip (no root and no password-less sudo, outside CI only: under
# CI=true that is a failure). Other tests may run meanwhile: they use the build tree's programs,
# never /usr/bin, and apt waits for its lock instead of failing.
set -euo pipefail

build_dir=$1
source_dir=$2
version=$3
app_id=$4

failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
die() {
    echo "FAIL: $*"
    exit 1
}
cannot_install() {
    if [[ ${CI:-} == true ]]; then
        die "$* (CI=true: the package must be installed and tested)"
    fi
    echo "SKIP: $*"
    exit 77
}

if [[ $(id -u) -eq 0 ]]; then
    as_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root() { sudo -n "$@"; }
else
    cannot_install "installing a package needs root or password-less sudo"
fi

for tool in cpack dpkg-deb dpkg-query dpkg-parsechangelog apt-get desktop-file-validate \
    appstreamcli groff gzip od flock; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing; run scripts/install-deps.sh"
done

# One run at a time on this machine: the package is installed system-wide.
exec 9>"${TMPDIR:-/tmp}/sessiondesk-package-test.lock"
flock --wait 1200 9 || die "another package test holds the lock for more than 20 minutes"

package_state() { dpkg-query -W -f='${db:Status-Abbrev}' sessiondesk 2>/dev/null || true; }
if [[ -n $(package_state | tr -d ' ') && $(package_state) != "un "* ]]; then
    die "sessiondesk is already installed here ($(package_state)); purge it first: apt-get purge sessiondesk"
fi

work=$(mktemp -d)
installed=0
apt() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600 "$@"
}
cleanup() {
    if [[ $installed -eq 1 ]]; then
        apt purge sessiondesk >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== cpack"
(cd "$build_dir" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || {
    cat "$work/cpack.log"
    die "cpack -G DEB failed"
}
debs=("$work"/sessiondesk_*.deb)
[[ ${#debs[@]} -eq 1 && -f ${debs[0]} ]] || die "cpack made no sessiondesk_*.deb in $work"
deb=${debs[0]}
echo "$(basename "$deb"): $(du -h "$deb" | cut -f1)"

echo "== control fields"
field() { dpkg-deb --field "$deb" "$1"; }
[[ $(field Package) == sessiondesk ]] || fail "Package is '$(field Package)'"
[[ $(field Version) == "$version-1" ]] || fail "Version is '$(field Version)', expected $version-1"
[[ -n $(field Section) && -n $(field Priority) && -n $(field Maintainer) ]] ||
    fail "Section, Priority or Maintainer is missing"
[[ $(field Description | wc -l) -ge 3 ]] || fail "the Description has no long description"
depends=$(field Depends)
echo "Depends: $depends"
# Computed by dpkg-shlibdeps from the binaries, plus libsecret (loaded at run time).
for library in libqt6core6 libqt6widgets6 libqt6network6 libhiredis0.14 libssl3 libqt6keychain1 \
    libsecret-1-0 libc6; do
    grep -Eq "(^|, )$library( |,|$)" <<<"$depends" || fail "Depends lacks $library"
done

echo "== install"
apt install --no-install-recommends "$deb" >"$work/install.log" 2>&1 || {
    cat "$work/install.log"
    die "apt-get install of the package failed"
}
installed=1
[[ $(package_state) == "ii "* ]] || die "dpkg does not list sessiondesk as installed: $(package_state)"
dpkg-query -L sessiondesk >"$work/files.txt"

echo "== programs"
cli_version=$(/usr/bin/sessiondesk-cli --version)
gui_version=$(env -u DISPLAY -u WAYLAND_DISPLAY -u QT_QPA_PLATFORM /usr/bin/sessiondesk --version)
echo "$cli_version"
echo "$gui_version"
[[ $cli_version =~ ^sessiondesk-cli\ $version( |$) ]] || fail "sessiondesk-cli --version: '$cli_version'"
[[ $gui_version =~ ^sessiondesk\ $version( |$) ]] || fail "sessiondesk --version: '$gui_version'"
[[ ${cli_version#sessiondesk-cli } == "${gui_version#sessiondesk }" ]] ||
    fail "the two programs print different versions"
/usr/bin/sessiondesk-cli --list-schemas | grep -qx connect-redis || fail "sessiondesk-cli --list-schemas"
/usr/bin/sessiondesk --help | grep -q -- '--profile NAME' || fail "sessiondesk --help"

echo "== desktop entry and metainfo"
desktop=/usr/share/applications/$app_id.desktop
[[ -f $desktop ]] || fail "$desktop is missing"
if [[ -f $desktop ]]; then
    report=$(desktop-file-validate "$desktop" 2>&1) || fail "desktop-file-validate: $report"
    grep -qi 'error' <<<"$report" && fail "desktop-file-validate: $report"
    grep -qx 'Exec=sessiondesk' "$desktop" || fail "the desktop entry does not run sessiondesk"
    grep -qx 'Icon=sessiondesk' "$desktop" || fail "the desktop entry names another icon"
fi
metainfo=/usr/share/metainfo/$app_id.metainfo.xml
[[ -f $metainfo ]] || fail "$metainfo is missing"
if [[ -f $metainfo ]]; then
    appstreamcli validate --no-net "$metainfo" >"$work/appstream.log" 2>&1 ||
        fail "appstreamcli validate: $(cat "$work/appstream.log")"
    grep -q "<id>$app_id</id>" "$metainfo" || fail "the metainfo id is not $app_id"
    grep -q "<launchable type=\"desktop-id\">$app_id.desktop</launchable>" "$metainfo" ||
        fail "the metainfo does not launch $app_id.desktop"
    grep -q "<release version=\"$version\"" "$metainfo" || fail "the metainfo has no release $version"
fi

echo "== icons"
[[ -f /usr/share/icons/hicolor/scalable/apps/sessiondesk.svg ]] || fail "the SVG icon is missing"
png_size() { # width and height from the PNG's IHDR chunk
    od -An -tu1 -j16 -N8 "$1" | awk '{ print $1*16777216+$2*65536+$3*256+$4 "x" $5*16777216+$6*65536+$7*256+$8 }'
}
for size in 16 22 24 32 48 64 128 256; do
    png=/usr/share/icons/hicolor/${size}x${size}/apps/sessiondesk.png
    if [[ ! -f $png ]]; then
        fail "$png is missing"
    elif [[ $(head -c 8 "$png" | od -An -tx1 | tr -d ' \n') != 89504e470d0a1a0a ]]; then
        fail "$png is not a PNG"
    elif [[ $(png_size "$png") != "${size}x${size}" ]]; then
        fail "$png is $(png_size "$png"), not ${size}x${size}"
    fi
done

echo "== man pages"
for page in sessiondesk sessiondesk-cli; do
    man=/usr/share/man/man1/$page.1.gz
    if [[ ! -f $man ]]; then
        fail "$man is missing"
        continue
    fi
    gzip -t "$man" || fail "$man is not valid gzip"
    zcat "$man" | grep -q "^\.TH ${page^^} 1 .*SessionDesk $version" || fail "$man does not name $page $version"
    warnings=$(zcat "$man" | groff -man -ww -z -Tutf8 2>&1) || fail "groff failed on $man"
    [[ -z $warnings ]] || fail "groff warns about $man: $warnings"
done

echo "== bash completion"
completion=/usr/share/bash-completion/completions/sessiondesk-cli
if [[ -f $completion ]]; then
    offered=$(bash -c 'source "$1"; COMP_WORDS=(sessiondesk-cli --schema ""); COMP_CWORD=2
        PATH=/usr/bin:$PATH _sessiondesk_cli; printf "%s\n" "${COMPREPLY[@]}"' bash "$completion")
    grep -qx connect-redis <<<"$offered" || fail "completing --schema offers: $offered"
    offered=$(bash -c 'source "$1"; COMP_WORDS=(sessiondesk-cli dest); COMP_CWORD=1
        _sessiondesk_cli; printf "%s\n" "${COMPREPLY[@]}"' bash "$completion")
    [[ $offered == destroy-all ]] || fail "completing 'dest' offers: $offered"
else
    fail "$completion is missing"
fi

echo "== policy presets"
presets_dir=/usr/share/sessiondesk/policies
shopt -s nullglob
sources=("$source_dir"/resources/policies/*.json)
installed_presets=("$presets_dir"/*.json)
shopt -u nullglob
for preset in "${sources[@]}"; do
    cmp -s "$preset" "$presets_dir/$(basename "$preset")" || fail "preset $(basename "$preset") is not installed as it is"
done
[[ ${#installed_presets[@]} -eq ${#sources[@]} ]] ||
    fail "${#installed_presets[@]} presets installed, ${#sources[@]} in resources/policies/"
echo "${#sources[@]} presets in resources/policies/, ${#installed_presets[@]} installed"

echo "== copyright and changelogs"
doc=/usr/share/doc/sessiondesk
grep -q '^License: GPL-3.0+' "$doc/copyright" 2>/dev/null || fail "$doc/copyright names no GPL-3.0+"
zcat "$doc/changelog.gz" 2>/dev/null | grep -q "^## $version" || fail "$doc/changelog.gz has no $version entry"
debian_version=$(zcat "$doc/changelog.Debian.gz" 2>/dev/null | dpkg-parsechangelog -l- -S Version 2>/dev/null || true)
[[ $debian_version == "$version-1" ]] || fail "changelog.Debian.gz is at '$debian_version', not $version-1"

echo "== every listed file is there"
while IFS= read -r path; do
    [[ -e $path ]] || fail "dpkg lists $path but it is missing"
done <"$work/files.txt"

echo "== purge"
apt purge sessiondesk >"$work/purge.log" 2>&1 || {
    cat "$work/purge.log"
    die "apt-get purge sessiondesk failed"
}
installed=0
[[ -z $(package_state | tr -d ' ') || $(package_state) == "un "* ]] ||
    fail "after purge dpkg still knows sessiondesk: $(package_state)"
left=0
while IFS= read -r path; do
    # Shared directories (/usr/bin, the icon theme, ...) stay; the package's own files may not.
    if [[ -e $path && ! -d $path ]]; then
        fail "left behind after purge: $path"
        left=$((left + 1))
    fi
done <"$work/files.txt"
for dir in /usr/share/sessiondesk /usr/share/doc/sessiondesk; do
    [[ ! -e $dir ]] || fail "left behind after purge: $dir"
done
echo "$(wc -l <"$work/files.txt") paths installed, $left files left after purge"

if [[ $failures -gt 0 ]]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "package OK"
