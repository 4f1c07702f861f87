#!/usr/bin/env bash
# The shop's test rings: one policy (examples/shop/shop.dta) run as unit
# (strict), scenario (a realistic load), stress (a rush of orders, relaxed where
# load explains it), fuzz (random database failures injected, every warning an
# error) and chaos (the database goes down for a while). Each ring runs the
# example host with the healthy simulation and exits 1 when the ring's verdict
# fails, 0 when it passes (2 for bad arguments).
#   scripts/rings.sh RING [shop options]     RING: unit scenario stress fuzz chaos all
#   scripts/rings.sh unit --defect leak      a seeded defect: this ring must fail
set -euo pipefail
cd "$(dirname "$0")/.."
shop=${SHOP:-build/bin/shop}
ring=${1:-}
[ $# -gt 0 ] && shift
case $ring in
  unit) flags=(--profile unit --rush 0 --seconds 3) ;;
  scenario) flags=(--profile scenario --rush 50 --seconds 4) ;;
  stress) flags=(--profile stress --rush 300 --threads 8 --seconds 4) ;;
  fuzz) flags=(--profile fuzz --faults --rush 0 --seconds 3) ;;
  chaos) flags=(--profile chaos --faults --rush 0 --seconds 3) ;;
  all)
    for r in unit scenario stress fuzz chaos; do
      echo "== ring $r" >&2
      "$0" "$r" "$@"
    done
    exit 0
    ;;
  *)
    echo "usage: scripts/rings.sh unit|scenario|stress|fuzz|chaos|all [shop options]" >&2
    exit 2
    ;;
esac
[ -x "$shop" ] || { echo "rings.sh: $shop is not built (cmake --build build --target shop)" >&2; exit 2; }
exec "$shop" --policy examples/shop/shop.dta --healthy --verdict "${flags[@]}" "$@"
