#!/usr/bin/env bash
# Quick start 1: install, build, run the example host `shop` (it audits itself
# in-process for a few seconds), then replay the shipped web-service recording.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build/bin/shop --policy examples/shop/shop.dta --profile unit --seconds 5
status=0
build/bin/dta replay examples/webservice/policy.dta examples/webservice/events.jsonl --profile production || status=$?
echo "dta replay exited with $status (0 pass, 1 fail: the recording holds an incident)"
[ "$status" -le 1 ]
