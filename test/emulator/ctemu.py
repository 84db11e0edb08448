#!/usr/bin/env python3
"""ctemu: a local AWS emulator for cloudtrail_fdw's tests, demo and benchmarks.

One process on 127.0.0.1 speaking the real wire formats of:
  * CloudTrail JSON 1.1: LookupEvents, ListPublicKeys, DescribeTrails, GetTrailStatus
  * Organizations JSON 1.1: DescribeOrganization (for organization trails)
  * S3 REST: ListObjectsV2, ListObjects (v1), GetBucketLocation, GetObject
    (with Range), HeadObject; virtual-hosted (<bucket>.localhost) and path style
  * STS query protocol: AssumeRole, AssumeRoleWithWebIdentity
  * EC2 IMDSv2 (/latest/...) and an ECS container-credentials endpoint (/ecs/...)
Every signed request is verified with an independent SigV4 implementation and
rejected the way AWS rejects it.

A control API under /_ctl/ (unsigned) lets tests inject faults, add latency,
set the clock, add objects and read the log of requests received.

Standard library only.  Usage: ctemu.py --data DIR --port N
"""
import argparse
import base64
import bisect
import datetime as dt
import email.utils
import hashlib
import json
import os
import random
import secrets
import socket
import sys
import threading
import time
import urllib.parse
import uuid
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape as xml_escape

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import awssig  # noqa: E402
import testkey  # noqa: E402

CT_PREFIX = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
ORG_PREFIX = "AWSOrganizationsV20161128."
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
ATTRIBUTE_KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType",
                  "ResourceName", "EventSource", "AccessKeyId")
INSIGHT_KEYS = ("EventId", "EventName", "EventSource")
MAX_SKEW = 15 * 60

# Long-lived test identities.  The same values appear in the tests and demo.
STATIC_KEYS = {
    "AKIACTFDWEXAMPLE1111": {"secret": "ctfdwSecret1111/EXAMPLEKEY+aaaaaaaaaaaaaaa",
                             "account": "111111111111"},
    "AKIACTFDWEXAMPLE2222": {"secret": "ctfdwSecret2222/EXAMPLEKEY+bbbbbbbbbbbbbbb",
                             "account": "222222222222"},
    # temporary keys: valid only with their session token
    "ASIACTFDWEXAMPLE3333": {"secret": "ctfdwSecret3333/EXAMPLEKEY+ccccccccccccccc",
                             "account": "111111111111",
                             "token": "ctfdwSessionToken3333//EXAMPLE+TOKEN=",
                             "expires": 4102444800},           # 2100-01-01
    "ASIACTFDWEXPIRED4444": {"secret": "ctfdwSecret4444/EXAMPLEKEY+ddddddddddddddd",
                             "account": "111111111111",
                             "token": "ctfdwSessionToken4444//EXPIRED+TOKEN=",
                             "expires": 946684800},            # 2000-01-01
}
EXTERNAL_ID = "ctfdw-external-id"
ECS_AUTH_TOKEN = "ctfdw-ecs-auth-token"
WEB_IDENTITY_TOKEN = "ctfdw-web-identity-token"


def now_epoch():
    return time.time()


def iso(ts):
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(v):
    """A JSON 1.1 timestamp: epoch seconds (any JSON number form) or ISO-8601,
    within the years 1 to 9999 (AWS refuses others as unreadable)."""
    if isinstance(v, (int, float)):
        t = float(v)
    elif isinstance(v, str):
        try:
            t = float(v)
        except ValueError:
            t = dt.datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()
    else:
        raise ValueError("not a timestamp")
    if not -62135596800 <= t <= 253402300799:
        raise ValueError("timestamp out of range")
    return t


def event_epoch(rec):
    return dt.datetime.fromisoformat(rec["eventTime"].replace("Z", "+00:00")).timestamp()


class AwsError(Exception):
    def __init__(self, status, code, message, extra=None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.extra = extra or {}
        self.headers = headers or {}


class State:
    """Everything the emulator knows; guarded by one lock."""

    def __init__(self, data, rate, bucket_regions):
        self.data = data
        self.lock = threading.Lock()
        self.keys = dict(STATIC_KEYS)
        self.buckets = {}               # bucket -> sorted list of keys
        self.bucket_regions = bucket_regions
        self.extra_objects = {}         # (bucket, key) -> bytes, added through /_ctl/put
        self.faults = []
        self.latency = 0.0
        self.log = []
        self.rate = rate
        self.calls = {}                 # (account, region) -> deque of call times
        self.now_offset = 0.0           # LookupEvents "now" = wall clock + offset
        self.clock_skew = 0.0           # emulator's notion of wall clock for signatures
        self.lookup_cache = {}
        self.imds_tokens = set()
        self.sts_duration = None         # overrides DurationSeconds, for expiry tests
        self.trails = None               # DescribeTrails answers these, if set (/_ctl/trails)
        self.reload()

    def reload(self):
        root = os.path.join(self.data, "s3")
        buckets = {}
        if os.path.isdir(root):
            for b in sorted(os.listdir(root)):
                keys = []
                base = os.path.join(root, b)
                for dirpath, _, files in os.walk(base):
                    rel = os.path.relpath(dirpath, base)
                    for fn in files:
                        keys.append(fn if rel == "." else f"{rel}/{fn}")
                buckets[b] = keys
        for (b, k) in self.extra_objects:
            buckets.setdefault(b, []).append(k)
        for b in buckets:
            buckets[b] = sorted(set(buckets[b]))
        self.buckets = buckets
        self.lookup_cache = {}
        path = os.path.join(self.data, "trail.json")
        self.trail = json.load(open(path)) if os.path.exists(path) else None
        path = os.path.join(self.data, "public-keys.json")
        self.public_keys = json.load(open(path)) if os.path.exists(path) else None

    def lookup_events(self, account, region, insight):
        k = (account, region, insight)
        if k not in self.lookup_cache:
            name = f"{region}.insight.ndjson" if insight else f"{region}.ndjson"
            path = os.path.join(self.data, "lookup", account, name)
            events = []
            if os.path.exists(path):
                with open(path) as f:
                    events = [json.loads(line) for line in f if line.strip()]
            events.sort(key=event_epoch, reverse=True)
            self.lookup_cache[k] = events
        return self.lookup_cache[k]

    def issue_temp(self, account, duration):
        akid = "ASIA" + secrets.token_hex(8).upper()
        cred = {"secret": secrets.token_urlsafe(30), "account": account,
                "token": "FwoG" + secrets.token_urlsafe(90),
                "expires": int(now_epoch() + self.clock_skew + (self.sts_duration or duration))}
        self.keys[akid] = cred
        if os.environ.get("CTEMU_SECRETS_FILE"):
            # for test/run's search of the server logs: every secret handed out
            with open(os.environ["CTEMU_SECRETS_FILE"], "a") as f:
                f.write(f"{cred['secret']}\n{cred['token']}\n")
        return akid, cred


def fault_matches(f, info):
    m = f.get("match", {})
    for field in ("service", "op", "bucket", "region"):
        if field in m and m[field] != info.get(field):
            return False
    if "key" in m and m["key"] not in (info.get("key") or ""):
        return False
    if "prefix" in m and not (info.get("prefix") or "").startswith(m["prefix"]):
        return False
    return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: without this, Nagle and
    # delayed ACKs add ~40 ms to every response on a kept-alive connection
    disable_nagle_algorithm = True
    server_version = "ctemu"
    sys_version = ""

    def log_message(self, fmt, *args):       # quiet
        if self.server.verbose:
            sys.stderr.write("ctemu: " + (fmt % args) + "\n")

    # ---------------------------------------------------------------- plumbing
    @property
    def st(self):
        return self.server.state

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, status, body=b"", ctype="application/xml", headers=None, head_only=False):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        rid = self.request_id
        self.send_header("x-amz-request-id", rid)
        self.send_header("x-amzn-RequestId", rid)
        self.send_header("x-amz-id-2", base64.b64encode(rid.encode()).decode())
        self.send_header("Date", email.utils.formatdate(usegmt=True))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.info["status"] = status
        self.record()                   # before the body: a client done reading finds it logged
        if not head_only:
            self.wfile.write(body)

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def do_GET(self):
        self.dispatch("GET")

    def do_HEAD(self):
        self.dispatch("HEAD")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def dispatch(self, method):
        self.method = method
        self.request_id = uuid.uuid4().hex[:16].upper()
        url = urllib.parse.urlsplit(self.path)
        self.raw_path, self.raw_query = url.path, url.query
        self.query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        self.body = self.read_body()
        self.info = {"time": now_epoch(), "method": method,
                     "host": self.headers.get("Host")}
        if self.raw_path.startswith("/_ctl/"):
            self.info["_logged"] = True         # control requests are not in the log
            return self.control()
        try:
            service = self.classify()
            self.info["service"] = service
            if self.st.latency:
                time.sleep(self.st.latency)
            fault = self.take_fault()
            if fault and fault["kind"] == "body":
                self.send(200, fault["body"], ctype=fault.get("content_type", "application/x-amz-json-1.1"))
                return
            if fault and fault["kind"] == "stall":
                time.sleep(fault.get("seconds", 5))
                fault = None
            if fault and fault["kind"] not in ("drop", "corrupt", "truncate", "trickle"):
                self.inject(fault, service)
                return
            self.fault = fault
            getattr(self, "svc_" + service)()
        except AwsError as e:
            self.error(service, e)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:                       # a bug here: answer as AWS would
            import traceback
            traceback.print_exc()
            self.error(self.info.get("service"),
                       AwsError(500, "InternalFailure", "internal error in the emulator"))
        finally:
            if "status" in self.info or "dropped" in self.info:
                self.record()

    def record(self):
        """Put the request in the log, once (later changes to info still show)."""
        if not self.info.get("_logged"):
            self.info["_logged"] = True
            with self.st.lock:
                self.st.log.append(self.info)

    def classify(self):
        host = (self.headers.get("Host") or "").split(":")[0]
        if self.raw_path.startswith("/latest/"):
            return "imds"
        if self.raw_path.startswith("/ecs/"):
            return "ecs"
        target = self.headers.get("X-Amz-Target") or ""
        if target:
            self.info["op"] = target.rsplit(".", 1)[-1]
            return "organizations" if target.startswith(ORG_PREFIX) else "cloudtrail"
        if self.method == "POST" and b"Action=" in self.body:
            self.form = dict(urllib.parse.parse_qsl(self.body.decode(), keep_blank_values=True))
            self.info["op"] = self.form.get("Action")
            return "sts"
        # S3: virtual-hosted when the host has a bucket label in front
        if host.endswith(".localhost") or ".s3." in host:
            self.bucket = host.split(".s3.")[0] if ".s3." in host else host[:-len(".localhost")]
            self.key = urllib.parse.unquote(self.raw_path[1:])
        else:
            parts = self.raw_path[1:].split("/", 1)
            self.bucket = urllib.parse.unquote(parts[0])
            self.key = urllib.parse.unquote(parts[1]) if len(parts) > 1 else ""
        self.info["bucket"] = self.bucket
        if self.key:
            self.info["key"] = self.key
            self.info["op"] = "HeadObject" if self.method == "HEAD" else "GetObject"
            if self.headers.get("Range"):
                self.info["range"] = self.headers.get("Range")
        elif "location" in self.query:
            self.info["op"] = "GetBucketLocation"
        elif self.query.get("list-type") == "2":
            self.info["op"] = "ListObjectsV2"
        else:
            self.info["op"] = "ListObjects"
        for q, field in (("prefix", "prefix"), ("start-after", "start_after"),
                         ("delimiter", "delimiter"), ("marker", "marker"),
                         ("continuation-token", "continuation_token"), ("max-keys", "max_keys")):
            if q in self.query:
                self.info[field] = self.query[q]
        return "s3"

    def take_fault(self):
        with self.st.lock:
            for f in self.st.faults:
                if f["remaining"] > 0 and fault_matches(f, self.info):
                    if f.get("skip", 0) > 0:       # let the first N through
                        f["skip"] -= 1
                        continue
                    f["remaining"] -= 1
                    self.info["fault"] = f["kind"]
                    return f
        return None

    def inject(self, fault, service):
        kind = fault["kind"]
        if kind == "http500":
            e = AwsError(500, "InternalError" if service == "s3" else "InternalFailure",
                         "We encountered an internal error. Please try again.")
        elif kind == "slowdown":
            e = AwsError(503, "SlowDown", "Please reduce your request rate.")
        elif kind == "unavailable":
            e = AwsError(503, "ServiceUnavailable", "Service is unavailable.")
        elif kind == "throttle":
            e = (AwsError(503, "SlowDown", "Please reduce your request rate.") if service == "s3"
                 else AwsError(400, "ThrottlingException", "Rate exceeded"))
        elif kind == "error":
            e = AwsError(fault.get("status", 400), fault.get("code", "InvalidRequest"),
                         fault.get("message", "Injected error"))
        else:
            e = AwsError(500, "InternalError", f"unknown fault {kind}")
        self.error(service, e)

    def error(self, service, e):
        headers = dict(e.headers)
        if service in ("s3", "imds", "ecs") or service is None:
            extra = "".join(f"<{k}>{xml_escape(str(v))}</{k}>" for k, v in e.extra.items())
            body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{e.code}</Code>'
                    f"<Message>{xml_escape(e.message)}</Message>{extra}"
                    f"<RequestId>{self.request_id}</RequestId><HostId>ctemu</HostId></Error>")
            self.send(e.status, body, headers=headers, head_only=self.method == "HEAD")
        elif service == "sts":
            body = (f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>Sender</Type><Code>{e.code}</Code>'
                    f"<Message>{xml_escape(e.message)}</Message></Error>"
                    f"<RequestId>{self.request_id}</RequestId></ErrorResponse>")
            self.send(e.status, body, ctype="text/xml", headers=headers)
        else:
            body = json.dumps({"__type": e.code, "message": e.message})
            self.send(e.status, body, ctype="application/x-amz-json-1.1", headers=headers)
        self.info["error"] = e.code

    # ---------------------------------------------------------------- SigV4
    def verify(self, service):
        """Check the request's SigV4 signature; returns (account, region)."""
        json_api = service == "cloudtrail"
        authz = self.headers.get("Authorization")
        if not authz:
            if service == "s3":
                raise AwsError(403, "AccessDenied", "Access Denied")
            raise AwsError(400 if json_api else 403, "MissingAuthenticationTokenException"
                           if json_api else "MissingAuthenticationToken",
                           "Missing Authentication Token")
        a = awssig.parse_authorization(authz)
        if not a or "host" not in a["signed"]:
            raise AwsError(400, "IncompleteSignature" if not json_api else "IncompleteSignatureException",
                           "Authorization header requires 'Credential', 'SignedHeaders' and "
                           "'Signature' parameters and must sign the host header.")
        self.info["akid"] = a["akid"]
        self.info["region"] = a["region"]
        amzdate = self.headers.get("X-Amz-Date") or ""
        try:
            req_time = dt.datetime.strptime(amzdate, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=dt.timezone.utc).timestamp()
        except ValueError:
            raise AwsError(400, "IncompleteSignature" if not json_api else "IncompleteSignatureException",
                           "X-Amz-Date must be in the ISO8601 Long Format")
        if a["date"] != amzdate[:8]:
            raise AwsError(403, "SignatureDoesNotMatch",
                           "Credential should be scoped to a valid date.")
        cred = self.st.keys.get(a["akid"])
        if cred is None:
            if service == "s3":
                raise AwsError(403, "InvalidAccessKeyId",
                               "The AWS Access Key Id you provided does not exist in our records.",
                               {"AWSAccessKeyId": a["akid"]})
            raise AwsError(403 if service == "sts" else 400,
                           "InvalidClientTokenId" if service == "sts" else "UnrecognizedClientException",
                           "The security token included in the request is invalid.")
        wall = now_epoch() + self.st.clock_skew
        if abs(req_time - wall) > MAX_SKEW:
            if service == "s3":
                raise AwsError(403, "RequestTimeTooSkewed",
                               "The difference between the request time and the current time is too large.",
                               {"RequestTime": amzdate,
                                "ServerTime": iso(wall).replace("Z", ".000Z"),
                                "MaxAllowedSkewMilliseconds": "900000"})
            raise AwsError(400 if json_api else 403,
                           "InvalidSignatureException" if json_api else "SignatureDoesNotMatch",
                           f"Signature expired: {amzdate} is now earlier than "
                           f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(wall - MAX_SKEW))} "
                           f"({time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(wall))} - 15 min.)")
        token = self.headers.get("X-Amz-Security-Token")
        if "token" in cred:
            if token != cred["token"]:
                raise AwsError(403 if service != "cloudtrail" else 400,
                               "InvalidToken" if service == "s3" else "UnrecognizedClientException",
                               "The provided token is malformed or otherwise invalid.")
            if cred["expires"] < wall:
                raise AwsError(400 if service != "sts" else 403,
                               "ExpiredToken" if service != "cloudtrail" else "ExpiredTokenException",
                               "The security token included in the request is expired")
        elif token:
            raise AwsError(403, "InvalidToken", "The provided token is malformed or otherwise invalid.")
        if service == "s3":
            ph = self.headers.get("x-amz-content-sha256")
            if not ph:
                raise AwsError(400, "InvalidRequest",
                               "Missing required header for this request: x-amz-content-sha256")
            if ph != "UNSIGNED-PAYLOAD" and ph != hashlib.sha256(self.body).hexdigest():
                raise AwsError(400, "XAmzContentSHA256Mismatch",
                               "The provided 'x-amz-content-sha256' header does not match what was computed.")
        else:
            ph = hashlib.sha256(self.body).hexdigest()
        creq = awssig.canonical_request(self.method, self.raw_path, self.raw_query,
                                        list(self.headers.items()), a["signed"], ph, a["service"])
        sig, sts = awssig.signature(cred["secret"], amzdate, a["region"], a["service"], creq)
        if sig != a["signature"]:
            if service == "s3":
                raise AwsError(403, "SignatureDoesNotMatch",
                               "The request signature we calculated does not match the signature you "
                               "provided. Check your key and signing method.",
                               {"AWSAccessKeyId": a["akid"], "StringToSign": sts,
                                "CanonicalRequest": creq})
            raise AwsError(400 if json_api else 403,
                           "InvalidSignatureException" if json_api else "SignatureDoesNotMatch",
                           "The request signature we calculated does not match the signature you provided.")
        return cred["account"], a["region"]

    # ---------------------------------------------------------------- S3
    def svc_s3(self):
        account, region = self.verify("s3")
        keys = self.st.buckets.get(self.bucket)
        if keys is None:
            raise AwsError(404, "NoSuchBucket", "The specified bucket does not exist",
                           {"BucketName": self.bucket})
        bregion = self.st.bucket_regions.get(self.bucket, "us-east-1")
        op = self.info["op"]
        if op != "GetBucketLocation" and region != bregion:
            raise AwsError(400, "AuthorizationHeaderMalformed",
                           f"The authorization header is malformed; the region '{region}' is wrong; "
                           f"expecting '{bregion}'", {"Region": bregion},
                           headers={"x-amz-bucket-region": bregion})
        hdr = {"x-amz-bucket-region": bregion}
        if op == "GetBucketLocation":
            loc = "" if bregion == "us-east-1" else bregion
            self.send(200, f'<?xml version="1.0" encoding="UTF-8"?>\n'
                           f'<LocationConstraint xmlns="{S3_NS}">{loc}</LocationConstraint>', headers=hdr)
        elif op in ("ListObjectsV2", "ListObjects"):
            self.list_objects(keys, op == "ListObjectsV2", hdr)
        else:
            self.get_object(hdr)

    def object_bytes(self):
        extra = self.st.extra_objects.get((self.bucket, self.key))
        if extra is not None:
            return extra
        path = os.path.join(self.st.data, "s3", self.bucket, self.key)
        if ".." in self.key.split("/") or not os.path.isfile(path):
            raise AwsError(404, "NoSuchKey", "The specified key does not exist.", {"Key": self.key})
        with open(path, "rb") as f:
            return f.read()

    def get_object(self, hdr):
        data = self.object_bytes()
        meta_path = os.path.join(self.st.data, "meta", self.bucket, self.key + ".json")
        if os.path.exists(meta_path):
            for k, v in json.load(open(meta_path)).items():
                hdr["x-amz-meta-" + k] = v
        etag = '"' + hashlib.md5(data).hexdigest() + '"'
        hdr["ETag"] = etag
        hdr["Last-Modified"] = email.utils.formatdate(0, usegmt=True)
        hdr["Accept-Ranges"] = "bytes"
        if_match = self.headers.get("If-Match")
        if if_match and if_match != etag:
            raise AwsError(412, "PreconditionFailed",
                           "At least one of the pre-conditions you specified did not hold")
        status, body = 200, data
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes="):
            first, _, last = rng[6:].partition("-")
            first = int(first) if first else 0
            last = int(last) if last else len(data) - 1
            if first >= len(data):
                raise AwsError(416, "InvalidRange", "The requested range is not satisfiable",
                               {"ActualObjectSize": len(data), "RangeRequested": rng})
            last = min(last, len(data) - 1)
            body = data[first:last + 1]
            status = 206
            hdr["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
        self.info["bytes"] = len(body)
        f = getattr(self, "fault", None)
        if self.method == "GET" and f and f["kind"] == "trickle":
            # Full Content-Length, then "rate" bytes a second for "seconds", then the rest.
            self.object_head(status, len(body), hdr)
            self.record()
            rate, pos, t_end = int(f.get("rate", 2)), 0, time.time() + f.get("seconds", 10)
            try:
                while pos < len(body) and time.time() < t_end:
                    self.wfile.write(body[pos:pos + rate])
                    self.wfile.flush()
                    pos += rate
                    time.sleep(1)
                self.wfile.write(body[pos:])
            except OSError:
                pass            # the client gave up on the trickle
            self.close_connection = True
            return
        if self.method == "GET" and f and f["kind"] == "drop" and len(body) > 1:
            # Full Content-Length, half the body, then the connection dies.
            self.object_head(status, len(body), hdr)
            self.info["dropped"] = True
            self.record()
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.drop()
            return
        if f and f["kind"] == "corrupt":
            mid = len(body) // 2
            body = body[:mid] + bytes(b ^ 0x5A for b in body[mid:mid + 16]) + body[mid + 16:]
        elif f and f["kind"] == "truncate":
            body = body[:len(body) // 2]
        self.send(status, body, ctype="application/octet-stream", headers=hdr,
                  head_only=self.method == "HEAD")

    def object_head(self, status, length, hdr):
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        for k, v in hdr.items():
            self.send_header(k, v)
        self.end_headers()

    def list_objects(self, keys, v2, hdr):
        q = self.query
        prefix = q.get("prefix", "")
        delim = q.get("delimiter", "")
        try:
            max_keys = int(q.get("max-keys", "1000"))
        except ValueError:
            raise AwsError(400, "InvalidArgument", "Provided max-keys not an integer or within integer range")
        if max_keys < 0:
            raise AwsError(400, "InvalidArgument", "max-keys must be non-negative")
        max_keys = min(max_keys, 1000)
        url = q.get("encoding-type") == "url"
        if "encoding-type" in q and not url:
            raise AwsError(400, "InvalidArgument", "Invalid Encoding Method specified in Request")
        after = ""
        if v2:
            tok = q.get("continuation-token")
            if tok is not None:
                try:
                    after = base64.urlsafe_b64decode(tok.encode()).decode()
                except Exception:
                    raise AwsError(400, "InvalidArgument", "The continuation token provided is incorrect")
            else:
                after = q.get("start-after", "")
        else:
            after = q.get("marker", "")
        i = max(bisect.bisect_right(keys, after), bisect.bisect_left(keys, prefix))
        contents, prefixes = [], []
        truncated = False
        last = None
        while i < len(keys) and keys[i].startswith(prefix):
            if len(contents) + len(prefixes) >= max_keys:
                truncated = True
                break
            k = keys[i]
            if delim:
                j = k.find(delim, len(prefix))
                if j >= 0:
                    cp = k[:j + len(delim)]
                    prefixes.append(cp)
                    last = cp
                    i = bisect.bisect_left(keys, cp + "\U0010ffff")
                    continue
            contents.append(k)
            last = k
            i += 1
        enc = (lambda s: urllib.parse.quote(s, safe="/")) if url else (lambda s: s)
        x = [f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{S3_NS}">',
             f"<Name>{self.bucket}</Name><Prefix>{xml_escape(enc(prefix))}</Prefix>"]
        if v2:
            x.append(f"<KeyCount>{len(contents) + len(prefixes)}</KeyCount>")
            if "continuation-token" in q:
                x.append(f"<ContinuationToken>{xml_escape(q['continuation-token'])}</ContinuationToken>")
            if "start-after" in q:
                x.append(f"<StartAfter>{xml_escape(enc(q['start-after']))}</StartAfter>")
            if truncated:
                tok = base64.urlsafe_b64encode(last.encode()).decode()
                x.append(f"<NextContinuationToken>{tok}</NextContinuationToken>")
        else:
            x.append(f"<Marker>{xml_escape(enc(q.get('marker', '')))}</Marker>")
            if truncated and delim:
                x.append(f"<NextMarker>{xml_escape(enc(last))}</NextMarker>")
        x.append(f"<MaxKeys>{max_keys}</MaxKeys>")
        if delim:
            x.append(f"<Delimiter>{xml_escape(enc(delim))}</Delimiter>")
        if url:
            x.append("<EncodingType>url</EncodingType>")
        x.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
        for k in contents:
            size = self.object_size(k)
            x.append(f"<Contents><Key>{xml_escape(enc(k))}</Key>"
                     f"<LastModified>2026-01-01T00:00:00.000Z</LastModified>"
                     f"<ETag>&quot;{hashlib.md5(k.encode()).hexdigest()}&quot;</ETag>"
                     f"<Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>")
        for p in prefixes:
            x.append(f"<CommonPrefixes><Prefix>{xml_escape(enc(p))}</Prefix></CommonPrefixes>")
        x.append("</ListBucketResult>")
        self.info["returned"] = len(contents) + len(prefixes)
        self.send(200, "".join(x), headers=hdr)

    def object_size(self, key):
        extra = self.st.extra_objects.get((self.bucket, key))
        if extra is not None:
            return len(extra)
        try:
            return os.path.getsize(os.path.join(self.st.data, "s3", self.bucket, key))
        except OSError:
            return 0

    # ---------------------------------------------------------------- CloudTrail
    def svc_cloudtrail(self):
        account, region = self.verify("cloudtrail")
        op = self.info["op"]
        if not (self.headers.get("X-Amz-Target") or "").startswith(CT_PREFIX):
            raise AwsError(400, "UnknownOperationException", "Unknown operation")
        try:
            req = json.loads(self.body or b"{}")
            if not isinstance(req, dict):
                raise ValueError
        except ValueError:
            raise AwsError(400, "SerializationException", "Start of structure or map found where not expected.")
        if op == "LookupEvents":
            return self.lookup(account, region, req)
        if op == "ListPublicKeys":
            return self.list_public_keys(region, req)
        if op in ("DescribeTrails", "GetTrailStatus"):
            t = self.st.trail or {}
            name = t.get("trail_name", "org-trail")
            home = t.get("home_region", "us-east-1")
            names = req.get("trailNameList") if op == "DescribeTrails" else [req.get("Name") or name]
            if names and not any(n.rsplit("/", 1)[-1] == name for n in names if isinstance(n, str)):
                if op == "GetTrailStatus":
                    raise AwsError(400, "TrailNotFoundException",
                                   f"Unknown trail: {names[0]} for the user: {account}")
                return self.send(200, json.dumps({"trailList": []}), ctype="application/x-amz-json-1.1")
            trail = {"Name": name, "S3BucketName": t.get("bucket", "trail-bucket"),
                     "HomeRegion": home, "IsMultiRegionTrail": True,
                     "IsOrganizationTrail": bool(t.get("organization_id")),
                     "TrailARN": f"arn:aws:cloudtrail:{home}:{account}:trail/{name}",
                     "LogFileValidationEnabled": True, "IncludeGlobalServiceEvents": True,
                     "HasCustomEventSelectors": False, "HasInsightSelectors": True}
            if t.get("prefix"):
                trail["S3KeyPrefix"] = t["prefix"]
            if op == "GetTrailStatus":
                return self.send(200, json.dumps({"IsLogging": True}), ctype="application/x-amz-json-1.1")
            trails = [trail] if self.st.trails is None else self.described_trails(region, req)
            return self.send(200, json.dumps({"trailList": trails}), ctype="application/x-amz-json-1.1")
        raise AwsError(400, "UnknownOperationException", f"Unknown operation {op}")

    def described_trails(self, region, req):
        """The trails set with /_ctl/trails, as DescribeTrails in region shows
        them: the region's own, and with includeShadowTrails (the default) the
        multi-region and organization trails of other home regions."""
        shadows = req.get("includeShadowTrails", True)
        return [t for t in self.st.trails
                if t.get("HomeRegion") == region or
                (shadows and (t.get("IsMultiRegionTrail") or t.get("IsOrganizationTrail")))]

    def list_public_keys(self, region, req):
        """The generated keys of the region whose validity meets [StartTime, EndTime]
        (each defaults to now); without public-keys.json, the one test key."""
        try:
            t0 = parse_time(req["StartTime"]) if "StartTime" in req else now_epoch()
            t1 = parse_time(req["EndTime"]) if "EndTime" in req else now_epoch()
        except (ValueError, TypeError):
            raise AwsError(400, "SerializationException", "Invalid timestamp")
        if t0 > t1:
            raise AwsError(400, "InvalidTimeRangeException",
                           "Start time must be earlier than end time.")
        table = self.st.public_keys
        if table is None:
            keys = [{"key": 0, "start": now_epoch() - 400 * 86400, "end": now_epoch() + 400 * 86400}]
        else:
            home = (self.st.trail or {}).get("home_region", "us-east-1")
            keys = [{"key": k["key"], "start": parse_time(k["start"]), "end": parse_time(k["end"])}
                    for k in table.get(region, table.get(home, []))]
            keys = [k for k in keys if k["start"] <= t1 and k["end"] >= t0]
        self.info["public_keys"] = [testkey.fingerprint(k["key"]) for k in keys]
        out = {"PublicKeyList": [{"Value": base64.b64encode(testkey.public_der(k["key"])).decode(),
                                  "ValidityStartTime": k["start"], "ValidityEndTime": k["end"],
                                  "Fingerprint": testkey.fingerprint(k["key"])} for k in keys]}
        self.send(200, json.dumps(out), ctype="application/x-amz-json-1.1")

    # ---------------------------------------------------------------- Organizations
    def svc_organizations(self):
        account, _ = self.verify("cloudtrail")
        op = self.info["op"]
        org = (self.st.trail or {}).get("organization_id")
        if op != "DescribeOrganization":
            raise AwsError(400, "UnknownOperationException", f"Unknown operation {op}")
        if not org:
            raise AwsError(400, "AWSOrganizationsNotInUseException",
                           "Your account is not a member of an organization.")
        master = ((self.st.trail or {}).get("accounts") or [account])[0]
        out = {"Organization": {"Id": org, "Arn": f"arn:aws:organizations::{master}:organization/{org}",
                                "FeatureSet": "ALL", "MasterAccountId": master,
                                "MasterAccountArn": f"arn:aws:organizations::{master}:account/{org}/{master}",
                                "MasterAccountEmail": "management@example.com",
                                "AvailablePolicyTypes": []}}
        self.send(200, json.dumps(out), ctype="application/x-amz-json-1.1")

    def throttle(self, account, region):
        if not self.st.rate:
            return
        with self.st.lock:
            q = self.st.calls.setdefault((account, region), deque())
            t = now_epoch()
            while q and q[0] <= t - 1.0:
                q.popleft()
            if len(q) >= self.st.rate:
                raise AwsError(400, "ThrottlingException", "Rate exceeded")
            q.append(t)

    def lookup(self, account, region, req):
        log = {}
        self.info["lookup"] = log
        self.throttle(account, region)
        attrs = req.get("LookupAttributes") or []
        category = req.get("EventCategory")
        log.update({"attributes": attrs, "category": category,
                    "max_results": req.get("MaxResults"), "next_token": "NextToken" in req})
        if category is not None and category != "insight":
            raise AwsError(400, "InvalidEventCategoryException",
                           "Event category value is not valid. Valid value is insight.")
        if not isinstance(attrs, list) or len(attrs) > 1:
            raise AwsError(400, "InvalidLookupAttributesException",
                           "You can only specify one lookup attribute.")
        for at in attrs:
            if not isinstance(at, dict) or at.get("AttributeKey") not in ATTRIBUTE_KEYS \
                    or not at.get("AttributeValue"):
                raise AwsError(400, "InvalidLookupAttributesException",
                               "Lookup attribute key or value is not valid.")
            if category == "insight" and at["AttributeKey"] not in INSIGHT_KEYS:
                raise AwsError(400, "InvalidLookupAttributesException",
                               f"{at['AttributeKey']} is not a valid lookup attribute for Insights events.")
        mr = req.get("MaxResults", 50)
        if not isinstance(mr, int) or not 1 <= mr <= 50:
            raise AwsError(400, "InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
        lnow = now_epoch() + self.st.now_offset
        try:
            start = parse_time(req["StartTime"]) if "StartTime" in req else lnow - 90 * 86400
            end = parse_time(req["EndTime"]) if "EndTime" in req else lnow
        except (ValueError, TypeError):
            raise AwsError(400, "SerializationException", "Invalid timestamp")
        log["start"] = iso(start) if "StartTime" in req else None
        log["end"] = iso(end) if "EndTime" in req else None
        if start > end:
            raise AwsError(400, "InvalidTimeRangeException",
                           "Start time must be earlier than end time.")
        pkey = hashlib.sha256(json.dumps([attrs, category, req.get("StartTime"), req.get("EndTime")],
                                         sort_keys=True).encode()).hexdigest()[:16]
        offset = 0
        if "NextToken" in req:
            try:
                tok = json.loads(base64.b64decode(req["NextToken"]))
                offset, h = int(tok["o"]), tok["h"]
            except Exception:
                raise AwsError(400, "InvalidNextTokenException", "Invalid NextToken.")
            if h != pkey:
                raise AwsError(400, "InvalidNextTokenException",
                               "The NextToken was not issued for these parameters.")
        lo = max(start, lnow - 90 * 86400)
        hi = min(end, lnow)
        events = self.st.lookup_events(account, region, category == "insight")
        matched = [e for e in events if lo <= event_epoch(e) <= hi and attr_match(e, attrs)]
        page = matched[offset:offset + mr]
        out = {"Events": [api_event(e) for e in page]}
        if offset + mr < len(matched):
            out["NextToken"] = base64.b64encode(json.dumps({"o": offset + mr, "h": pkey}).encode()).decode()
        log["returned"] = len(page)
        self.send(200, json.dumps(out), ctype="application/x-amz-json-1.1")

    # ---------------------------------------------------------------- STS
    def svc_sts(self):
        f = self.form
        op = f.get("Action")
        if op == "AssumeRoleWithWebIdentity":
            if f.get("WebIdentityToken") != WEB_IDENTITY_TOKEN:
                raise AwsError(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider")
        elif op == "AssumeRole":
            self.verify("sts")
        else:
            raise AwsError(400, "InvalidAction", f"Could not find operation {op} for version 2011-06-15")
        arn = f.get("RoleArn", "")
        parts = arn.split(":")
        if len(parts) != 6 or not parts[5].startswith("role/"):
            raise AwsError(400, "ValidationError", f"{arn} is invalid")
        session = f.get("RoleSessionName", "")
        if not 2 <= len(session) <= 64:
            raise AwsError(400, "ValidationError", "RoleSessionName must be 2 to 64 characters")
        role = parts[5][5:]
        if role.startswith("denied"):
            raise AwsError(403, "AccessDenied", f"User is not authorized to perform: sts:AssumeRole on resource: {arn}")
        if role.endswith("-external") and f.get("ExternalId") != EXTERNAL_ID:
            raise AwsError(403, "AccessDenied", f"User is not authorized to perform: sts:AssumeRole on resource: {arn}")
        duration = int(f.get("DurationSeconds", "3600"))
        if not 900 <= duration <= 43200:
            raise AwsError(400, "ValidationError", "DurationSeconds must be between 900 and 43200")
        self.info["role_arn"] = arn
        self.info["external_id"] = f.get("ExternalId")
        with self.st.lock:
            akid, cred = self.st.issue_temp(parts[4], duration)
        body = (f'<{op}Response xmlns="{STS_NS}"><{op}Result><Credentials>'
                f"<AccessKeyId>{akid}</AccessKeyId><SecretAccessKey>{cred['secret']}</SecretAccessKey>"
                f"<SessionToken>{cred['token']}</SessionToken><Expiration>{iso(cred['expires'])}</Expiration>"
                f"</Credentials><AssumedRoleUser><AssumedRoleId>AROA{secrets.token_hex(8).upper()}:{session}"
                f"</AssumedRoleId><Arn>arn:aws:sts::{parts[4]}:assumed-role/{role}/{session}</Arn>"
                f"</AssumedRoleUser></{op}Result><ResponseMetadata><RequestId>{self.request_id}</RequestId>"
                f"</ResponseMetadata></{op}Response>")
        self.send(200, body, ctype="text/xml")

    # ---------------------------------------------------------------- IMDS / ECS
    def temp_json(self, account, token_key):
        with self.st.lock:
            akid, cred = self.st.issue_temp(account, self.server.imds_duration)
        return json.dumps({"Code": "Success", "LastUpdated": iso(now_epoch()), "Type": "AWS-HMAC",
                           "AccessKeyId": akid, "SecretAccessKey": cred["secret"],
                           token_key: cred["token"], "Expiration": iso(cred["expires"])})

    def svc_imds(self):
        p = self.raw_path
        self.info["op"] = p
        if p == "/latest/api/token":
            if self.method != "PUT":
                raise AwsError(405, "MethodNotAllowed", "token needs PUT")
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                raise AwsError(400, "BadRequest", "missing TTL header")
            tok = secrets.token_urlsafe(32)
            with self.st.lock:
                self.st.imds_tokens.add(tok)
            return self.send(200, tok, ctype="text/plain")
        if self.headers.get("X-aws-ec2-metadata-token") not in self.st.imds_tokens:
            return self.send(401, "", ctype="text/plain")
        base = "/latest/meta-data/iam/security-credentials/"
        if p == base:
            return self.send(200, "ctfdw-instance-role", ctype="text/plain")
        if p == base + "ctfdw-instance-role":
            return self.send(200, self.temp_json("111111111111", "Token"), ctype="text/plain")
        self.send(404, "", ctype="text/plain")

    def svc_ecs(self):
        self.info["op"] = self.raw_path
        if self.raw_path != "/ecs/credentials":
            return self.send(404, "", ctype="text/plain")
        if self.headers.get("Authorization") != ECS_AUTH_TOKEN:
            return self.send(403, json.dumps({"message": "unauthorized"}), ctype="application/json")
        self.send(200, self.temp_json("222222222222", "Token"), ctype="application/json")

    # ---------------------------------------------------------------- control
    def control(self):
        st = self.st
        p = self.raw_path[len("/_ctl/"):]
        out = {"ok": True}
        body = json.loads(self.body) if self.body and p != "put" else {}
        with st.lock:
            if p == "fault":
                f = dict(body)
                f.setdefault("count", 1)
                f["remaining"] = f["count"]
                st.faults.append(f)
            elif p == "reset":
                st.faults, st.latency, st.log = [], 0.0, []
                st.calls, st.now_offset, st.clock_skew = {}, self.server.default_now_offset, 0.0
                st.rate = self.server.default_rate
                st.sts_duration = None
                st.trails = None
            elif p == "latency":
                st.latency = float(body.get("ms", 0)) / 1000.0
            elif p == "rate":
                st.rate = int(body.get("per_second", 0))
            elif p == "clock":
                st.clock_skew = float(body.get("skew_seconds", 0))
                if "lookup_now" in body:
                    st.now_offset = parse_time(body["lookup_now"]) - now_epoch()
            elif p == "log":
                if self.method == "GET":
                    out = [{k: v for k, v in e.items() if k != "_logged"} for e in st.log]
                else:
                    st.log = []
            elif p == "reload":
                st.reload()
            elif p == "put":
                b, k = self.query["bucket"], self.query["key"]
                st.extra_objects[(b, k)] = self.body
                keys = st.buckets.setdefault(b, [])
                if k not in keys:
                    bisect.insort(keys, k)
            elif p == "sts_duration":
                st.sts_duration = body.get("seconds")
            elif p == "trails":
                st.trails = body.get("trails")
            elif p == "bucket_region":
                st.bucket_regions[body["bucket"]] = body["region"]
            elif p == "keys":
                out = {"static": list(STATIC_KEYS)}
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        self.send(200, json.dumps(out), ctype="application/json")


def attr_match(e, attrs):
    for at in attrs:
        k, v = at["AttributeKey"], at["AttributeValue"]
        ui = e.get("userIdentity") or {}
        if k == "EventId" and e.get("eventID") != v:
            return False
        if k == "EventName" and e.get("eventName") != v:
            return False
        if k == "EventSource" and e.get("eventSource") != v:
            return False
        if k == "ReadOnly" and str(e.get("readOnly")).lower() != v.lower():
            return False
        if k == "Username" and api_username(e) != v:
            return False
        if k == "AccessKeyId" and ui.get("accessKeyId") != v:
            return False
        if k == "ResourceName" and v not in [r.get("ARN") for r in resources_of(e)]:
            return False
        if k == "ResourceType" and v not in [r.get("type") for r in resources_of(e)]:
            return False
    return True


def resources_of(e):
    """The record's resources that are objects (some real records hold strings)."""
    r = e.get("resources")
    return [x for x in r if isinstance(x, dict)] if isinstance(r, list) else []


def api_username(e):
    ui = e.get("userIdentity") or {}
    if ui.get("userName"):
        return ui["userName"]
    if ui.get("type") in ("AssumedRole", "FederatedUser") and ui.get("arn"):
        return ui["arn"].rsplit("/", 1)[-1]
    if ui.get("type") == "Root":
        return "root"
    return ui.get("invokedBy")


def api_event(e):
    ev = {"EventId": e.get("eventID"), "EventName": e.get("eventName"),
          "EventTime": event_epoch(e), "EventSource": e.get("eventSource"),
          "CloudTrailEvent": json.dumps(e, separators=(",", ":"))}
    if "readOnly" in e:
        ev["ReadOnly"] = str(e["readOnly"]).lower()
    ui = e.get("userIdentity") or {}
    if ui.get("accessKeyId"):
        ev["AccessKeyId"] = ui["accessKeyId"]
    u = api_username(e)
    if u:
        ev["Username"] = u
    ev["Resources"] = [{"ResourceType": r.get("type"), "ResourceName": r.get("ARN") or r.get("ARNPrefix")}
                       for r in resources_of(e)]
    return {k: v for k, v in ev.items() if v is not None}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def main(argv=None):
    p = argparse.ArgumentParser(description="local AWS emulator for cloudtrail_fdw tests")
    p.add_argument("--data", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--rate", type=int, default=2, help="LookupEvents calls per second per account and region (0: unlimited)")
    p.add_argument("--bucket-region", action="append", default=[], metavar="BUCKET=REGION")
    p.add_argument("--imds-duration", type=int, default=6 * 3600)
    p.add_argument("--lookup-now", help="the 'now' of LookupEvents' 90-day window (ISO-8601); default: the clock")
    p.add_argument("--pidfile")
    p.add_argument("--verbose", action="store_true")
    a = p.parse_args(argv)
    regions = dict(x.split("=", 1) for x in a.bucket_region)
    srv = Server(("127.0.0.1", a.port), Handler)
    srv.state = State(a.data, a.rate, regions)
    srv.default_rate = a.rate
    srv.verbose = a.verbose
    srv.imds_duration = a.imds_duration
    if a.lookup_now:
        srv.state.now_offset = parse_time(a.lookup_now) - now_epoch()
    srv.default_now_offset = srv.state.now_offset
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write(str(os.getpid()))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    random.seed()
    main()
