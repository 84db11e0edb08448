#!/usr/bin/python3
"""aws-cli's verdicts on a generated trail, as data.

Runs Debian's `aws cloudtrail validate-logs --verbose` (through aws-emu, so
that every client it makes talks to the emulator) once per account and
region, and parses what it prints into one verdict per file:

    {"s3://bucket/key": {"kind": "digest" | "log", "backfill": bool,
                         "status": "valid" | "not_found" | ..., "text": "INVALID: ..."}}

plus the gaps it reports ("No log files were delivered by CloudTrail between
X and Y"), its summary counts and its exit status.  As a program it prints
that as JSON:

    awsvalidate.py --endpoint http://127.0.0.1:PORT --data DIR --start ISO [--end ISO]
                   [--account A] [--region R]

Accounts, regions, trail name, home region and organization come from the
generator's DIR/trail.json.  Standard library only (aws-cli runs in its own
process).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"      # Debian's, with Debian's awscli
# The emulator's first static identity: the account DescribeTrails' ARN names.
ACCESS_KEY = ("AKIACTFDWEXAMPLE1111", "ctfdwSecret1111/EXAMPLEKEY+aaaaaaaaaaaaaaa")

# aws-cli's wording -> a status name; anything else is "other"
STATUSES = [
    ("valid", "valid"),
    ("INVALID: hash value doesn't match", "hash_mismatch"),
    ("INVALID: not found", "not_found"),
    ("INVALID: invalid format", "invalid_format"),
    ("INVALID: signature verification failed", "signature_failed"),
    ("INVALID: public key not found in region", "public_key_not_found"),
    ("INVALID: has been moved from its original location", "moved"),
    ("INVALID: Unable to load PKCS #1 key", "bad_public_key"),
]
LINE = re.compile(r"^(\(backfill\) )?(Digest|Log) file\t(s3://[^\t]+)\t(.*)$")
GAP = re.compile(r"^No log files were delivered by CloudTrail between (\S+) and (\S+)$")
RATIO = re.compile(r"(\d+)/(\d+) (backfill digest|digest|log) files (valid|INVALID)")


def status_of(text):
    for prefix, name in STATUSES:
        if text == prefix or text.startswith(prefix + " ") or (prefix != "valid" and text.startswith(prefix)):
            return name
    return "other"


def parse(stdout, stderr=""):
    """Per-file verdicts, gaps and summary counts from validate-logs' output.
    A file named twice keeps every verdict in "all"; "files" has the last."""
    files, every, gaps, summary = {}, [], [], {}
    for line in (stdout + "\n" + stderr).splitlines():
        m = LINE.match(line)
        if m:
            v = {"kind": m.group(2).lower(), "backfill": bool(m.group(1)), "url": m.group(3),
                 "text": m.group(4), "status": status_of(m.group(4))}
            every.append(v)
            files[v["url"]] = v
            continue
        m = GAP.match(line)
        if m:
            gaps.append([m.group(1), m.group(2)])
            continue
        for n, total, what, verdict in RATIO.findall(line):
            summary[f"{what.replace(' ', '_')}_{verdict.lower()}"] = int(n)
            summary[f"{what.replace(' ', '_')}_total"] = int(total)
        if line.startswith("No digests found") or line.startswith("No valid digests found"):
            summary["none"] = line
    return {"files": files, "all": every, "gaps": gaps, "summary": summary}


def trail_arn(trail):
    acct = trail["accounts"][0]
    return f"arn:aws:cloudtrail:{trail['home_region']}:{acct}:trail/{trail['trail_name']}"


def run(endpoint, trail, account, region, start, end=None, timeout=600):
    """One validate-logs run; returns parse()'s dict with "rc", "stdout", "stderr"."""
    args = [PYTHON, os.path.join(HERE, "aws-emu"), "cloudtrail", "validate-logs",
            "--trail-arn", trail_arn(trail), "--start-time", start, "--verbose", "--region", region]
    if end:
        args += ["--end-time", end]
    if trail.get("organization_id") or account != trail["accounts"][0]:
        args += ["--account-id", account]
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, CTEMU_ENDPOINT=endpoint, AWS_ACCESS_KEY_ID=ACCESS_KEY[0],
                   AWS_SECRET_ACCESS_KEY=ACCESS_KEY[1], AWS_DEFAULT_REGION=region,
                   AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                   AWS_PAGER="", HOME=home)
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)
        p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    out = parse(p.stdout, p.stderr)
    out.update(rc=p.returncode, stdout=p.stdout, stderr=p.stderr, account=account, region=region)
    return out


def run_all(endpoint, data, start, end=None, accounts=None, regions=None):
    """validate-logs for every account and region of the generated trail;
    the verdicts of all runs merged (each file belongs to one run)."""
    trail = json.load(open(os.path.join(data, "trail.json")))
    merged = {"files": {}, "all": [], "gaps": [], "runs": []}
    for acct in accounts or trail["accounts"]:
        for region in regions or trail["regions"]:
            r = run(endpoint, trail, acct, region, start, end)
            merged["files"].update(r["files"])
            merged["all"] += r["all"]
            merged["gaps"] += [[acct, region] + g for g in r["gaps"]]
            merged["runs"].append({k: r[k] for k in ("account", "region", "rc", "summary")}
                                  | ({"stderr": r["stderr"]} if r["rc"] not in (0, 1) else {}))
    return merged


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--endpoint", required=True, help="the emulator, http://127.0.0.1:PORT")
    p.add_argument("--data", required=True, help="the generator's data directory")
    p.add_argument("--start", required=True)
    p.add_argument("--end")
    p.add_argument("--account", action="append")
    p.add_argument("--region", action="append")
    a = p.parse_args(argv)
    out = run_all(a.endpoint, a.data, a.start, a.end, a.account, a.region)
    del out["all"]
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
