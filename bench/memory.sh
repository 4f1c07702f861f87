#!/usr/bin/env bash
# Peak RSS of `dta replay` with keyed state over 100,000 distinct keys, at
# 200k and 2M events: it must stay flat (caps and eviction, not growth).
set -euo pipefail
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
cd "$(dirname "$0")/.."
for n in ${SIZES:-200000 1000000 2000000}; do
  python3 bench/gen_memory.py "$n" > /tmp/dta-memory.jsonl
  /usr/bin/time -f "n=$n peak_rss_kb=%M wall_s=%e" build/bin/dta replay bench/memory_policy.dta /tmp/dta-memory.jsonl --json \
    > /tmp/dta-memory-report.json 2> /tmp/dta-memory-time.txt || true
  tail -1 /tmp/dta-memory-time.txt
  python3 -c "import json; d=json.load(open('/tmp/dta-memory-report.json'))['diagnostics']; print('  evicted_keys', d['evicted_keys'], 'evicted_expectations', d['evicted_expectations'], 'degraded_windows', d['degraded_windows'])"
done
rm -f /tmp/dta-memory.jsonl
