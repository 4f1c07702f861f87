#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) into build-fuzz/ and
# runs each for SECONDS (default 60), one after the other, with its seed
# corpus and dictionary. New inputs are kept in build-fuzz/corpus/TARGET;
# crashes, hangs and OOMs go to fuzz/crashes/TARGET-*. Prints each target's
# execs and crash count.
#   scripts/fuzz.sh [SECONDS] [TARGET...]      TARGET: fuzz_policy fuzz_dtb fuzz_jsonl fuzz_state
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_policy fuzz_dtb fuzz_jsonl fuzz_state)

scripts/install-deps.sh --fuzz
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDTA_BUILD_FUZZ=ON \
  -DDTA_BUILD_TESTS=OFF -DDTA_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build build-fuzz -j "${DTA_JOBS:-2}" --target "${targets[@]}" dta_fuzz_dtb_corpus dta_fuzz_state_corpus

mkdir -p fuzz/crashes
status=0
for t in "${targets[@]}"; do
  kind=${t#fuzz_}
  seeds=(fuzz/corpus/"$kind" fuzz/regress/"$kind")
  dict=()
  case $kind in
    policy) dict=(-dict=fuzz/dta.dict) ;;
    jsonl) dict=(-dict=fuzz/json.dict) ;;
    dtb) seeds+=(build-fuzz/fuzz/corpus-dtb) ;;
    state) seeds+=(build-fuzz/fuzz/corpus-state) ;;
  esac
  existing=()
  for d in "${seeds[@]}"; do [ -d "$d" ] && existing+=("$d"); done  # a kind may have no checked-in seeds
  seeds=("${existing[@]}")
  mkdir -p build-fuzz/corpus/"$t"
  log=build-fuzz/$t.log
  before=$(find fuzz/crashes -name "$t-*" | wc -l)
  # One child process at a time (-fork=1) that is restarted after a crash,
  # hang or OOM, so one run reports every distinct input it finds.
  ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    build-fuzz/bin/"$t" build-fuzz/corpus/"$t" "${seeds[@]}" "${dict[@]}" \
    -max_total_time="$seconds" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -timeout=10 -rss_limit_mb=4096 -artifact_prefix=fuzz/crashes/"$t"- -print_final_stats=1 >"$log" 2>&1 || true
  after=$(find fuzz/crashes -name "$t-*" | wc -l)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$last")
  counts=$(grep -oE 'oom/timeout/crash: [0-9]+/[0-9]+/[0-9]+' <<<"$last" | cut -d' ' -f2 || true)
  echo "$t: ${execs:-0} execs in ${seconds}s, oom/timeout/crash ${counts:-0/0/0}, $((after - before)) new files in fuzz/crashes (log: $log)"
  [ "$after" -eq "$before" ] || status=1
done
exit $status
