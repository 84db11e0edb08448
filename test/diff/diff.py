#!/usr/bin/python3
"""Differential test: queries on the foreign tables against heap copies.

Sets up, in one database of a scratch cluster, schema f with the foreign
tables (trail tables over the emulator's organization trail in S3 and in its
data directory, with and without account_ids/regions or organization_id;
event-history tables with and without regions)
and schema h with heap copies of the same names, made from unfiltered scans
and checked against the generated files.  Then runs N generated queries per
kind of table (grammar.py) with search_path f and with search_path h and
compares the outputs (rows, notices, SQLSTATE of errors).  A lost connection
is a disagreement of its own: a crash.

  diff.py --emu-port PORT --emu-data DIR [--seed S] [-n N] [--only KIND:I]

test/diff/run (and test/run diff) start the emulator and a cluster and run it
with SEED, N and ONLY from the environment.

Connects with the PG* environment variables.  CTFDW_MODULE=path/to/.so
points the extension's functions at another build (superuser; for measuring
an old build, never by default).  Prints "ok - ..." / "not ok - ..." lines,
one for the reference copies and one per kind; exits 1 on any "not ok".
"""
import argparse
import concurrent.futures
import datetime as dt
import glob
import gzip
import json
import os
import random
import sys
import time

import psycopg2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grammar  # noqa: E402

KEY = ("AKIACTFDWEXAMPLE1111", "ctfdwSecret1111/EXAMPLEKEY+aaaaaaaaaaaaaaa")
KEY_ACCOUNT = "111111111111"    # whose event history the key sees
TRAIL_ONE = ("111111111111", "us-east-1")
HIST_TWO = ("eu-west-1", "ap-southeast-2")
CASE_TIMEOUT = "60s"
MAX_DELAY = dt.timedelta(hours=12)

TRAIL_DDL = """event_id uuid, event_time timestamptz, event_name text, event_source text,
  aws_region text, recipient_account_id text, username text, access_key_id text,
  read_only boolean, error_code text, log_file text"""
HIST_DDL = TRAIL_DDL.replace(", log_file text", ", resource_names text[], resource_types text[]")


def say(*a):
    print(*a, file=sys.stderr, flush=True)


def connect(schema, tries=300):
    """A new session whose search_path is the foreign (f) or heap (h) schema."""
    for i in range(tries):
        try:
            c = psycopg2.connect(dbname="postgres",
                                 options=f"-c search_path={schema},common -c statement_timeout={CASE_TIMEOUT}")
            c.autocommit = True
            return c
        except psycopg2.OperationalError:
            # the server restarting after a crash
            if i == tries - 1:
                raise
            time.sleep(0.1)


# ---------------------------------------------------------------- setup

def setup(a, cur):
    trail = json.load(open(os.path.join(a.emu_data, "trail.json")))
    ep = f"http://127.0.0.1:{a.emu_port}"
    d = os.path.join(a.emu_data, "s3", trail["bucket"])
    regions = ",".join(trail["regions"])
    delay = f"max_delivery_delay '{MAX_DELAY}'"   # longer than any late delivery (checked)
    wait = "lookup_max_wait '2 seconds'"      # the emulator does not throttle: fail fast
    cur.execute("DROP SCHEMA IF EXISTS f, h, common CASCADE; DROP EXTENSION IF EXISTS cloudtrail_fdw CASCADE")
    cur.execute("CREATE EXTENSION cloudtrail_fdw")
    if os.environ.get("CTFDW_MODULE"):
        cur.execute("UPDATE pg_proc SET probin = %s WHERE probin LIKE '%%cloudtrail_fdw%%'",
                    (os.environ["CTFDW_MODULE"],))
        say(f"# functions point at {os.environ['CTFDW_MODULE']}")
    # a new session: this one has loaded the library CREATE EXTENSION named
    cur.connection.close()
    cur = connect("public").cursor()
    cur.execute(f"""
      CREATE SERVER emu FOREIGN DATA WRAPPER cloudtrail_fdw
        OPTIONS (region 'us-east-1', endpoint '{ep}', s3_endpoint '{ep}');
      CREATE USER MAPPING FOR CURRENT_USER SERVER emu
        OPTIONS (access_key_id '{KEY[0]}', secret_access_key '{KEY[1]}');
      CREATE SCHEMA f; CREATE SCHEMA h; CREATE SCHEMA common;
      CREATE FOREIGN TABLE f.trail ({TRAIL_DDL}) SERVER emu
        OPTIONS (bucket '{trail["bucket"]}', {delay});
      CREATE FOREIGN TABLE f.trail_one ({TRAIL_DDL}) SERVER emu
        OPTIONS (bucket '{trail["bucket"]}', account_ids '{TRAIL_ONE[0]}', regions '{TRAIL_ONE[1]}', {delay});
      CREATE FOREIGN TABLE f.trail_org ({TRAIL_DDL}) SERVER emu
        OPTIONS (bucket '{trail["bucket"]}', organization_id '{trail["organization_id"]}', {delay});
      CREATE FOREIGN TABLE f.trail_dir ({TRAIL_DDL}) SERVER emu OPTIONS (directory '{d}', {delay});
      CREATE FOREIGN TABLE f.hist ({HIST_DDL}) SERVER emu
        OPTIONS (source 'lookup_events', regions '{regions}', {wait});
      CREATE FOREIGN TABLE f.hist_two ({HIST_DDL}) SERVER emu
        OPTIONS (source 'lookup_events', regions '{",".join(HIST_TWO)}', {wait});
      CREATE FOREIGN TABLE f.hist_noreg ({HIST_DDL}) SERVER emu OPTIONS (source 'lookup_events', {wait});
      -- the references: unfiltered scans, and the rows the table options select
      CREATE TABLE h.trail AS SELECT * FROM f.trail;
      CREATE TABLE h.trail_dir AS SELECT * FROM f.trail_dir;
      CREATE TABLE h.trail_org AS SELECT * FROM f.trail_org;
      CREATE TABLE h.trail_one AS SELECT * FROM h.trail
        WHERE recipient_account_id = '{TRAIL_ONE[0]}' AND aws_region = '{TRAIL_ONE[1]}';
      CREATE TABLE h.hist AS SELECT * FROM f.hist;
      CREATE TABLE h.hist_two AS SELECT * FROM h.hist WHERE aws_region IN {HIST_TWO};
      -- every query on hist_noreg names its regions with constants (grammar.py)
      CREATE TABLE h.hist_noreg AS SELECT * FROM h.hist;
    """)
    return trail, cur


def check_reference(a, cur, trail):
    """Are the heap copies what the generator wrote?  Read from its files."""
    want = []
    for p in sorted(glob.glob(os.path.join(a.emu_data, "s3", trail["bucket"], "**", "CloudTrail", "**", "*.json.gz"),
                              recursive=True)):
        for r in json.loads(gzip.decompress(open(p, "rb").read()))["Records"]:
            want.append((r["eventID"], r["eventTime"], r["recipientAccountId"], r["awsRegion"]))
    hist = []
    for p in sorted(glob.glob(os.path.join(a.emu_data, "lookup", KEY_ACCOUNT, "*.ndjson"))):
        if not p.endswith(".insight.ndjson"):
            hist += [json.loads(x)["eventID"] for x in open(p) if x.strip()]
    problems = []
    q = ("SELECT event_id::text, to_char(event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
         "recipient_account_id, aws_region FROM h.{}")
    for t in ("trail", "trail_dir", "trail_org"):
        cur.execute(q.format(t))
        if sorted(cur.fetchall()) != sorted(want):
            problems.append(f"h.{t} is not the {len(want)} records of the log files")
    cur.execute("SELECT count(*) FROM h.trail_one")
    n = cur.fetchone()[0]
    if n != sum(1 for w in want if w[2:] == TRAIL_ONE) or n == 0:
        problems.append(f"h.trail_one has {n} rows")
    cur.execute("SELECT event_id::text FROM h.hist")
    if sorted(x for x, in cur.fetchall()) != sorted(hist):
        problems.append(f"h.hist is not the {len(hist)} events LookupEvents serves")
    for f in map(json.loads, open(os.path.join(a.emu_data, "files.ndjson"))):
        late = dt.datetime.fromisoformat(f["delivery"][:-1]) - dt.datetime.fromisoformat(f["oldest"][:-1])
        if late > MAX_DELAY:
            problems.append(f"{f['key']} is delivered {late} after its first event")
    if len(set(w[0] for w in want)) == len(want):
        problems.append("the trail has no duplicate event IDs")
    return problems, len(want), len(hist)


class Data:
    """Values of the data the grammar draws from (sorted: same seed, same queries)."""

    def __init__(self, cur, trail, rng):
        self.start = dt.datetime.fromisoformat(trail["start"].replace("Z", "+00:00"))
        self.end = dt.datetime.fromisoformat(trail["end"].replace("Z", "+00:00"))
        cur.execute("SET TimeZone = 'UTC'")
        cur.execute("SELECT DISTINCT event_time FROM h.trail ORDER BY 1")
        self.times = [t for t, in cur.fetchall()]
        self.values = {}
        for col in ("recipient_account_id", "aws_region", "event_name", "event_source", "username",
                    "event_id", "access_key_id"):
            cur.execute(f"SELECT DISTINCT {col}::text FROM (SELECT {col} FROM h.trail UNION ALL "
                        f"SELECT {col} FROM h.hist) x WHERE {col} IS NOT NULL ORDER BY 1")
            vals = [v for v, in cur.fetchall()]
            # event IDs: a sample, with the duplicated ones and the history's
            if col == "event_id":
                cur.execute("SELECT event_id::text FROM h.trail GROUP BY 1 HAVING count(*) > 1 ORDER BY 1")
                dup = [v for v, in cur.fetchall()]
                vals = dup + rng.sample(vals, min(60, len(vals)))
            self.values[col] = vals
        for col in ("resource_names", "resource_types"):
            cur.execute(f"SELECT DISTINCT x FROM h.hist, unnest({col}) x WHERE x IS NOT NULL ORDER BY 1")
            self.values[col] = [v for v, in cur.fetchall()]
        for col in ("username", "access_key_id", "event_id"):
            # history values, so that lookups find something
            cur.execute(f"SELECT DISTINCT {col}::text FROM h.hist WHERE {col} IS NOT NULL ORDER BY 1")
            self.values[col] += rng.sample([v for v, in cur.fetchall()], 10)


def make_bounds(cur, data, rng):
    """common.bounds: time ranges, regions, accounts for correlated and LATERAL queries."""
    cur.execute("CREATE TABLE common.bounds (id int, lo timestamptz, hi timestamptz, region text, account text)")
    for i in range(1, 7):
        lo = rng.choice(data.times) if rng.random() < 0.5 else data.start + (data.end - data.start) * rng.random()
        hi = lo + dt.timedelta(minutes=rng.choice([10, 90, 360, 720]))
        cur.execute("INSERT INTO common.bounds VALUES (%s, %s, %s, %s, %s)",
                    (i, lo, hi, rng.choice(data.values["aws_region"]),
                     rng.choice(data.values["recipient_account_id"])))
    cur.execute("INSERT INTO common.bounds VALUES (7, NULL, NULL, NULL, NULL)")
    cur.execute("ANALYZE common.bounds; ANALYZE h.trail, h.trail_dir, h.trail_org, h.trail_one, h.hist, h.hist_two, h.hist_noreg")


# ---------------------------------------------------------------- running

def run_case(case, schema):
    """The outputs of a case's statements in one new session."""
    out = []
    conn = connect(schema)
    try:
        cur = conn.cursor()
        for kind, sql in case.stmts:
            try:
                cur.execute(sql)
            except psycopg2.Error as e:
                if conn.closed or e.pgcode is None:
                    out.append(("LOST", str(e).strip().splitlines()[0]))
                    return out
                out.append(("ERROR", e.pgcode, " ".join((e.pgerror or "").split())))
                return out
            for n in conn.notices:
                if "crash of another server process" in n:
                    # it went on, but only the crash recovery will tell
                    out.append(("LOST", n.strip().splitlines()[0]))
                    return out
                out.append(("NOTICE", n.strip()))
            del conn.notices[:]
            if kind == "q" and cur.description is not None:
                rows = [tuple(None if v is None else str(v) for v in r) for r in cur.fetchall()]
                out.append(rows if case.ordered else sorted(rows, key=repr))
            elif kind == "x":
                out.append("ok")
        return out
    finally:
        conn.close()


def same(f, h):
    """Do two outputs agree?  Errors by SQLSTATE: messages are only shown."""
    def key(out):
        return [o[:2] if isinstance(o, tuple) and o[0] == "ERROR" else o for o in out]
    return key(f) == key(h)


def lost(out):
    return any(isinstance(o, tuple) and o[0] == "LOST" for o in out)


def abbreviate(out, width=400):
    parts = []
    for o in out:
        if isinstance(o, list):
            s = repr(o[:4])[:width] + (f" ... ({len(o)} rows)" if len(o) > 4 else "")
        else:
            s = repr(o)[:width]
        parts.append(s)
    return "\n      ".join(parts) or "(nothing)"


def cases(a, kind, data):
    idx = range(a.n) if a.only is None else [a.only[1]] if a.only[0] == kind else []
    for i in idx:
        yield i, grammar.make_case(random.Random(f"{a.seed}/{kind}/{i}"), kind, data)


def compare(case):
    f = run_case(case, "f")
    if lost(f):
        # let the postmaster notice, kill the other sessions and recover
        time.sleep(0.5)
        connect("h").close()
    h = run_case(case, "h")
    return f, h


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--emu-port", required=True)
    p.add_argument("--emu-data", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("-n", type=int, default=300, help="queries per kind of table")
    p.add_argument("--only", help="KIND:I, one case (printed by a failure)")
    p.add_argument("--jobs", type=int, default=3)
    p.add_argument("--show", type=int, default=10, help="failures printed in full, per kind")
    p.add_argument("--print", action="store_true", help="print the cases, run nothing")
    a = p.parse_args()
    if a.only:
        k, i = a.only.split(":")
        a.only = (k, int(i))

    t0 = time.time()
    trail, cur = setup(a, connect("public").cursor())
    problems, nt, nh = check_reference(a, cur, trail)
    data = Data(cur, trail, random.Random(a.seed))
    make_bounds(cur, data, random.Random(a.seed))
    cur.connection.close()
    failed = False
    if problems:
        print("not ok - diff: the heap copies are not the generated data: " + "; ".join(problems))
        failed = True
    else:
        print(f"ok - diff: heap copies hold the generated data ({nt} trail records, {nh} history events)")

    for kind in ("trail", "history"):
        todo = list(cases(a, kind, data))
        if not todo:
            continue
        if a.print:
            for i, c in todo:
                print(f"-- {kind}:{i}\n{c.text()}")
            continue
        results = {}
        with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
            for (i, c), r in zip(todo, ex.map(lambda ic: compare(ic[1]), todo)):
                results[i] = r
        # a crash takes every session down: replay those one at a time
        # to tell the query that crashed from the others
        crashed = set()
        for i, c in todo:
            f, h = results[i]
            if lost(f) or lost(h):
                results[i] = compare(c)
                if lost(results[i][0]):
                    crashed.add(i)
        bad = [(i, c) for i, c in todo if i in crashed or not same(*results[i])]
        for i, c in bad[:a.show]:
            f, h = results[i]
            say(f"# DIFF {kind}:{i} (seed {a.seed}{', crashed' if i in crashed else ''}); "
                f"replay: SEED={a.seed} ONLY={kind}:{i} test/diff/run")
            say("   " + c.text().replace("\n", "\n   "))
            say("   foreign: " + abbreviate(f))
            say("   heap:    " + abbreviate(h))
        if len(bad) > a.show:
            say(f"# ... and {len(bad) - a.show} more: " + " ".join(f"{kind}:{i}" for i, _ in bad[a.show:]))
        n = len(todo)
        if bad:
            failed = True
            print(f"not ok - diff {kind}: {len(bad)} of {n} queries disagree, {len(crashed)} crashed "
                  f"(SEED={a.seed} N={a.n})")
        else:
            print(f"ok - diff {kind}: {n} queries agree with the heap copies (SEED={a.seed})")
    say(f"# diff: {time.time() - t0:.0f} s")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
