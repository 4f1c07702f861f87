#!/usr/bin/env bash
# Builds DTA with gcc's AddressSanitizer and UndefinedBehaviorSanitizer into
# build-asan/ and runs every test there. Undefined behaviour stops the test
# that hits it (-fno-sanitize-recover), so UB fails the run like a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDTA_SANITIZE=ON -DDTA_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS="-fno-sanitize-recover=undefined" "${launcher[@]}" >/dev/null
cmake --build build-asan -j "${DTA_JOBS:-2}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan.supp}"  # libedit's own leaks (see the file)
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --test-dir build-asan --output-on-failure -j "${DTA_JOBS:-2}"
