#!/usr/bin/env bash
# Builds DTA with gcc's ThreadSanitizer into build-tsan/ and runs what runs
# threads: the runtime suite (8 threads emitting while the policy reloads
# every 10 ms, async accounting, watch...) and the example host shop end to
# end (cli_shop: 4 workers, live file edits, signals). Any data race fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDTA_TSAN=ON -DDTA_BUILD_BENCH=OFF \
  -DDTA_INSTALL=OFF "${launcher[@]}" >/dev/null
cmake --build build-tsan -j "${DTA_JOBS:-2}" --target dta_tests shop dta_cli
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:history_size=4}"
# gcc 12's TSan cannot map its shadow memory under the wide address-space
# randomization of recent kernels ("unexpected memory mapping"): run without it.
norandom=()
if command -v setarch >/dev/null && setarch "$(uname -m)" -R true 2>/dev/null; then
  norandom=(setarch "$(uname -m)" -R)
fi
"${norandom[@]}" build-tsan/bin/dta_tests --test-suite=runtime
"${norandom[@]}" ctest --test-dir build-tsan --output-on-failure -R '^cli_shop$'
