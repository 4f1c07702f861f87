#!/usr/bin/env bash
# Alerts and metrics against the real servers (Debian's prometheus-alertmanager
# and prometheus), started here on free loopback ports with temporary
# configuration and data, and killed on every exit:
#   1. `dta replay --alertmanager`: the alerts read back through Alertmanager's API v2;
#   2. `shop --alertmanager --metrics`: its alerts in Alertmanager, and a counter
#      Prometheus scraped from its /metrics read back through /api/v1/query;
#   3. Alertmanager down: `dta replay` and `shop` retry, drop and count, and
#      exit as they would without it.
# usage: servers.sh DTA SHOP SHOP_POLICY WORK
set -euo pipefail
DTA=$1 SHOP=$2 SHOP_POLICY=$3 WORK=$4
AM=${DTA_ALERTMANAGER:-/usr/bin/prometheus-alertmanager}
PROM=${DTA_PROMETHEUS:-/usr/bin/prometheus}
for b in "$AM" "$PROM" curl python3; do
  command -v "$b" >/dev/null || { echo "FAIL: $b is not installed (scripts/install-deps.sh installs it)"; exit 1; }
done

rm -rf "$WORK"
mkdir -p "$WORK"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

fail() {
  echo "FAIL: $*"
  for f in "$WORK"/*.log; do echo "---- $f"; tail -n 20 "$f"; done
  exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# wait_until SECONDS COMMAND...: polls every 0.2 s.
wait_until() {
  local end=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.2
  done
}

AM_PORT=$(free_port)
PROM_PORT=$(free_port)
SHOP_METRICS=$(free_port)
DEAD_PORT=$(free_port)  # nothing listens there
AM_URL=http://127.0.0.1:$AM_PORT

# ---------------------------------------------------------------- the servers
cat >"$WORK/alertmanager.yml" <<YML
route:
  receiver: devnull
  group_wait: 1s
receivers:
  - name: devnull
YML
"$AM" --config.file="$WORK/alertmanager.yml" --storage.path="$WORK/am-data" \
  --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= >"$WORK/alertmanager.log" 2>&1 &
pids+=($!)
cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: shop
    static_configs:
      - targets: ['127.0.0.1:$SHOP_METRICS']
YML
"$PROM" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prom-data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
pids+=($!)
wait_until 20 curl -sf "$AM_URL/-/ready" || fail "alertmanager did not start"

# ---------------------------------------------------------------- 1. dta replay
cat >"$WORK/p.dta" <<'DTA'
policy it
event db.query { errno: int  worker: int  password: string sensitive }
rule db_error_burst on db.query where errno != 0 {
    when count() over 2s >= 3 by worker {
        alert critical "{value} database errors within 2s" labels { team: "db" }
    }
}
DTA
now=$(date +%s%N)
: >"$WORK/events.jsonl"
for i in 1 2 3; do
  echo "{\"ts\": $((now + i * 1000000)), \"name\": \"db.query\", \"fields\": {\"errno\": 5, \"worker\": 7, \"password\": \"hunter2\"}}" >>"$WORK/events.jsonl"
done
"$DTA" replay "$WORK/p.dta" "$WORK/events.jsonl" --alertmanager "$AM_URL" --alerts-file "$WORK/alerts.jsonl" \
  >"$WORK/replay.log" 2>&1 || fail "dta replay exited $?"
grep -q "warning: alert delivery" "$WORK/replay.log" && fail "replay reported a delivery failure"
[ "$(wc -l <"$WORK/alerts.jsonl")" -eq 1 ] || fail "--alerts-file: expected one line"
grep -q '"rule":"db_error_burst"' "$WORK/alerts.jsonl" || fail "--alerts-file: no db_error_burst"

# Alertmanager's API v2: the alert with its rule, severity, labels and `by` key, never an event field.
am_alerts() { curl -sf "$AM_URL/api/v2/alerts" >"$WORK/am-alerts.json"; }
has_alert() {  # has_alert LABEL=VALUE...: an alert in $WORK/am-alerts.json with all these labels
  python3 - "$WORK/am-alerts.json" "$@" <<'PY'
import json, sys
alerts = json.load(open(sys.argv[1]))
want = dict(a.split("=", 1) for a in sys.argv[2:])
ok = any(all(al["labels"].get(k) == v for k, v in want.items()) for al in alerts)
sys.exit(0 if ok else 1)
PY
}
replay_alert_arrived() { am_alerts && has_alert alertname=db_error_burst severity=critical team=db worker=7; }
wait_until 10 replay_alert_arrived || fail "the replay's alert is not in Alertmanager: $(cat "$WORK/am-alerts.json")"
python3 - "$WORK/am-alerts.json" <<'PY' || fail "the alert's annotations or times"
import json, sys
a = [a for a in json.load(open(sys.argv[1])) if a["labels"].get("worker") == "7"][0]
assert a["annotations"]["summary"] == "3 database errors within 2s", a
assert a["startsAt"] < a["endsAt"], a
assert a["status"]["state"] == "active", a
PY
grep -q hunter2 "$WORK/am-alerts.json" && fail "a sensitive field reached Alertmanager"

# ---------------------------------------------------------------- 2. shop
"$SHOP" --policy "$SHOP_POLICY" --profile production --seconds 8 --threads 4 \
  --alertmanager "$AM_URL" --metrics "127.0.0.1:$SHOP_METRICS" >"$WORK/shop.out" 2>"$WORK/shop.log" &
shop_pid=$!
pids+=($shop_pid)
# Prometheus scrapes shop's /metrics every second; read a counter back.
prom_has_counter() {
  curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/query?query=dta_events_evaluated_total" >"$WORK/prom-query.json" &&
    python3 - "$WORK/prom-query.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "success"
res = r["data"]["result"]
assert res and float(res[0]["value"][1]) > 0, res
assert res[0]["metric"]["job"] == "shop"
PY
}
wait_until 25 prom_has_counter || fail "Prometheus did not scrape shop's counter: $(cat "$WORK/prom-query.json" 2>/dev/null)"
curl -sf "http://127.0.0.1:$SHOP_METRICS/metrics" >"$WORK/shop-metrics.txt" || fail "shop's /metrics"
grep -q '^# TYPE dta_findings_total counter' "$WORK/shop-metrics.txt" || fail "shop's /metrics has no findings"
grep -q '^dta_rule_matched_total{rule="db_failed"} ' "$WORK/shop-metrics.txt" || fail "shop's /metrics has no rules"
wait "$shop_pid" || fail "shop exited $?"
grep -q "shop: alert delivery to alertmanager $AM_URL: [1-9][0-9]* submitted, [1-9][0-9]* sent, 0 failed attempts" \
  "$WORK/shop.log" || fail "shop did not deliver its alerts"
shop_alert_arrived() { am_alerts && has_alert service=shop alertname=db_error_burst; }
wait_until 10 shop_alert_arrived || fail "shop's database alert is not in Alertmanager"

# ---------------------------------------------------------------- 3. Alertmanager down
DEAD=http://127.0.0.1:$DEAD_PORT
"$DTA" replay "$WORK/p.dta" "$WORK/events.jsonl" --alertmanager "$DEAD" >"$WORK/replay-down.out" 2>"$WORK/replay-down.log" ||
  fail "dta replay with Alertmanager down exited $? (the verdict must not change)"
grep -q "warning: alert delivery to alertmanager $DEAD: 0 of 1 alerts delivered, 1 dropped, 5 failed attempts; last error: connecting to 127.0.0.1:$DEAD_PORT" \
  "$WORK/replay-down.log" || fail "replay's delivery failure: $(cat "$WORK/replay-down.log")"
grep -q "PASS" "$WORK/replay-down.out" || fail "the replay's report"
"$SHOP" --policy "$SHOP_POLICY" --profile production --seconds 3 --alertmanager "$DEAD" \
  >"$WORK/shop-down.out" 2>"$WORK/shop-down.log" || fail "shop with Alertmanager down exited $?"
grep -q "emitted" "$WORK/shop-down.out" || fail "shop printed no stats"
grep -Eq "shop: alert delivery to alertmanager $DEAD: ([1-9][0-9]*) submitted, 0 sent, [1-9][0-9]* failed attempts, [1-9][0-9]* retried, \\1 dropped" \
  "$WORK/shop-down.log" || fail "shop's delivery stats with Alertmanager down: $(grep delivery "$WORK/shop-down.log")"
echo "ok: replay and shop alerts in Alertmanager, shop's counter in Prometheus, Alertmanager down counted"
