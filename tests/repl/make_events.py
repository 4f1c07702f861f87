#!/usr/bin/env python3
"""Writes N events of a small web shop as JSON Lines (http.request, db.query,
auth.login), fixed seed, one every millisecond: `make_events.py N OUT`.
The REPL's pseudo-terminal test and its 2-million-event measurement use it
(the files are made when needed, never committed)."""
import random
import sys


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(10)
    services = ["cart", "orders", "auth", "search"]
    paths = ["/api/cart", "/api/orders", "/api/login", "/healthz", "/api/search"]
    users = ["alice", "bob", "carol", "root"]
    t = 1795687200_000_000_000
    with open(out, "w") as f:
        for i in range(n):
            t += 1_000_000
            r = rng.random()
            if r < 0.7:
                status = 503 if rng.random() < 0.02 else 200
                f.write('{"ts":%d,"name":"http.request","fields":{"method":"GET","path":"%s","status":%d,'
                        '"latency_ms":%.3f,"service":"%s"}}\n'
                        % (t, rng.choice(paths), status, rng.random() * 300, rng.choice(services)))
            elif r < 0.9:
                f.write('{"ts":%d,"name":"db.query","fields":{"db":"/srv/shop.db","rows":%d,"errno":%d}}\n'
                        % (t, rng.randint(0, 500), 5 if rng.random() < 0.01 else 0))
            else:
                f.write('{"ts":%d,"name":"auth.login","fields":{"user":"%s","result":"%s"}}\n'
                        % (t, rng.choice(users), "ok" if rng.random() < 0.9 else "bad_password"))


if __name__ == "__main__":
    main()
