"""SigV4 for the emulator: an independent implementation used to verify
every signed request the extension (or awscli/boto3) sends.

Standard library only.
"""
import hashlib
import hmac
import re
import urllib.parse

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"


def uri_encode(s, keep_slash=False):
    safe = "/" if keep_slash else ""
    return urllib.parse.quote(s, safe=safe + "-_.~")


def canonical_query(raw_query):
    """Canonical query string from the raw (still encoded) query of a request."""
    if not raw_query:
        return ""
    pairs = []
    for part in raw_query.split("&"):
        if part == "":
            continue
        k, _, v = part.partition("=")
        k = uri_encode(urllib.parse.unquote(k))
        v = uri_encode(urllib.parse.unquote(v))
        pairs.append((k, v))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


def normalize_path(path):
    segs = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if segs:
                segs.pop()
            continue
        segs.append(seg)
    out = "/" + "/".join(segs)
    if path.endswith("/") and out != "/":
        out += "/"
    return out


def canonical_uri(raw_path, service):
    if service == "s3":
        # S3: no normalisation; each key byte encoded once.
        return uri_encode(urllib.parse.unquote(raw_path), keep_slash=True)
    return uri_encode(normalize_path(raw_path), keep_slash=True)


def trim(value):
    return re.sub(r"\s+", " ", value.strip())


def canonical_request(method, raw_path, raw_query, headers, signed, payload_hash, service):
    """headers: list of (name, value) as received; signed: list of lowercase names."""
    by_name = {}
    for name, value in headers:
        by_name.setdefault(name.lower(), []).append(trim(value))
    lines = []
    for name in signed:
        lines.append(f"{name}:{','.join(by_name.get(name, []))}\n")
    return "\n".join([
        method,
        canonical_uri(raw_path, service),
        canonical_query(raw_query),
        "".join(lines),
        ";".join(signed),
        payload_hash,
    ])


def signing_key(secret, date, region, service):
    k = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return k


def string_to_sign(amzdate, scope, creq):
    return "\n".join(["AWS4-HMAC-SHA256", amzdate, scope,
                      hashlib.sha256(creq.encode()).hexdigest()])


_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,\s*"
    r"SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$")


def parse_authorization(value):
    m = _AUTH_RE.match(value or "")
    if not m:
        return None
    akid, date, region, service, signed, sig = m.groups()
    return {"akid": akid, "date": date, "region": region, "service": service,
            "signed": signed.split(";"), "signature": sig}


def signature(secret, amzdate, region, service, creq):
    scope = f"{amzdate[:8]}/{region}/{service}/aws4_request"
    sts = string_to_sign(amzdate, scope, creq)
    return hmac.new(signing_key(secret, amzdate[:8], region, service),
                    sts.encode(), hashlib.sha256).hexdigest(), sts
