#!/usr/bin/env python3
"""Tamper with a generated trail the ways integrity validation must catch.

    tamper.py --data DIR CASE [--account A] [--region R] [--at ISO] [--emu URL]

Works on the generator's data directory (gentrail.py; its digests.ndjson
says which digest covers which log file).  The victim is chosen from the
regular digests of the account and region (default: the trail's first of
each) ending at or after --at (default: the middle of the period); a log file
case takes the first log file such a digest lists.  --emu makes a running
emulator re-read the bucket.  Prints what was changed as JSON: the case, the
kind of file (digest or log), its s3:// URL and the digest that covers it.

Cases:
  alter-log       one log file's records changed (re-gzipped)
  delete-log      one log file deleted
  truncate-log    one log file cut to half its gzipped bytes
  append-log      a second gzip member appended to one log file (trailing data)
  add-log         a log file added in an hour a digest already covers
  delete-digest   one digest deleted (not the newest: a newer one points to it)
  alter-digest    one digest's JSON changed, its signature kept
  foreign-key     one digest re-signed with a key ListPublicKeys never returns
  copy-digest     one digest copied over the key of the digest before it
  not-json        one digest's content replaced by text that is not JSON
  missing-keys    one digest without digestStartTime (--drop: another key)
  bad-signature   one digest's x-amz-meta-signature not hex (--missing: removed)

Standard library only.
"""
import argparse
import datetime as dt
import gzip
import hashlib
import json
import os
import string
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import testkey  # noqa: E402


class Trail:
    def __init__(self, data):
        self.data = data
        self.info = json.load(open(os.path.join(data, "trail.json")))
        self.bucket = self.info["bucket"]
        with open(os.path.join(data, "digests.ndjson")) as f:
            self.digests = [json.loads(line) for line in f if line.strip()]

    def path(self, key):
        return os.path.join(self.data, "s3", self.bucket, key)

    def meta_path(self, key):
        return os.path.join(self.data, "meta", self.bucket, key + ".json")

    def url(self, key):
        return f"s3://{self.bucket}/{key}"

    def read(self, key):
        with open(self.path(key), "rb") as f:
            return f.read()

    def write(self, key, data):
        os.makedirs(os.path.dirname(self.path(key)), exist_ok=True)
        with open(self.path(key), "wb") as f:
            f.write(data)

    def meta(self, key):
        p = self.meta_path(key)
        return json.load(open(p)) if os.path.exists(p) else {}

    def write_meta(self, key, meta):
        os.makedirs(os.path.dirname(self.meta_path(key)), exist_ok=True)
        with open(self.meta_path(key), "w") as f:
            json.dump(meta, f)

    def delete(self, key):
        os.unlink(self.path(key))
        if os.path.exists(self.meta_path(key)):
            os.unlink(self.meta_path(key))

    def chain(self, account, region):
        return sorted((d for d in self.digests if d["account"] == account and d["region"] == region
                       and not d["backfill"]), key=lambda d: d["end"])

    def pick(self, account, region, at, with_logs=False, with_previous=False):
        """The first regular digest ending at or after `at` that fits, and not
        the newest of its chain (a newer digest points to it)."""
        chain = self.chain(account, region)
        for d in chain[:-1]:
            if d["end"] >= at and (d["logs"] or not with_logs) and (d["previous"] or not with_previous):
                return d
        sys.exit(f"tamper: no digest of {account} {region} after {at} fits")


def gz(raw):
    return gzip.compress(raw, mtime=0)


def sign_digest(t, key, digest, k):
    """Write digest (a dict) at key, signed with testkey.KEYS[k]."""
    raw = json.dumps(digest, separators=(",", ":")).encode()
    to_sign = "\n".join([digest["digestEndTime"], f"{digest['digestS3Bucket']}/{digest['digestS3Object']}",
                         hashlib.sha256(raw).hexdigest(),
                         digest["previousDigestSignature"] or "null"]).encode()
    t.write(key, gz(raw))
    meta = t.meta(key)
    meta["signature"] = testkey.sign(to_sign, k).hex()
    t.write_meta(key, meta)


def tamper(t, case, d, a):
    """Apply `case` around digest d; returns (kind, key)."""
    key = d["key"]
    if case.endswith("-log") and case != "add-log":
        log = d["logs"][0]
        raw = t.read(log)
        if case == "alter-log":
            text = gzip.decompress(raw)
            i = text.find(b'"eventName":"')
            i = i + len(b'"eventName":"') if i >= 0 else len(text) - 2
            t.write(log, gz(text[:i] + b"X" + text[i:]))
        elif case == "delete-log":
            t.delete(log)
        elif case == "truncate-log":
            t.write(log, raw[:len(raw) // 2])
        elif case == "append-log":
            t.write(log, raw + gz(b'{"Records":[]}'))
        return "log", log
    if case == "add-log":
        first = d["logs"][0]
        folder, name = first.rsplit("/", 1)
        start = dt.datetime.fromisoformat(d["start"].replace("Z", "+00:00"))
        when = start + dt.timedelta(minutes=30)
        acct, _, region = name.split("_")[:3]
        unique = "".join(string.ascii_letters[(i * 7 + len(first)) % 52] for i in range(16))
        new = f"{folder}/{acct}_CloudTrail_{region}_{when:%Y%m%dT%H%M}Z_{unique}.json.gz"
        t.write(new, t.read(first))
        return "log", new
    if case == "delete-digest":
        t.delete(key)
        return "digest", key
    digest = json.loads(gzip.decompress(t.read(key)))
    if case == "alter-digest":
        if digest["logFiles"]:
            h = digest["logFiles"][0]["hashValue"]
            digest["logFiles"][0]["hashValue"] = ("0" if h[0] != "0" else "1") + h[1:]
        else:
            digest["oldestEventTime"] = digest["digestStartTime"]
        t.write(key, gz(json.dumps(digest, separators=(",", ":")).encode()))
    elif case == "foreign-key":
        digest["digestPublicKeyFingerprint"] = testkey.fingerprint(testkey.ROGUE)
        sign_digest(t, key, digest, testkey.ROGUE)
    elif case == "copy-digest":
        target = d["previous"]
        t.write(target, t.read(key))
        t.write_meta(target, t.meta(key))
        return "digest", target
    elif case == "not-json":
        t.write(key, gz(b"this is not JSON {\n"))
    elif case == "missing-keys":
        del digest[a.drop]
        t.write(key, gz(json.dumps(digest, separators=(",", ":")).encode()))
    elif case == "bad-signature":
        meta = t.meta(key)
        if a.missing:
            del meta["signature"]
        else:
            meta["signature"] = "zz" + meta["signature"][2:]
        t.write_meta(key, meta)
    else:
        sys.exit(f"tamper: unknown case {case}")
    return "digest", key


CASES = ("alter-log", "delete-log", "truncate-log", "append-log", "add-log", "delete-digest",
         "alter-digest", "foreign-key", "copy-digest", "not-json", "missing-keys", "bad-signature")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("case", choices=CASES)
    p.add_argument("--data", required=True)
    p.add_argument("--account")
    p.add_argument("--region")
    p.add_argument("--at", help="the victim digest ends at or after this time (ISO)")
    p.add_argument("--drop", default="digestStartTime", help="missing-keys: the key to drop")
    p.add_argument("--missing", action="store_true", help="bad-signature: remove the header")
    p.add_argument("--emu", help="a running emulator to reload, http://127.0.0.1:PORT")
    a = p.parse_args(argv)
    t = Trail(a.data)
    account = a.account or t.info["accounts"][0]
    region = a.region or t.info["regions"][0]
    at = a.at
    if not at:
        t0 = dt.datetime.fromisoformat(t.info["start"].replace("Z", "+00:00"))
        t1 = dt.datetime.fromisoformat(t.info["end"].replace("Z", "+00:00"))
        at = (t0 + (t1 - t0) / 2).strftime("%Y-%m-%dT%H:%M:%SZ")
    d = t.pick(account, region, at, with_logs=a.case.endswith("-log"),
               with_previous=a.case == "copy-digest")
    kind, key = tamper(t, a.case, d, a)
    if a.emu:
        urllib.request.urlopen(urllib.request.Request(a.emu.rstrip("/") + "/_ctl/reload", data=b"{}"))
    json.dump({"case": a.case, "kind": kind, "url": t.url(key), "key": key, "account": account,
               "region": region, "digest": t.url(d["key"]), "digest_start": d["start"],
               "digest_end": d["end"]}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
