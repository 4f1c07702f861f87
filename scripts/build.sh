#!/usr/bin/env bash
# Configures and builds DTA into build/ (the CLI lands in build/bin/dta).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build
