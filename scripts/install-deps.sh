#!/usr/bin/env bash
# Installs the Debian 12 packages DTA builds with (as root, or through sudo).
#   --fuzz  also clang and libFuzzer, for scripts/fuzz.sh (the gcc build needs neither)
set -euo pipefail
packages=(
  g++ cmake ninja-build pkg-config
  antlr4 libantlr4-runtime-dev          # the 4.7.2 tool with the 4.9 C++ runtime
  libboost1.81-dev libboost-json1.81-dev # Boost.JSON and Boost.Regex (not the 1.74 default)
  libfmt-dev doctest-dev libedit-dev
  zlib1g-dev libzstd-dev                # gzip and zstd event files (dta replay reads them directly)
  python3                               # the REPL's pseudo-terminal test (tests/repl/pty_test.py)
)
# For the tests only: the real servers alerts and metrics are delivered to
# (tests/integration/servers.sh starts them on free loopback ports), and curl
# and python3 to talk to them.
test_packages=(prometheus-alertmanager prometheus curl python3)
packages+=("${test_packages[@]}")
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang libclang-rt-14-dev)   # Debian 12's clang is 14; libFuzzer's runtime is in libclang-rt-14-dev
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" default-jre-headless
