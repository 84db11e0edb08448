#!/usr/bin/env python3
"""Digest validation: cloudtrail_validate_summary() against aws-cli's
validate-logs, one account and region after another, on the same trail
and in the same run.  Run by test/bench/validate, which starts the cluster
and the emulator.  Standard library only.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "emulator"))
import awsvalidate  # noqa: E402

START, END = "2026-11-18T00:00:00Z", "2026-11-20T00:00:00Z"


def ctl(port, what, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/_ctl/{what}", data=json.dumps(body).encode())
    return json.loads(urllib.request.urlopen(req).read())


def psql(a, sql):
    """(seconds, rows, peak RSS kB of the backend) of sql in a fresh session."""
    script = f"\\set ON_ERROR_STOP 1\n{sql};\nSELECT pg_read_file('/proc/self/status');\n"
    t0 = time.monotonic()
    out = subprocess.run([a.psql, "-X", "-A", "-t", "-q", "-h", a.pghost, "-p", str(a.pgport),
                          "-U", "postgres", "-d", "postgres"], input=script, capture_output=True, text=True)
    secs = time.monotonic() - t0
    if out.returncode != 0:
        sys.exit(f"psql failed: {out.stderr}")
    text = out.stdout
    hwm = int(text.split("VmHWM:")[1].split()[0]) if "VmHWM:" in text else 0
    return secs, [line.split("|") for line in text.split("Name:")[0].strip().splitlines()], hwm


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for o in ("pghost", "pgport", "psql", "data", "port", "latency-ms", "commit", "out"):
        p.add_argument("--" + o, required=True)
    a = p.parse_args()
    trail = json.load(open(os.path.join(a.data, "trail.json")))
    lat = int(a.latency_ms) / 1000
    ctl(a.port, "latency", {"ms": int(a.latency_ms)})

    secs, rows, rss = psql(a, f"SELECT kind, status, files, requests FROM cloudtrail_validate_summary("
                              f"'trail', '{START}', '{END}')")
    ours = {(k, s): int(n) for k, s, n, _ in rows}
    requests = int(rows[0][3]) if rows else 0
    files = sum(n for (k, _), n in ours.items() if k in ("digest", "log"))
    logs = sum(n for (k, _), n in ours.items() if k == "log")
    valid = sum(n for (k, s), n in ours.items() if s == "valid")

    t0 = time.monotonic()
    runs = [awsvalidate.run(f"http://127.0.0.1:{a.port}", trail, acct, region, START, END, timeout=3600)
            for acct in trail["accounts"] for region in trail["regions"]]
    aws_secs = time.monotonic() - t0
    aws_files = sum(len(r["files"]) for r in runs)
    aws_valid = sum(1 for r in runs for v in r["files"].values() if v["status"] == "valid")
    ctl(a.port, "latency", {"ms": 0})
    if files != aws_files or valid != files or aws_valid != aws_files:
        sys.exit(f"verdicts differ: ours {ours}, aws-cli {aws_valid}/{aws_files} valid")

    bound = 32 / lat
    rate, aws_rate = files / secs, aws_files / aws_secs
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    w = ["## Digest validation", "",
         f"Measured by `test/bench/validate` on {time.strftime('%Y-%m-%d')} at commit {a.commit}; "
         f"{os.cpu_count()} cores ({cpu}), {platform.platform()}. One run each.", "",
         f"Trail: {trail['files']:,} log files of 1-10 records, 2 days, {len(trail['accounts'])} accounts, "
         f"{len(trail['regions'])} regions, a digest every hour; {a.latency_ms} ms added to every request. "
         f"Window {START} to {END}: {files - logs:,} digests and {logs:,} log files, all valid "
         "for both.", "",
         "| what | seconds | files/s | vs aws-cli | of the max_concurrency / latency bound | requests | peak backend RSS |",
         "|---|---:|---:|---:|---:|---:|---:|",
         f"| cloudtrail_validate_summary(), whole window | {secs:.1f} | {rate:,.0f} | {aws_secs / secs:.1f}x faster "
         f"| {rate / bound:.0%} of {bound:,.0f} | {requests:,} | {rss / 1024:.0f} MB |",
         f"| aws cloudtrail validate-logs, once per account and region ({len(runs)} runs) | {aws_secs:.1f} "
         f"| {aws_rate:,.0f} | 1.0x | | | |", ""]
    with open(a.out, "w") as f:
        f.write("\n".join(w) + "\n")
    print("\n".join(w))


if __name__ == "__main__":
    main()
