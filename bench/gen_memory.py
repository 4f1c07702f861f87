#!/usr/bin/env python3
"""Writes N events (argv[1]) with 100,000 distinct users as JSON Lines on stdout."""
import random
import sys

n = int(sys.argv[1])
rng = random.Random(1)
t = 1767225600_000_000_000
out = sys.stdout
buf = []
for i in range(n):
    t += rng.randint(100_000, 900_000)
    user = "u%d" % rng.randrange(100_000)
    r = rng.random()
    if r < 0.9:
        buf.append('{"ts":%d,"name":"req","fields":{"user":"%s","status":%d,"ms":%.3f}}' % (
            t, user, 503 if rng.random() < 0.02 else 200, rng.expovariate(1 / 200)))
    else:
        buf.append('{"ts":%d,"name":"%s","fields":{"user":"%s"}}' % (t, "login" if r < 0.95 else "logout", user))
    if len(buf) >= 10000:
        out.write("\n".join(buf) + "\n")
        buf = []
out.write("\n".join(buf) + ("\n" if buf else ""))
