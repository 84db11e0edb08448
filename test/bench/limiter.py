#!/usr/bin/env python3
"""Event-history queries from N backends at once for a fixed time, against
the emulator's strict LookupEvents rate; one run per limiter.  Run by
test/bench/limiter, which starts the cluster and the emulator: --run
measures one run and prints it as JSON, --report writes the section of
RESULTS.md from the runs' JSON files.
"""
import argparse
import collections
import json
import os
import platform
import random
import sys
import threading
import time
import urllib.request

import psycopg2

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "emulator"))
import ctemu  # noqa: E402

# The generated events (see test/bench/limiter): 7 days to this end.
END = 1795132800  # 2026-11-20T00:00:00Z
DAYS = 7


def ctl(port, what, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/_ctl/{what}",
                                 data=None if body is None else json.dumps(body).encode())
    return json.loads(urllib.request.urlopen(req).read())


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def users(data):
    """The most frequent LookupEvents user names of the table's events."""
    c = collections.Counter(ctemu.api_username(json.loads(line))
                            for line in open(os.path.join(data, "lookup", "111111111111", "us-east-1.ndjson")))
    return [u for u, _ in c.most_common(5) if u and "'" not in u][:4]


def queries(rng, names):
    """What analysts type, endlessly: the latest events, a few hours of
    history, one user's day.  Each takes one call or a few pages."""
    while True:
        k = rng.random()
        start = END - rng.randrange(DAYS * 86400 - 6 * 3600)
        if k < 0.3:
            yield "SELECT event_id, event_time, event_name FROM history ORDER BY event_time DESC LIMIT 10"
        elif k < 0.8:
            yield (f"SELECT event_id, event_time, event_name FROM history "
                   f"WHERE event_time >= '{iso(start)}' AND event_time < '{iso(start + 4 * 3600)}'")
        else:
            yield (f"SELECT event_id, event_time FROM history WHERE username = '{rng.choice(names)}' "
                   f"AND event_time >= '{iso(start)}' AND event_time < '{iso(start + 86400)}'")


def backend(a, i, deadline, names, out):
    rng = random.Random(1000 + i)
    conn = psycopg2.connect(host=a.pghost, port=a.pgport, user="postgres", dbname="postgres")
    conn.autocommit = True
    cur = conn.cursor()
    r = {"queries": 0, "rows": 0, "failed": 0, "cut": 0, "errors": {}, "seconds": []}
    for q in queries(rng, names):
        left = deadline - time.monotonic()
        if left <= 0.05:
            break
        cur.execute("SET statement_timeout = %s", (int(left * 1000),))
        t0 = time.monotonic()
        try:
            cur.execute(q)
            r["rows"] += len(cur.fetchall())
            r["queries"] += 1
            r["seconds"].append(time.monotonic() - t0)
        except psycopg2.Error as e:
            if e.pgcode == "57014":
                r["cut"] += 1  # still running at the end of the run
            else:
                r["failed"] += 1
                msg = " ".join(x for x in (e.diag.message_primary, e.diag.message_detail,
                                           e.diag.message_hint) if x)
                r["errors"][msg] = r["errors"].get(msg, 0) + 1
    conn.close()
    out[i] = r


def run(a):
    ctl(a.port, "reset")
    names = users(a.data)
    deadline = time.monotonic() + a.seconds
    out = {}
    threads = [threading.Thread(target=backend, args=(a, i, deadline, names, out))
               for i in range(a.backends)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log = [e for e in ctl(a.port, "log") if e.get("op") == "LookupEvents"]
    secs = sorted(s for r in out.values() for s in r["seconds"])
    errors = {}
    for r in out.values():
        for m, n in r["errors"].items():
            errors[m] = errors.get(m, 0) + n
    print(json.dumps({
        "limiter": a.limiter, "backends": a.backends, "seconds": a.seconds,
        "calls": len(log),
        "throttled": sum(1 for e in log if e.get("error") == "ThrottlingException"),
        "answered": sum(1 for e in log if e.get("status") == 200),
        "queries": sum(r["queries"] for r in out.values()),
        "rows": sum(r["rows"] for r in out.values()),
        "failed": sum(r["failed"] for r in out.values()),
        "cut": sum(r["cut"] for r in out.values()),
        "errors": errors,
        "median_s": secs[len(secs) // 2] if secs else None,
        "p90_s": secs[int(len(secs) * 0.9)] if secs else None,
    }))


def report(a):
    runs = [json.load(open(f)) for f in a.runs]
    base = runs[0]
    lines = [
        "## Shared LookupEvents limiter",
        "",
        f"Measured by `test/bench/limiter` on {time.strftime('%Y-%m-%d', time.gmtime())} at commit {a.commit}; "
        f"2 cores, {platform.platform()}.",
        "",
        f"{base['backends']} backends, each running event-history queries one after another for "
        f"{base['seconds']} s (30% `ORDER BY event_time DESC LIMIT 10`, 50% a 4-hour window, 20% one user's day; "
        f"{a.events:,} events in the table's region) against the emulator's strict "
        "2 LookupEvents calls a second per account and region (a third call within a second is refused "
        "with ThrottlingException). Calls and throttled calls are counted in the emulator's request log; "
        "rows are those of the queries that ended within the run.",
        "",
        "| limiter | LookupEvents calls | throttled | answered | answered calls/s | queries done | rows returned "
        "| queries failed | median query s | p90 query s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r['limiter']} | {r['calls']:,} | {r['throttled']:,} | {r['answered']:,} "
            f"| {r['answered'] / r['seconds']:.2f} | {r['queries']:,} | {r['rows']:,} | {r['failed']:,} "
            f"| {r['median_s']:.2f} | {r['p90_s']:.2f} |")
    lines.append("")
    for r in runs:
        for m, n in sorted(r["errors"].items()):
            lines.append(f"* {r['limiter']}: {n} queries failed with: {m}")
    if any(r["errors"] for r in runs):
        lines.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(lines))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--run", action="store_true")
    p.add_argument("--report", action="store_true")
    p.add_argument("--pghost")
    p.add_argument("--pgport")
    p.add_argument("--port", type=int, help="the emulator's")
    p.add_argument("--data", help="the emulator's data directory")
    p.add_argument("--limiter", help="the name of the run")
    p.add_argument("--backends", type=int, default=8)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--events", type=int, default=0)
    p.add_argument("--commit")
    p.add_argument("--out")
    p.add_argument("runs", nargs="*")
    a = p.parse_args()
    if a.run:
        run(a)
    else:
        report(a)


if __name__ == "__main__":
    main()
