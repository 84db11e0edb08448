#!/usr/bin/env python3
"""hostile.py: an S3 / STS / IMDS endpoint that answers the way an attacker would.

For the TAP tests of what cloudtrail_fdw refuses (test/t/040_hostile.pl).
It checks no signature; it logs every request it receives exactly as it
arrived (request line, raw path, every header line), so that a test can
prove from the server side that no injected header and no smuggled second
request came in.  Python standard library only; listens on 127.0.0.1.

Control API (unlogged):
  POST /_hostile/mode   {"mode": ..., parameters}   how to answer from now on
  GET  /_hostile/log    the requests received
  POST /_hostile/reset  empty the log, back to mode "deny"

Modes:
  deny      S3: 403 AccessDenied.  STS: AssumeRole credentials whose
            SessionToken is the raw XML text "token" (entities and all).
            IMDS: a session token "imds_token" (raw bytes).
  list      ListObjectsV2 of AWSLogs/ with delimiter "/" (in this mode and
            in "big"): the folders of accounts 111111111111 to 444444444444.
            Of other prefixes: one page of the url-encoded "keys", padded with
            "pad" bytes of whitespace per key.  GetObject: 404 NoSuchKey.
  big       ListObjectsV2: a well-formed reply of "size" bytes (valid keys
            under the requested prefix, stamped "stamp"), its last 1,000
            bytes sent "hold" seconds after the rest.
  redirect  every S3 request: 301 PermanentRedirect to the region that is
            not the one the request was signed for (of "regions"); or, with
            "to", to that region, where an empty listing is the answer.
"""
import argparse
import json
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.log = []
        self.mode = {"mode": "deny"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "hostile"
    sys_version = ""

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def send(self, status, body, ctype="application/xml", headers=None):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-request-id", "HOSTILE0000000000")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def dispatch(self):
        st = self.server.state
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if self.path.startswith("/_hostile/"):
            return self.control(st, body)
        with st.lock:
            st.log.append({"method": self.command, "path": self.path,
                           "request_line": self.requestline,
                           "headers": [[k, v] for k, v in self.headers.items()]})
            mode = dict(st.mode)
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        m = mode["mode"]
        if url.path.startswith("/latest/"):
            if url.path == "/latest/api/token":
                return self.send(200, mode.get("imds_token", "imds-token").encode("latin-1"), "text/plain")
            if url.path.endswith("/security-credentials/"):
                return self.send(200, "hostile-role", "text/plain")
            return self.send(404, "", "text/plain")
        if self.command == "POST" and b"Action=" in body:
            token = mode.get("token", "hostile-token")
            return self.send(200, (
                '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>'
                "<Credentials><AccessKeyId>ASIAHOSTILE000000000</AccessKeyId>"
                "<SecretAccessKey>hostileSecret0000000000000000000000000000</SecretAccessKey>"
                f"<SessionToken>{token}</SessionToken>"
                "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
                "<AssumedRoleUser><AssumedRoleId>AROA:x</AssumedRoleId>"
                "<Arn>arn:aws:sts::111111111111:assumed-role/r/x</Arn></AssumedRoleUser>"
                "</AssumeRoleResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
                "</AssumeRoleResponse>"), "text/xml")
        if m == "redirect":
            a = re.search(r"Credential=[^/]*/\d{8}/([^/]+)/", self.headers.get("Authorization") or "")
            signed = a.group(1) if a else ""
            regions = mode.get("regions", ["us-east-1", "eu-west-1"])
            other = regions[1] if signed == regions[0] else regions[0]
            if mode.get("to"):
                if signed == mode["to"]:
                    return self.list_reply({"mode": "list"}, query.get("prefix", ""))
                other = mode["to"]
            return self.send(301, (
                '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code>'
                "<Message>The bucket you are attempting to access must be addressed using the "
                "specified endpoint.</Message><RequestId>r</RequestId></Error>"),
                headers={"x-amz-bucket-region": other})
        if query.get("list-type") == "2" and m in ("list", "big"):
            if query.get("prefix") == "AWSLogs/" and query.get("delimiter") == "/":
                return self.root_reply()
            return self.list_reply(mode, query.get("prefix", ""))
        if m == "list":
            return self.send(404, '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
                                  "<Message>The specified key does not exist.</Message></Error>")
        return self.send(403, '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
                              "<Message>Access Denied</Message><RequestId>r</RequestId></Error>")

    def root_reply(self):
        """The account folders, for a client that looks for them first."""
        folders = "".join(f"<CommonPrefixes><Prefix>AWSLogs/{a * 12}/</Prefix></CommonPrefixes>"
                          for a in "1234")
        return self.send(200, (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{S3_NS}">'
            "<Name>b</Name><Prefix>AWSLogs/</Prefix><Delimiter>/</Delimiter>"
            f"<IsTruncated>false</IsTruncated>{folders}</ListBucketResult>").encode())

    def list_reply(self, mode, prefix):
        head = (f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{S3_NS}">'
                f"<Name>b</Name><Prefix>{urllib.parse.quote(prefix, safe='/')}</Prefix>"
                "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>")
        parts = [head]
        if mode["mode"] == "list":
            pad = " " * int(mode.get("pad", 0))
            for k in mode.get("keys", []):
                parts.append(f"<Contents><Key>{k}</Key><Size>100</Size>{pad}</Contents>")
        else:
            # prefix is .../<acct>/CloudTrail/<region>/: valid names of that folder
            seg = prefix.rstrip("/").split("/")
            acct, region = seg[-3], seg[-1]
            stamp = mode.get("stamp", "20200101T0000Z")
            folder = f"{stamp[0:4]}/{stamp[4:6]}/{stamp[6:8]}/"
            size, total, i = int(mode["size"]), len(head), 0
            while total < size:
                c = (f"<Contents><Key>{prefix}{folder}{acct}_CloudTrail_{region}_{stamp}_"
                     f"{i:016d}.json.gz</Key><Size>100</Size>{' ' * 3800}</Contents>")
                parts.append(c)
                total += len(c)
                i += 1
        parts.append("</ListBucketResult>")
        body = "".join(parts).encode()
        hold = float(mode.get("hold", 0))
        if not hold:
            return self.send(200, body)
        # all but the end at once, the end after a while: every reply the
        # client asked for at the same time is in its memory at the same time
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body[:-1000])
        self.wfile.flush()
        time.sleep(hold)
        self.wfile.write(body[-1000:])

    def control(self, st, body):
        p = self.path[len("/_hostile/"):]
        with st.lock:
            if p == "log":
                out = list(st.log)
            elif p == "reset":
                st.log, st.mode, out = [], {"mode": "deny"}, {"ok": True}
            elif p == "mode":
                st.mode, out = json.loads(body), {"ok": True}
            else:
                return self.send(404, "", "text/plain")
        self.send(200, json.dumps(out), "application/json")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    a = p.parse_args(argv)
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.state = State()
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
