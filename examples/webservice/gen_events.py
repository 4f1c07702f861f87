#!/usr/bin/env python3
"""Writes events.jsonl: a deterministic recording of the shop service (12,000
events over ~20 minutes, with an incident at minute 10). Run it from this folder.

With --live [SPEED], writes the same events to standard output as a live
service would, stamped with the current time and paced SPEED times faster than
recorded (default 10: the incident comes after a minute), for
`dta replay policy.dta - --follow`."""
import json
import random
import sys
import time

rng = random.Random(20261126)
t = 1795687200_000_000_000  # 2026-11-26T10:00:00Z
out = []


def ev(name, fields, severity=None, **extra):
    e = {"ts": t, "name": name}
    if severity:
        e["severity"] = severity
    e.update(extra)
    e["fields"] = fields
    out.append(json.dumps(e, separators=(",", ":")))


paths = ["/api/cart", "/api/orders", "/api/login", "/healthz", "/static/app.js", "/api/search"]
services = ["cart", "orders", "auth", "search"]
users = ["alice", "bob", "carol", "dave", "root", "admin", "svc-backup"]
dbs = ["/srv/shop/shop.db", "/srv/shop/cache.sqlite", "/srv/shop/sessions.db"]
for i in range(12000):
    t += rng.randint(50, 150) * 1_000_000
    incident = 5800 <= i < 6200
    r = rng.random()
    if r < 0.45:
        status = rng.choice([200, 200, 200, 201, 204, 304])
        if rng.random() < (0.25 if incident else 0.01):
            status = rng.choice([500, 502, 503])
        elif rng.random() < 0.03:
            status = rng.choice([400, 401, 404, 409])
        lat = round(rng.lognormvariate(3.5, 0.8 if not incident else 1.4), 3)
        ev("http.request", {"method": rng.choice(["GET", "GET", "GET", "POST", "PUT", "DELETE"]),
                            "path": rng.choice(paths), "status": status, "latency_ms": lat,
                            "service": rng.choice(services)},
           severity="error" if status >= 500 else None, id=2001)
    elif r < 0.65:
        lat = round(rng.lognormvariate(2.0, 1.0 if not incident else 1.8), 3)
        errno = rng.choice([5, 28]) if rng.random() < (0.05 if incident else 0.002) else 0
        ev("db.query", {"path": rng.choice(dbs), "rows": rng.randint(0, 500), "latency_ms": lat, "errno": errno})
    elif r < 0.70:
        errno = rng.choice([13, 5]) if rng.random() < (0.2 if incident else 0.01) else 0
        ev("db.open", {"path": rng.choice(dbs), "errno": errno, "latency_ms": round(rng.uniform(0.1, 5), 3)},
           severity="warning" if errno else None)
    elif r < 0.78:
        missing = rng.random() < 0.02
        ev("file.open", {"path": "/srv/shop/users/%d.json" % rng.randint(1, 400), "errno": 2 if missing else 0,
                         "pid": rng.randint(1000, 1100)})
    elif r < 0.83:
        big = rng.random() < 0.01
        path = "/etc/shop/shop.conf" if rng.random() < 0.001 else "/srv/shop/uploads/%d.bin" % rng.randint(1, 9999)
        ev("file.write", {"path": path, "bytes": rng.randint(11 << 20, 50 << 20) if big else rng.randint(1, 1 << 20),
                          "pid": rng.randint(1000, 1100)})
    elif r < 0.88:
        result = "ok" if rng.random() > (0.3 if incident else 0.04) else rng.choice(["bad_password", "locked"])
        ev("auth.login", {"user": rng.choice(users), "result": result, "src": "10.0.%d.%d" % (rng.randint(0, 9), rng.randint(1, 254)),
                          "password": "hunter%d" % rng.randint(0, 99)})
    else:
        ev("cache.hit", {"key": "k%d" % rng.randint(0, 999), "bytes": rng.randint(10, 100000)})
# a few lines a real recording has: a truncated write and an event out of order
out.insert(7000, '{"ts":1795687800000000000,"name":"http.request","fields":{"status":2')
out.insert(9000, json.dumps({"ts": 1795687200_000_000_000, "name": "db.open",
                             "fields": {"path": "/srv/shop/shop.db", "errno": 0, "latency_ms": 0.5}}))


def live(lines, speed):
    """The lines paced as recorded (divided by speed), each stamped with now."""
    prev = None
    for line in lines:
        try:
            e = json.loads(line)
        except ValueError:
            print(line, flush=True)  # the truncated line stays bad
            continue
        if prev is not None and e["ts"] > prev:
            time.sleep((e["ts"] - prev) / 1e9 / speed)
        prev = max(prev or e["ts"], e["ts"])
        e["ts"] = time.time_ns()
        print(json.dumps(e, separators=(",", ":")), flush=True)


if len(sys.argv) > 1 and sys.argv[1] == "--live":
    try:
        live(out, float(sys.argv[2]) if len(sys.argv) > 2 else 10.0)
    except (BrokenPipeError, KeyboardInterrupt):
        pass
else:
    with open("events.jsonl", "w") as f:
        f.write("\n".join(out) + "\n")
