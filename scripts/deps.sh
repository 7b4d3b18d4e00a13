#!/usr/bin/env bash
# Install what btcpeerd needs from Debian 12's packages. With --test, also
# what the test suite needs (cmocka, valgrind, clang for the fuzz smoke run,
# mandoc and systemd-analyze for the packaging test, prometheus for
# promtool, which checks the /metrics text, microsocks as a real SOCKS5 proxy).
# Uses sudo when not root; installs nothing when everything is there.
set -euo pipefail

packages=(build-essential cmake pkg-config libevent-dev libssl-dev libsecp256k1-dev libjansson-dev)
if [[ "${1:-}" == "--test" ]]; then
    packages+=(libcmocka-dev valgrind clang libclang-rt-14-dev prometheus microsocks)
    # the packaging test: man page lint and systemd-analyze verify
    packages+=(mandoc systemd)
    # bcoin (the interop peer) comes from npm; Node.js from Debian if absent.
    command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
