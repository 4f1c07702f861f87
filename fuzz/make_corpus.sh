#!/usr/bin/env bash
# Regenerates the policy and JSON Lines seed corpora from tests/ and examples/:
#   corpus/policy/<dir>_<name>.dta  every .dta, its includes inlined (each file once)
#   corpus/jsonl/<dir>_<name>.jsonl every .jsonl, its first kMaxLines lines
# The hand-written seeds (names starting with "seed_") are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
kMaxLines=40    # a seed of a few KB mutates fast; the 12,000-line recording would not

declare -A seen
# Prints $1 with each `include "x"` line replaced by x's text (each file once).
inline() {
  local file dir line rel target
  file=$(realpath "$1")
  [ -n "${seen[$file]:-}" ] && return 0
  seen[$file]=1
  dir=$(dirname "$file")
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ $line =~ ^[[:space:]]*include[[:space:]]+\"([^\"]+)\" ]]; then
      rel=${BASH_REMATCH[1]}
      target="$dir/$rel"
      inline "$target"
    else
      printf '%s\n' "$line"
    fi
  done <"$file"
}

find fuzz/corpus/policy fuzz/corpus/jsonl -type f ! -name 'seed_*' -delete
while IFS= read -r f; do
  seen=()
  name=$(echo "${f#./}" | tr '/' '_')
  inline "$f" >"fuzz/corpus/policy/$name"
done < <(find tests examples -name '*.dta' | sort)
while IFS= read -r f; do
  name=$(echo "${f#./}" | tr '/' '_')
  head -n "$kMaxLines" "$f" >"fuzz/corpus/jsonl/$name"
done < <(find tests examples -name '*.jsonl' | sort)
echo "policy seeds: $(ls fuzz/corpus/policy | wc -l), jsonl seeds: $(ls fuzz/corpus/jsonl | wc -l)"
