#!/usr/bin/env python3
"""Deterministic CloudTrail trail generator for the local emulator.

Writes a trail as CloudTrail delivers it, built from the real records in
../shared/data/real-cloudtrail/records.ndjson, re-stamped:

  <data>/s3/<bucket>/[<prefix>/]AWSLogs/[<org>/]<acct>/CloudTrail/<region>/YYYY/MM/DD/<file>.json.gz
  <data>/s3/<bucket>/.../CloudTrail-Insight/<region>/YYYY/MM/DD/<file>.json.gz
  <data>/s3/<bucket>/.../CloudTrail-Digest/<region>/YYYY/MM/DD/<digest>.json.gz
  <data>/meta/<bucket>/<key>.json          x-amz-meta-* of digest objects
  <data>/lookup/<acct>/<region>.ndjson     management events for LookupEvents, newest first
  <data>/lookup/<acct>/<region>.insight.ndjson
  <data>/trail.json                        what was generated (DescribeTrails, tests)
  <data>/files.ndjson, digests.ndjson      every log and digest file written
  <data>/public-keys.json                  what ListPublicKeys returns, per region

Files are delivered every ~5 minutes, a few hours late now and then, with
some duplicate eventIDs; digests are hourly (hours without log files too),
chained, and signed with testkey.  Options add what integrity validation has
to cope with: logging stopped and restarted (a new chain starts while older
digests remain), backfill digests (their own chain) and a key rotation.

Standard library only.  Same arguments, same bytes.
"""
import argparse
import datetime as dt
import gzip
import hashlib
import json
import os
import random
import string
import sys
import uuid

import testkey

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_RECORDS = os.path.join(HERE, "..", "..", "..", "shared", "data",
                               "real-cloudtrail", "records.ndjson")


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def is_insight(rec):
    return rec.get("eventType") == "AwsCloudTrailInsight" or "insightDetails" in rec


def is_management(rec):
    if rec.get("managementEvent") is False:
        return False
    return rec.get("eventCategory", "Management") == "Management"


class Trail:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.out = a.data
        self.bucket = a.bucket
        base = (a.prefix.rstrip("/") + "/" if a.prefix else "") + "AWSLogs/"
        if a.organization_id:
            base += a.organization_id + "/"
        self.base = base
        self.accounts = a.accounts
        self.regions = a.regions
        with open(a.records) as f:
            recs = [json.loads(line) for line in f if line.strip()]
        self.logrecs = [r for r in recs if not is_insight(r)]
        self.insightrecs = [r for r in recs if is_insight(r)]
        self.end = (dt.datetime.fromisoformat(a.end.replace("Z", "+00:00")) if a.end
                    else dt.datetime.now(dt.timezone.utc)).replace(minute=0, second=0, microsecond=0)
        self.start = self.end - dt.timedelta(days=a.days)
        self.files = []          # (acct, region, delivery, key, nrecords)
        self.digests = []        # every digest written, for tests
        self.stopped = [(self.start + dt.timedelta(hours=h), self.start + dt.timedelta(hours=h + n))
                        for h, n in a.stop_logging]
        self.rotation = (self.start + dt.timedelta(hours=a.rotate_key_at)
                         if a.rotate_key_at is not None else None)
        self.lookup = {}         # (acct, region, kind) -> [record]

    def logging_stopped(self, t):
        return any(t0 <= t < t1 for t0, t1 in self.stopped)

    def unique16(self):
        return "".join(self.rng.choice(string.ascii_letters + string.digits) for _ in range(16))

    def put(self, key, payload, meta=None):
        path = os.path.join(self.out, "s3", self.bucket, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        raw = json.dumps(payload, separators=(",", ":")).encode()
        with open(path, "wb") as f:
            # mtime=0 keeps the bytes reproducible
            f.write(gzip.compress(raw, compresslevel=6, mtime=0))
        if meta:
            mpath = os.path.join(self.out, "meta", self.bucket, key + ".json")
            os.makedirs(os.path.dirname(mpath), exist_ok=True)
            with open(mpath, "w") as f:
                json.dump(meta, f)
        return raw

    def restamp(self, src, acct, region, when):
        rec = json.loads(json.dumps(src))
        rec["eventTime"] = iso(when)
        rec["awsRegion"] = region
        rec["recipientAccountId"] = acct
        rec["eventID"] = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        ui = rec.get("userIdentity")
        if isinstance(ui, dict) and "accountId" in ui and ui.get("type") != "AWSService":
            ui["accountId"] = acct
        return rec

    def folder(self, acct, kind, region, t):
        return f"{self.base}{acct}/{kind}/{region}/{t:%Y/%m/%d}/"

    def gen_logs(self, acct, region):
        a = self.a
        delivered = []   # (delivery time, records)
        seconds = int((self.end - self.start).total_seconds())
        n = a.events_per_day * a.days
        times = sorted(self.rng.randrange(seconds) for _ in range(n))
        events = [self.restamp(self.rng.choice(self.logrecs), acct, region,
                               self.start + dt.timedelta(seconds=s)) for s in times]
        # Group into 5-minute delivery windows, split into files.
        i = 0
        while i < len(events):
            t0 = dt.datetime.fromisoformat(events[i]["eventTime"].replace("Z", "+00:00"))
            m = a.delivery_minutes
            wend = (t0.replace(minute=0, second=0) +
                    dt.timedelta(minutes=(t0.minute // m + 1) * m))
            j = i
            while j < len(events) and events[j]["eventTime"] < iso(wend):
                j += 1
            window = events[i:j]
            i = j
            while window:
                k = self.rng.randint(a.min_records, a.max_records)
                chunk, window = window[:k], window[k:]
                delay = dt.timedelta(seconds=self.rng.randrange(30, 240))
                if self.rng.random() < a.late_fraction:
                    delay += dt.timedelta(hours=self.rng.randint(2, 6))
                delivered.append((wend + delay, chunk))
        # A few duplicate eventIDs: a record delivered again in a later file.
        for d, chunk in list(delivered):
            if self.rng.random() < a.duplicate_fraction:
                delivered.append((d + dt.timedelta(minutes=7), [dict(chunk[0])]))
        for d, chunk in sorted(delivered, key=lambda x: x[0]):
            if d > self.end + dt.timedelta(hours=12):
                d = self.end + dt.timedelta(hours=12)
            key = (self.folder(acct, "CloudTrail", region, d) +
                   f"{acct}_CloudTrail_{region}_{d:%Y%m%dT%H%M}Z_{self.unique16()}.json.gz")
            # the events still reach the event history while the trail is stopped
            if not self.logging_stopped(d):
                raw = self.put(key, {"Records": chunk})
                self.files.append({"account": acct, "region": region, "delivery": iso(d),
                                   "key": key, "records": len(chunk),
                                   "sha256": hashlib.sha256(raw).hexdigest(),
                                   "oldest": min(r["eventTime"] for r in chunk),
                                   "newest": max(r["eventTime"] for r in chunk)})
            for r in chunk:
                if is_management(r):
                    self.lookup.setdefault((acct, region, "management"), []).append(r)

    def gen_insights(self, acct, region):
        if not self.insightrecs or not self.a.insights:
            return
        for _ in range(self.a.insights):
            s = self.rng.randrange(int((self.end - self.start).total_seconds()))
            t = self.start + dt.timedelta(seconds=s)
            rec = self.restamp(self.rng.choice(self.insightrecs), acct, region, t)
            d = t + dt.timedelta(minutes=self.rng.randint(10, 30))
            key = (self.folder(acct, "CloudTrail-Insight", region, d) +
                   f"{acct}_CloudTrail-Insight_{region}_{d:%Y%m%dT%H%M}Z_{self.unique16()}.json.gz")
            self.put(key, {"Records": [rec]})
            self.files.append({"account": acct, "region": region, "delivery": iso(d),
                               "key": key, "records": 1, "insight": True,
                               "oldest": rec["eventTime"], "newest": rec["eventTime"]})
            self.lookup.setdefault((acct, region, "insight"), []).append(rec)

    def gen_digests(self, acct, region):
        logs = sorted((f for f in self.files if f["account"] == acct and f["region"] == region
                       and not f.get("insight")), key=lambda f: f["delivery"])
        # backfill: the last log file of some hours is left to a backfill digest
        pick = random.Random(f"backfill/{self.a.seed}/{acct}/{region}")
        hours = sorted({f["delivery"][:13] for f in logs})
        late = set(pick.sample(hours, min(self.a.backfill, len(hours))))
        backfill = []            # (start, end, [log file])
        prev = None              # (signature, key, hash) of the digest before
        hour = self.start
        last = self.end + dt.timedelta(hours=12)
        i = 0
        while hour < last:
            nxt = hour + dt.timedelta(hours=1)
            covered = []
            while i < len(logs) and logs[i]["delivery"] < iso(nxt):
                covered.append(logs[i])
                i += 1
            end = nxt + dt.timedelta(seconds=self.rng.randrange(60, 600))
            if self.logging_stopped(hour):
                prev = None      # the next digest starts a new chain
            else:
                if covered and iso(hour)[:13] in late:
                    backfill.append((hour, end, covered[-1:]))
                    covered = covered[:-1]
                prev = self.write_digest(acct, region, hour, end, covered, prev)
            hour = nxt
        prev = None
        for hour, end, covered in backfill:
            prev = self.write_digest(acct, region, hour, end, covered, prev,
                                     generated=end + dt.timedelta(hours=3))

    def write_digest(self, acct, region, start, end, covered, prev, generated=None):
        """One digest file, chained to prev; returns what the next one chains to."""
        key = (self.folder(acct, "CloudTrail-Digest", region, end) +
               f"{acct}_CloudTrail-Digest_{region}_{self.a.trail_name}_{self.a.home_region}_"
               f"{end:%Y%m%dT%H%M%S}Z" + ("_backfill" if generated else "") + ".json.gz")
        prev_sig, prev_key, prev_hash = prev or (None, None, None)
        # a backfill digest is signed when it is made, with the key of that time
        signed = generated or end
        k = testkey.ROTATED if self.rotation and signed >= self.rotation else 0
        digest = {
            "awsAccountId": acct,
            "digestStartTime": iso(start),
            "digestEndTime": iso(end),
            "digestS3Bucket": self.bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": testkey.fingerprint(k),
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": max((f["newest"] for f in covered), default=None),
            "oldestEventTime": min((f["oldest"] for f in covered), default=None),
            "previousDigestS3Bucket": self.bucket if prev_key else None,
            "previousDigestS3Object": prev_key,
            "previousDigestHashValue": prev_hash,
            "previousDigestHashAlgorithm": "SHA-256" if prev_key else None,
            "previousDigestSignature": prev_sig,
            "logFiles": [{"s3Bucket": self.bucket, "s3Object": f["key"],
                          "hashValue": f["sha256"], "hashAlgorithm": "SHA-256",
                          "newestEventTime": f["newest"], "oldestEventTime": f["oldest"]}
                         for f in covered],
        }
        raw = json.dumps(digest, separators=(",", ":")).encode()
        h = hashlib.sha256(raw).hexdigest()
        to_sign = "\n".join([digest["digestEndTime"], f"{self.bucket}/{key}", h,
                             prev_sig if prev_sig else "null"]).encode()
        sig = testkey.sign(to_sign, k).hex()
        path = os.path.join(self.out, "s3", self.bucket, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(gzip.compress(raw, mtime=0))
        meta = {"signature": sig, "signature-algorithm": "SHA256withRSA"}
        if generated:
            meta["backfill-generation-timestamp"] = iso(generated)
        mpath = os.path.join(self.out, "meta", self.bucket, key + ".json")
        os.makedirs(os.path.dirname(mpath), exist_ok=True)
        with open(mpath, "w") as f:
            json.dump(meta, f)
        self.digests.append({"account": acct, "region": region, "key": key,
                             "start": digest["digestStartTime"], "end": digest["digestEndTime"],
                             "backfill": bool(generated), "previous": prev_key,
                             "fingerprint": digest["digestPublicKeyFingerprint"],
                             "sha256": h, "signature": sig,
                             "logs": [f["key"] for f in covered]})
        return sig, key, h

    def public_keys(self):
        """The keys ListPublicKeys returns in each region, with their validity."""
        first, far = self.start - dt.timedelta(days=1), self.end + dt.timedelta(days=400)
        if self.rotation:
            keys = [(0, first, self.rotation), (testkey.ROTATED, self.rotation, far)]
        else:
            keys = [(0, first, far)]
        return {r: [{"key": k, "fingerprint": testkey.fingerprint(k), "start": iso(s), "end": iso(e)}
                    for k, s, e in keys] for r in self.regions}

    def write_lookup(self):
        for (acct, region, kind), recs in self.lookup.items():
            d = os.path.join(self.out, "lookup", acct)
            os.makedirs(d, exist_ok=True)
            name = f"{region}.ndjson" if kind == "management" else f"{region}.insight.ndjson"
            seen = set()
            with open(os.path.join(d, name), "w") as f:
                for r in sorted(recs, key=lambda r: r["eventTime"], reverse=True):
                    if r["eventID"] in seen:
                        continue
                    seen.add(r["eventID"])
                    f.write(json.dumps(r, separators=(",", ":")) + "\n")

    def run(self):
        for acct in self.accounts:
            for region in self.regions:
                self.gen_logs(acct, region)
                self.gen_insights(acct, region)
                if self.a.digests:
                    self.gen_digests(acct, region)
        self.write_lookup()
        info = {
            "bucket": self.bucket, "prefix": self.a.prefix, "organization_id": self.a.organization_id,
            "accounts": self.accounts, "regions": self.regions,
            "trail_name": self.a.trail_name, "home_region": self.a.home_region,
            "start": iso(self.start), "end": iso(self.end),
            "files": len(self.files), "events": sum(f["records"] for f in self.files),
        }
        with open(os.path.join(self.out, "trail.json"), "w") as f:
            json.dump(info, f, indent=1)
        with open(os.path.join(self.out, "files.ndjson"), "w") as f:
            for x in self.files:
                f.write(json.dumps(x) + "\n")
        with open(os.path.join(self.out, "digests.ndjson"), "w") as f:
            for x in self.digests:
                f.write(json.dumps(x) + "\n")
        with open(os.path.join(self.out, "public-keys.json"), "w") as f:
            json.dump(self.public_keys(), f, indent=1)
        return info


def parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="emulator data directory")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--bucket", default="trail-bucket")
    p.add_argument("--prefix", default="")
    p.add_argument("--organization-id", default="")
    p.add_argument("--accounts", default="111111111111,222222222222")
    p.add_argument("--regions", default="us-east-1,eu-west-1,ap-southeast-2")
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--events-per-day", type=int, default=200,
                   help="per account and region")
    p.add_argument("--records-per-file", default="1-20", help="N or MIN-MAX")
    p.add_argument("--end", default="", help="end of the generated period (UTC ISO); default now")
    p.add_argument("--delivery-minutes", type=int, default=5,
                   help="files are delivered every N minutes (CloudTrail: about 5)")
    p.add_argument("--late-fraction", type=float, default=0.01)
    p.add_argument("--duplicate-fraction", type=float, default=0.005)
    p.add_argument("--insights", type=int, default=2, help="Insights events per account and region")
    p.add_argument("--no-digests", dest="digests", action="store_false")
    p.add_argument("--trail-name", default="org-trail")
    p.add_argument("--home-region", default="us-east-1")
    p.add_argument("--stop-logging", action="append", default=[], metavar="H:N",
                   help="logging stopped N hours from hour H of the period (all accounts and "
                        "regions): no log files, no digests, then a new digest chain")
    p.add_argument("--backfill", type=int, default=0, metavar="N",
                   help="per account and region, N hours whose last log file is covered "
                        "by a backfill digest instead of the hour's digest")
    p.add_argument("--rotate-key-at", type=int, metavar="H",
                   help="digests ending after hour H of the period are signed with a second key")
    p.add_argument("--records", default=DEFAULT_RECORDS)
    return p


def main(argv=None):
    a = parser().parse_args(argv)
    a.accounts = [x for x in a.accounts.split(",") if x]
    a.regions = [x for x in a.regions.split(",") if x]
    lo, _, hi = a.records_per_file.partition("-")
    a.min_records, a.max_records = int(lo), int(hi or lo)
    a.stop_logging = [tuple(int(x) for x in s.split(":")) for s in a.stop_logging]
    info = Trail(a).run()
    json.dump(info, sys.stdout)
    print()


if __name__ == "__main__":
    main()
