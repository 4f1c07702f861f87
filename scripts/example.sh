#!/usr/bin/env bash
# Quick start 1: install, build, and replay the shipped web-service recording.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
status=0
build/bin/dta replay examples/webservice/policy.dta examples/webservice/events.jsonl --profile production || status=$?
echo "dta replay exited with $status (0 pass, 1 fail: the recording holds an incident)"
[ "$status" -le 1 ]
