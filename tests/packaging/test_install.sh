#!/usr/bin/env bash
# Packaging check (ctest packaging.install): `cmake --install` into a temp
# DESTDIR puts the programs, man pages and systemd unit in place; the man
# pages lint clean (mandoc, else groff); every long option `btcpeerd --help`
# lists is in docs/btcpeerd.1 and every option `btcpeerd-cli -help` lists is
# in docs/btcpeerd-cli.1, so the pages cannot drift; the unit passes
# `systemd-analyze verify` (works without a running systemd) and keeps its
# hardening. A missing linter is a SKIP line, and the script then exits 77
# (ctest's SKIP_RETURN_CODE) so the run reports a skip, not a pass.
# Usage: test_install.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
build=$2
dest=$(mktemp -d /tmp/btcpeerd-test-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
fail=0
skipped=0
err() { echo "FAIL: $*"; fail=1; }
skip() { echo "SKIP $*"; skipped=1; }

echo "== cmake --install into $dest =="
DESTDIR="$dest" cmake --install "$build" --prefix /usr >"$dest.log" 2>&1 || { cat "$dest.log"; rm -f "$dest.log"; exit 1; }
rm -f "$dest.log"
for f in usr/bin/btcpeerd usr/bin/btcpeerd-cli; do
    [[ -x "$dest/$f" ]] || err "$f not installed (or not executable)"
done
man1="$dest/usr/share/man/man1"
unit="$dest/usr/lib/systemd/system/btcpeerd.service"
for f in "$man1/btcpeerd.1" "$man1/btcpeerd-cli.1" "$unit"; do
    [[ -s "$f" ]] || err "${f#"$dest"} not installed"
done
[[ $fail -eq 0 ]] || exit 1
grep -q '^ExecStart=/usr/bin/btcpeerd ' "$unit" || err "ExecStart is not the installed /usr/bin/btcpeerd"

echo "== man pages lint clean =="
for page in "$man1/btcpeerd.1" "$man1/btcpeerd-cli.1"; do
    if command -v mandoc >/dev/null 2>&1; then
        out=$(mandoc -T lint -W warning "$page" 2>&1) || true
        [[ -z "$out" ]] || err "mandoc -T lint $(basename "$page"):"$'\n'"$out"
    elif command -v groff >/dev/null 2>&1; then
        out=$(groff -man -ww -z "$page" 2>&1) || true
        [[ -z "$out" ]] || err "groff -ww $(basename "$page"):"$'\n'"$out"
    else
        skip "man page lint: neither mandoc nor groff installed"
    fi
done

echo "== every flag in --help is in the man page =="
# The pages write dashes as \- ; compare with plain dashes.
page_text=$(sed 's/\\-/-/g' "$src/docs/btcpeerd.1")
flags=$("$dest/usr/bin/btcpeerd" --help | grep -oE '^ +--[a-z0-9-]+' | tr -d ' ')
[[ $(wc -l <<<"$flags") -ge 30 ]] || err "btcpeerd --help lists too few flags: $flags"
for flag in $flags; do
    grep -qE -- "${flag}([^a-z0-9-]|$)" <<<"$page_text" || err "docs/btcpeerd.1 does not document $flag"
done
cli_text=$(sed 's/\\-/-/g' "$src/docs/btcpeerd-cli.1")
cli_flags=$("$dest/usr/bin/btcpeerd-cli" -help | grep -E '^ +-' | grep -oE '(^|[ ,])-[a-z][a-z0-9]*' | tr -d ' ,' | sort -u)
[[ $(wc -l <<<"$cli_flags") -ge 15 ]] || err "btcpeerd-cli -help lists too few options: $cli_flags"
for flag in $cli_flags; do
    grep -qE -- "(^|[^a-z0-9-])${flag}([^a-z0-9-]|$)" <<<"$cli_text" || err "docs/btcpeerd-cli.1 does not document $flag"
done

echo "== systemd unit =="
for key in 'User=btcpeerd' 'NoNewPrivileges=true' 'ProtectSystem=strict' 'ProtectHome=true' \
    'PrivateTmp=true' 'PrivateDevices=true' 'MemoryDenyWriteExecute=true' \
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' 'SystemCallFilter=@system-service' \
    'StateDirectory=btcpeerd' 'Type=exec'; do
    grep -qxF "$key" "$unit" || err "btcpeerd.service lacks $key"
done
grep -qE '^ExecStart=.* --datadir=/var/lib/btcpeerd .*--log-file=-' "$unit" || err "ExecStart lacks --datadir/--log-file"
if command -v systemd-analyze >/dev/null 2>&1; then
    # verify checks that ExecStart exists: point it at the DESTDIR copy.
    mkdir -p "$dest/verify"
    sed "s|^ExecStart=/usr/bin/btcpeerd|ExecStart=$dest/usr/bin/btcpeerd|" "$unit" >"$dest/verify/btcpeerd.service"
    out=$(systemd-analyze --man=no verify "$dest/verify/btcpeerd.service" 2>&1) || err "systemd-analyze verify failed"
    [[ -z "$out" ]] || err "systemd-analyze verify:"$'\n'"$out"
else
    skip "systemd-analyze verify: systemd not installed"
fi

[[ $fail -eq 0 ]] || exit 1
[[ $skipped -eq 0 ]] || exit 77
echo "packaging ok"
