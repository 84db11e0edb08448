#!/usr/bin/env python3
"""cloudtrail_fdw benchmarks: throughput, request efficiency, memory.

Run by test/bench/run, which starts the cluster and the emulators.  Every
figure is measured in this run on this machine, and reported as a ratio to
references measured in the same run: DuckDB over the same files, and the
decompression floors (zcat, and ISA-L's igzip -dc, of every file).  The
directory table is read by the build under test and by a zlib build of the
same tree (table bulk_dir_zlib), for the inflater's before and after.
Standard library only.
"""
import argparse
import datetime as dt
import gzip
import json
import math
import os
import platform
import subprocess
import sys
import time
import urllib.request

A = None


def psql(sql, port=None):
    """Run SQL in a fresh session; return (seconds, output, peak RSS kB of the backend)."""
    script = f"\\set ON_ERROR_STOP 1\n{sql};\nSELECT pg_read_file('/proc/self/status');\n"
    t0 = time.monotonic()
    out = subprocess.run(A.psql + ["-X", "-A", "-t", "-q", "-h", A.pghost, "-p", str(A.pgport),
                                   "-U", "postgres", "-d", "postgres"],
                         input=script, capture_output=True, text=True)
    secs = time.monotonic() - t0
    if out.returncode != 0:
        sys.exit(f"psql failed: {out.stderr}\n{sql}")
    text = out.stdout
    hwm = int(text.split("VmHWM:")[1].split()[0]) if "VmHWM:" in text else 0
    result = text.split("Name:")[0].strip()
    return secs, result, hwm


def best(fn, runs):
    """The fastest of `runs` runs (each result must agree)."""
    res = [fn() for _ in range(runs)]
    answers = {r[1] for r in res}
    if len(answers) != 1:
        sys.exit(f"runs disagree: {answers}")
    return min(res, key=lambda r: r[0]), max(r[2] for r in res)


def ctl(port, what, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/_ctl/{what}",
                                 data=json.dumps(body or {}).encode() if body is not None or what != "log" else None,
                                 method="GET" if what == "log" and body is None else "POST")
    return json.loads(urllib.request.urlopen(req).read())


def objserve_count(port):
    """GETs objserve served itself, requests it passed on to the emulator."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_objserve/count") as r:
        served, passed = r.read().split()
    return int(served), int(passed)


def files(data):
    with open(os.path.join(data, "files.ndjson")) as f:
        return [json.loads(l) for l in f if l.strip()]


def log_files(data):
    out = []
    for d, _, fs in os.walk(os.path.join(data, "s3", "trail-bucket")):
        out += [os.path.join(d, f) for f in fs if "_CloudTrail_" in f]
    return sorted(out)


def stamp(key):
    s = key.rsplit("_", 2)[-2]
    return dt.datetime.strptime(s, "%Y%m%dT%H%MZ").replace(tzinfo=dt.timezone.utc).timestamp()


OBJSERVE = "## The object server: emulator against objserve (bulk trail)"
SWEEP_HEAD = "## max_concurrency against files/s (realistic trail, {ms} ms a request)"
AGG = "SELECT count(*), count(DISTINCT event_name), max(event_time) FROM {t}"
SERIAL = "SET max_parallel_workers_per_gather = 0"
SWEEP = (16, 32, 64, 128, 256)
# the planner's own choice: it picks Gather under the aggregate by itself
PARALLEL = "SET max_parallel_workers_per_gather = 2"
PARALLEL_FREE = PARALLEL + "; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0"


def main():
    global A
    p = argparse.ArgumentParser()
    for k in ("pghost", "pgport", "bulk-data", "bulk-port", "real-data", "real-port",
              "out", "commit", "aws", "duckdb", "scale", "latency-ms", "runs", "fast-port", "real-fast-port",
              "default-concurrency"):
        p.add_argument("--" + k, required=True)
    p.add_argument("--keep-from", help="RESULTS.md whose other sections are kept")
    p.add_argument("--psql", nargs="+", default=["psql"])
    p.add_argument("--bulk-only", action="store_true", help="skip the realistic trail (g)")
    A = p.parse_args()
    runs = int(A.runs)
    load_start = os.getloadavg()[0]
    rows = []          # (section, measure, value, ratio text)
    sweep = []         # max_concurrency against files/s

    # ---- references
    paths = log_files(A.bulk_data)
    # zcat and igzip -dc of every file to /dev/null: one process, all files
    listing = A.out + ".files"
    with open(listing, "wb") as f:
        f.write(b"\0".join(x.encode() for x in paths))

    def decompress(cmd, n=runs):
        """Seconds and bytes out of one decompressor over every file (the best of n runs)."""
        times, sizes = [], set()
        for _ in range(n):
            n = 0
            t0 = time.monotonic()
            with subprocess.Popen(["xargs", "-0", "-a", listing] + cmd, stdout=subprocess.PIPE) as zp:
                while True:
                    chunk = zp.stdout.read(1 << 20)
                    if not chunk:
                        break
                    n += len(chunk)
            times.append(time.monotonic() - t0)
            sizes.add(n)
        if len(sizes) != 1:
            sys.exit(f"{cmd[0]} gave {sizes} bytes")
        return min(times), sizes.pop()

    zcat_s, raw_bytes = decompress(["zcat"])
    igzip_s, igzip_bytes = decompress(["igzip", "-dc"])
    if igzip_bytes != raw_bytes:
        sys.exit(f"igzip -dc gave {igzip_bytes} bytes, zcat {raw_bytes}")
    nfiles = len(paths)
    events = sum(f["records"] for f in files(A.bulk_data) if not f.get("insight"))
    mb = raw_bytes / 1e6

    duck = {}
    for threads in (1, 2):
        r = [json.loads(subprocess.run(["node", A.duckdb, os.path.join(A.bulk_data, "s3", "trail-bucket", "**", "*_CloudTrail_*.json.gz"), str(threads)],
                                       capture_output=True, text=True, check=True).stdout) for _ in range(runs)]
        duck[threads] = min(x["seconds"] for x in r)
        duck_count = int(r[0]["count"])
    if duck_count != events:
        sys.exit(f"DuckDB counted {duck_count} events, the generator wrote {events}")

    def line(section, what, secs, rss=None, ev=events, mbytes=mb):
        rows.append({"section": section, "what": what, "seconds": secs,
                     "events_s": ev / secs, "mb_s": mbytes / secs,
                     "vs_duck1": secs / duck[1], "vs_duck2": secs / duck[2],
                     "vs_zcat": secs / zcat_s, "vs_igzip": secs / igzip_s,
                     "rss_mb": rss / 1024 if rss else None})

    line("floor", "zcat of every file (1 process)", zcat_s)
    line("floor", "igzip -dc of every file (1 process, ISA-L)", igzip_s)
    line("reference", "DuckDB read_json, 1 thread", duck[1])
    line("reference", "DuckDB read_json, 2 threads", duck[2])

    def planned_workers(sets, query):
        """Insist that a "2 workers" row ran with 2 workers planned."""
        plan = psql(f"{sets}; EXPLAIN (COSTS OFF) {query}")[1]
        if "Workers Planned: 2" not in plan:
            sys.exit(f"the planner chose no parallel plan for: {query}\n{plan}")

    # ---- (a), (b): full aggregate
    for t, label in (("bulk_s3", "S3 table"), ("bulk_dir", "directory table")):
        planned_workers(PARALLEL, AGG.format(t=t))
        for mode, sets in (("serial", SERIAL), ("2 workers", PARALLEL)):
            (secs, out, _), rss = best(lambda: psql(f"{sets}; " + AGG.format(t=t)), runs)
            n = int(out.split("|")[0])
            if n != events:
                sys.exit(f"{label} counted {n}, expected {events}")
            line("(a,b) aggregate", f"{label}, {mode}", secs, rss)

    # ---- the same, with the S3 table served by objserve (GETs with sendfile)
    # instead of the emulator, in turns with the emulator rows again so that
    # the two see the same load
    served = {}
    planned_workers(PARALLEL, AGG.format(t="bulk_fs3"))
    for mode, sets in (("serial", SERIAL), ("2 workers", PARALLEL)):
        for t in ("bulk_s3", "bulk_fs3"):
            (secs, out, _), rss = best(lambda: psql(f"{sets}; " + AGG.format(t=t)), max(runs, 5))
            if int(out.split("|")[0]) != events:
                sys.exit(f"{t} counted {out}, expected {events}")
            served[(t, mode)] = (secs, rss)
    for mode in ("serial", "2 workers"):
        secs, rss = served[("bulk_fs3", mode)]
        line("(a,b) aggregate", f"S3 table served by objserve, {mode}", secs, rss)
    fast_gets = objserve_count(A.fast_port)[0]

    # ---- the inflater: the directory table, serial, by a zlib build and by this
    # build, and the two floors, in turns (the best of each over the rounds), so
    # that load from outside falls on all four alike
    builds = (("bulk_dir_zlib", "zlib_build_inflater"), ("bulk_dir", "cloudtrail_fdw_inflater"))
    inflate = {t: [999.0, psql(f"SELECT {fn}()")[1], 0] for t, fn in builds}
    floors = {"zcat": 999.0, "igzip": 999.0}
    rounds = max(runs, 5)
    for _ in range(rounds):
        for t, _fn in builds:
            secs, out, rss = psql(f"{SERIAL}; " + AGG.format(t=t))
            if int(out.split("|")[0]) != events:
                sys.exit(f"{t} counted {out}, expected {events}")
            inflate[t][0] = min(inflate[t][0], secs)
            inflate[t][2] = max(inflate[t][2], rss)
        floors["igzip"] = min(floors["igzip"], decompress(["igzip", "-dc"], 1)[0])
        floors["zcat"] = min(floors["zcat"], decompress(["zcat"], 1)[0])
    for t, _fn in builds:
        secs, lib, rss = inflate[t]
        line("inflater", f"directory table, serial, inflating with {lib}", secs, rss)

    # ---- (f): every column
    (secs, out, _), rss = best(lambda: psql(f"{SERIAL}; SELECT count(*) FROM (SELECT t.* FROM bulk_s3 t OFFSET 0) x"), runs)
    line("(f) all columns", "S3 table, serial, every column built", secs, rss)
    planned_workers(PARALLEL, "SELECT count(*) FROM (SELECT t.* FROM bulk_s3 t OFFSET 0) x")
    (secs, out, _), rss = best(lambda: psql(f"{PARALLEL}; SELECT count(*) FROM (SELECT t.* FROM bulk_s3 t OFFSET 0) x"), runs)
    line("(f) all columns", "S3 table, 2 workers, every column built", secs, rss)

    # ---- (e): windows, and requests against the minimum
    fl = [f for f in files(A.bulk_data) if not f.get("insight")]
    end = max(stamp(f["key"]) for f in fl) - 2 * 86400
    end = end - end % 3600
    delay = 6 * 3600
    req_rows = []
    for label, width in (("1-hour window", 3600), ("1-day window", 86400)):
        lo, hi = end - width, end
        lo_s = dt.datetime.fromtimestamp(lo, dt.timezone.utc).isoformat()
        hi_s = dt.datetime.fromtimestamp(hi, dt.timezone.utc).isoformat()
        ctl(A.bulk_port, "reset", {})
        sql = f"{SERIAL}; SELECT count(*) FROM bulk_s3 WHERE event_time >= '{lo_s}' AND event_time < '{hi_s}'"
        secs, out, rss = psql(sql)
        log = ctl(A.bulk_port, "log")
        gets = [e for e in log if e.get("op") == "GetObject"]
        lists = [e for e in log if e.get("op") == "ListObjectsV2"]
        want = [f for f in fl if lo - 60 < stamp(f["key"]) + 60 and stamp(f["key"]) <= hi + delay]
        per_folder = {}
        for f in want:
            per_folder.setdefault((f["account"], f["region"]), []).append(f)
        min_lists = sum(max(1, math.ceil(len(v) / 1000)) for v in per_folder.values())
        outside = [g for g in gets if not (lo - 60 < stamp(g["key"]) + 60 and stamp(g["key"]) <= hi + delay)]
        req_rows.append({"what": label, "rows": int(out), "seconds": secs,
                         "gets": len(gets), "min_gets": len(want), "outside": len(outside),
                         "lists": len(lists), "min_lists": min_lists,
                         "discovery_lists": len([e for e in lists if e.get("delimiter")])})
        line("(e) windows", f"{label}, serial", secs, rss, ev=int(out) or 1, mbytes=0.0001)

    # ---- (g): the realistic trail, 50 ms a request
    if not A.bulk_only:
        real_files = [f for f in files(A.real_data) if not f.get("insight")]
        lat = int(A.latency_ms) / 1000
        default_n = int(A.default_concurrency)
        bound = default_n / lat
        ctl(A.real_port, "latency", {"ms": int(A.latency_ms)})
        secs, out, rss = psql(f"{SERIAL}; " + AGG.format(t="real_s3"))
        real_events = int(out.split("|")[0])
        g_full = secs
        line("(g) realistic trail", f"S3 table, {len(real_files)} files of 1-10 records, {A.latency_ms} ms a request",
             secs, rss, ev=real_events)
        day_lo = end - 86400
        ctl(A.real_port, "reset", {})
        ctl(A.real_port, "latency", {"ms": int(A.latency_ms)})
        lo_s = dt.datetime.fromtimestamp(day_lo, dt.timezone.utc).isoformat()
        hi_s = dt.datetime.fromtimestamp(end, dt.timezone.utc).isoformat()
        secs_day, out_day, rss_day = psql(f"{SERIAL}; SELECT count(*) FROM real_s3 WHERE event_time >= '{lo_s}' AND event_time < '{hi_s}'")
        day_gets = len([e for e in ctl(A.real_port, "log") if e.get("op") == "GetObject"])
        line("(g) realistic trail", "S3 table, 1-day window", secs_day, rss_day, ev=int(out_day), mbytes=0.0001)
        # aws s3 sync of the same prefix, then the directory table
        sync_dir = os.path.join(A.out + ".sync")
        env = dict(os.environ, CTEMU_ENDPOINT=f"http://127.0.0.1:{A.real_port}",
                   AWS_ACCESS_KEY_ID="AKIACTFDWEXAMPLE1111",
                   AWS_SECRET_ACCESS_KEY="ctfdwSecret1111/EXAMPLEKEY+aaaaaaaaaaaaaaa",
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        t0 = time.monotonic()
        subprocess.run([A.aws, "s3", "sync", "--quiet", "--exclude", "*", "--include", "*_CloudTrail_*",
                        "s3://trail-bucket/AWSLogs/", os.path.join(sync_dir, "AWSLogs")],
                       env=env, check=True)
        sync_s = time.monotonic() - t0
        subprocess.run(["chmod", "-R", "a+rX", sync_dir], check=True)
        secs_dir, out_dir, _ = psql(f"{SERIAL}; CREATE FOREIGN TABLE IF NOT EXISTS real_dir (event_name text, event_time timestamptz) "
                                    f"SERVER real OPTIONS (directory '{sync_dir}'); " + AGG.format(t="real_dir"))
        if int(out_dir.split("|")[0]) != real_events:
            sys.exit("the synced copy does not hold the same events")
        line("(g) realistic trail", f"aws s3 sync ({sync_s:.1f} s) + directory table ({secs_dir:.1f} s)",
             sync_s + secs_dir, None, ev=real_events)
        ctl(A.real_port, "latency", {"ms": 0})

        # ---- max_concurrency against files/s: the one-day window of the
        # realistic trail through objserve, which adds the latency itself
        # (to its own answers and to the listings it passes on)
        wsql = f"SELECT count(*) FROM real_fs3 WHERE event_time >= '{lo_s}' AND event_time < '{hi_s}'"

        def window_rate(sets):
            g0 = objserve_count(A.real_fast_port)[0]
            secs, out, rss = psql(f"{sets}; {wsql}")
            if out != out_day:
                sys.exit(f"the window through objserve counted {out}, the emulator {out_day}")
            gets = objserve_count(A.real_fast_port)[0] - g0
            return {"secs": secs, "gets": gets, "rate": gets / secs, "rss": rss}

        for n in SWEEP:
            psql(f"ALTER FOREIGN TABLE real_fs3 OPTIONS ({'SET' if sweep else 'ADD'} max_concurrency '{n}')")
            sweep.append(dict(window_rate(SERIAL), n=n, bound=n / lat))
        psql("ALTER FOREIGN TABLE real_fs3 OPTIONS (DROP max_concurrency)")
        # the whole realistic trail through objserve, at the default
        full_fast = {}
        for mode, sets in (("serial", SERIAL), ("2 workers", PARALLEL)):
            g0 = objserve_count(A.real_fast_port)[0]
            secs, out, rss = psql(f"{sets}; " + AGG.format(t="real_fs3"))
            if int(out.split("|")[0]) != real_events:
                sys.exit(f"real_fs3 counted {out}, expected {real_events}")
            full_fast[mode] = {"secs": secs, "gets": objserve_count(A.real_fast_port)[0] - g0}
            line("(g) realistic trail", f"S3 table served by objserve, {A.latency_ms} ms a request, {mode}",
                 secs, rss, ev=real_events)
        # the window is estimated too small for a parallel plan: cost it free
        plan = psql(f"{PARALLEL_FREE}; EXPLAIN (COSTS OFF) {wsql}")[1]
        at_default = {"serial": window_rate(SERIAL),
                      "2 workers": window_rate(PARALLEL_FREE) if "Workers Planned: 2" in plan else None}


    # ---- RESULTS.md
    cpu = "unknown"
    try:
        cpu = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")][0]
    except (OSError, IndexError):
        pass
    mem = int([l for l in open("/proc/meminfo") if l.startswith("MemTotal")][0].split()[1]) / 1024 / 1024
    w = []
    w.append("# Benchmark results\n")
    w.append(f"Measured by `test/bench/run` (scale {A.scale}) on {dt.date.today()} at commit {A.commit}; "
             f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.platform()}. "
             f"Each time is the best of {runs} runs unless one run is shown. Load average (1 minute) "
             f"{load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end: the cores may be shared.\n")
    w.append(f"Bulk trail: {events:,} events in {nfiles:,} files (~150 records each), 7 days, 2 accounts, "
             f"2 regions; {raw_bytes / 1e6:.0f} MB of JSON, {sum(os.path.getsize(x) for x in paths) / 1e6:.1f} MB gzipped. "
             + ("" if A.bulk_only else
                f"Realistic trail: the same events in {len(real_files):,} files of 1-10 records, served with "
                f"{A.latency_ms} ms added to every request.") + "\n")
    w.append("| section | what | seconds | events/s | MB/s of JSON | vs DuckDB 1 thread | vs DuckDB 2 threads | vs zcat floor | vs igzip floor | peak backend RSS |")
    w.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        small = r["mb_s"] < 0.01
        w.append(f"| {r['section']} | {r['what']} | {r['seconds']:.2f} | {r['events_s']:,.0f} | "
                 f"{'' if small else format(r['mb_s'], ',.0f')} | "
                 f"{'' if small else format(r['vs_duck1'], '.2f') + 'x'} | {'' if small else format(r['vs_duck2'], '.2f') + 'x'} | "
                 f"{'' if small else format(r['vs_zcat'], '.2f') + 'x'} | "
                 f"{'' if small else format(r['vs_igzip'], '.2f') + 'x'} | "
                 f"{'' if r['rss_mb'] is None else format(r['rss_mb'], '.0f') + ' MB'} |")
    w.append("\nRatios are time over the reference's time: below 1 is faster than the reference.\n")
    w.append("## Requests for a time window (bulk trail, serial scan)\n")
    w.append("| window | rows | GETs | minimum GETs | GETs outside [start, end + max_delivery_delay] | LISTs | minimum LISTs |")
    w.append("|---|---:|---:|---:|---:|---:|---:|")
    for r in req_rows:
        w.append(f"| {r['what']} | {r['rows']:,} | {r['gets']} | {r['min_gets']} | {r['outside']} | "
                 f"{r['lists']} (of which {r['discovery_lists']} discovery) | {r['min_lists']} |")
    w.append("\nMinimum GETs: the files stamped in the window widened by the delivery delay (6 hours); minimum "
             "LISTs: one page per account and region folder holding such files. Discovery listings find the "
             "accounts and regions when the WHERE clause does not name them.\n")
    w.append("## Inflating: ISA-L against zlib (directory table, serial)\n")
    w.append("| build | seconds | vs igzip -dc floor | vs zcat floor |")
    w.append("|---|---:|---:|---:|")
    for t, _fn in builds:
        secs, lib, _ = inflate[t]
        w.append(f"| {lib} (`cloudtrail_fdw_inflater()`) | {secs:.2f} | {secs / floors['igzip']:.2f}x | "
                 f"{secs / floors['zcat']:.2f}x |")
    w.append(f"\n`{AGG.format(t='...')}` on the bulk trail. The zlib row is the same tree built with "
             f"`make WITH_ISAL=0`. The two builds and the two floors (`igzip -dc` {floors['igzip']:.2f} s, "
             f"`zcat` {floors['zcat']:.2f} s: one process over every file, output counted and dropped) "
             f"ran in turns, {rounds} rounds, and each figure is its best round.\n")
    if not A.bulk_only:
        w.append("## Many small files over a slow link\n")
        w.append(f"Full scan: {len(real_files):,} GETs in {g_full:.1f} s = {len(real_files) / g_full:,.0f} files/s; "
                 f"the bound max_concurrency / latency is {default_n} / {lat:.3f} s = {bound:,.0f} files/s "
                 f"({len(real_files) / g_full / bound * 100:.0f}% of it). "
                 f"1-day window: {day_gets} GETs in {secs_day:.1f} s. "
                 f"`aws s3 sync` of the same files took {sync_s:.1f} s before the directory table could start. "
                 "Through objserve (the same latency, added by it): serial "
                 f"{full_fast['serial']['gets']:,} GETs in {full_fast['serial']['secs']:.1f} s = "
                 f"{full_fast['serial']['gets'] / full_fast['serial']['secs']:,.0f} files/s "
                 f"({full_fast['serial']['gets'] / full_fast['serial']['secs'] / bound * 100:.0f}% of the bound); "
                 f"2 workers (each participant with max_concurrency GETs of its own) "
                 f"{full_fast['2 workers']['gets']:,} GETs in {full_fast['2 workers']['secs']:.1f} s, "
                 f"{full_fast['serial']['secs'] / full_fast['2 workers']['secs']:.2f} times the serial rate.\n")
    emu_s, fast_s = served[("bulk_s3", "serial")][0], served[("bulk_fs3", "serial")][0]
    emu_p, fast_p = served[("bulk_s3", "2 workers")][0], served[("bulk_fs3", "2 workers")][0]
    w.append(OBJSERVE + "\n")
    w.append("| S3 table | emulator (Python) | objserve (C, sendfile) | objserve vs emulator | objserve vs DuckDB 2 threads |")
    w.append("|---|---:|---:|---:|---:|")
    for mode, e, f_ in (("serial", emu_s, fast_s), ("2 workers", emu_p, fast_p)):
        w.append(f"| {mode} | {e:.2f} s | {f_:.2f} s | {f_ / e:.2f}x | {f_ / duck[2]:.2f}x |")
    w.append(f"\n`{AGG.format(t='...')}` on the bulk trail, the emulator's and objserve's rows in turns, "
             f"each the best of {max(runs, 5)} runs. objserve answered {fast_gets:,} GETs itself (with "
             "sendfile, from one epoll loop) and passed the listings on to the emulator; SigV4 is not "
             "checked. The emulator is a threaded Python server on the same two cores as the backend and "
             "its workers: what objserve saves is the emulator's share of those cores.\n")
    if not A.bulk_only:
        w.append(SWEEP_HEAD.format(ms=A.latency_ms) + "\n")
        w.append("| max_concurrency | GETs | seconds | files/s | bound (max_concurrency / latency) | of the bound | peak backend RSS |")
        w.append("|---:|---:|---:|---:|---:|---:|---:|")
        for r in sweep:
            w.append(f"| {r['n']} | {r['gets']:,} | {r['secs']:.2f} | {r['rate']:,.0f} | {r['bound']:,.0f} | "
                     f"{r['rate'] / r['bound'] * 100:.0f}% | {r['rss'] / 1024:.0f} MB |")
        ser, par = at_default["serial"], at_default["2 workers"]
        w.append(f"\nThe one-day window of the realistic trail ({ser['gets']:,} files of 1-10 records), "
                 f"{A.latency_ms} ms added by objserve to every request (GETs and the listings it passes "
                 "on), serial scans, one run each. At the default "
                 f"(max_concurrency {default_n}): serial {ser['rate']:,.0f} files/s "
                 f"({ser['rate'] / (default_n / lat) * 100:.0f}% of the bound)"
                 + (f", 2 workers {par['rate']:,.0f} files/s ({par['rate'] / ser['rate']:.2f} times serial; "
                    "parallel_setup_cost and parallel_tuple_cost 0, as the window is estimated too small "
                    "for a parallel plan otherwise)."
                    if par else ", and the planner chose no parallel plan for the window.") + "\n")
    # the sections other benchmarks write (digest validation, ...) stay
    if A.keep_from and os.path.exists(A.keep_from):
        own = {h.split("\n")[0] for h in ("\n".join(w)).split("\n## ")[1:]}
        for sec in open(A.keep_from).read().split("\n## ")[1:]:
            if sec.split("\n")[0] not in own:
                w.append("## " + sec.rstrip("\n") + "\n")
    with open(A.out, "w") as f:
        f.write("\n".join(w) + "\n")
    print("\n".join(w))


if __name__ == "__main__":
    main()
