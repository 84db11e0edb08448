/*
 * test_digest.c
 *		Digest files: parsing, data-to-sign, signatures, log-file hashes and
 *		ListPublicKeys replies, on the documented samples of ../shared/data
 *		and on a trail the emulator's generator signs (with a key rotation
 *		and backfill digests).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json.h>
#include <zlib.h>

#include "ct_digest.h"
#include "unit.h"

static char dir[256];
static char top[1024];

static char *
path_in(const char *a, const char *b)
{
	static char p[4][2048];
	static int	i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", a, b);
	return p[i];
}

static char *
gzip_bytes(const char *data, size_t len, size_t *outlen)
{
	z_stream	zs;
	size_t		cap = len + 1024;
	char	   *out = malloc(cap);

	memset(&zs, 0, sizeof(zs));
	deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (unsigned char *) data;
	zs.avail_in = (uInt) len;
	zs.next_out = (unsigned char *) out;
	zs.avail_out = (uInt) cap;
	deflate(&zs, Z_FINISH);
	*outlen = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

/* ---- the documented samples */

static void
test_doc_samples(void)
{
	const char *samples = "files/awsdocs/digest-examples";
	char	   *p = path_in(SHARED_DATA, samples);
	char		err[256];
	size_t		len,
				slen;
	char	   *text = unit_slurp(path_in(p, "cloudtrail-log-file-validation-digest-file-structure.block2.json"), &len);
	CtDigest	d;
	char	   *sts;
	char		want[4096];
	CtSha256   *h;
	char		hex[65];

	if (!unit_ok(text != NULL, "documented digest sample is there"))
		return;
	unit_ok(ct_digest_parse(text, len, &d, err, sizeof(err)) == CT_DIGEST_OK, "documented digest parses");
	unit_is(d.fingerprint, "31e8b5433410dfb61a9dc45cc65b22ff", "its digestPublicKeyFingerprint");
	unit_is(d.signature_algorithm, "SHA256withRSA", "its digestSignatureAlgorithm");
	unit_ok(d.nlogs == 1 && strstr(d.logs[0].s3_object, "_9nYN7gp2eWAJHIfT.json.gz") &&
			strcmp(d.logs[0].hash_algorithm, "SHA-256") == 0 &&
			strcmp(d.logs[0].newest_event_time, "2015-08-17T14:52:27Z") == 0, "its one log file");
	unit_ok(d.times_ok && d.end - d.start == 3600 && d.end == 1439823691, "its window, in epoch seconds");
	unit_ok(d.prev_signature && strlen(d.prev_signature) == 512 && d.prev_object &&
			strcmp(d.prev_hash_algorithm, "SHA-256") == 0, "its previous digest");

	/* the hash is of the bytes as they are, whatever their JSON layout */
	h = ct_sha256_new();
	for (size_t i = 0; i < len; i++)
		ct_sha256_update(h, text + i, 1);
	ct_sha256_final(h, hex);
	ct_sha256_free(h);
	unit_is(d.sha256, hex, "its SHA-256, one-shot and byte by byte");
	sts = ct_digest_data_to_sign(&d, &slen);
	snprintf(want, sizeof(want), "2015-08-17T15:01:31Z\nS3-bucket-name/%s\n%s\n%s", d.s3_object, hex,
			 d.prev_signature);
	unit_is(sts, want, "data-to-sign: end time, bucket/object, hash, previous signature; no newline at the end");
	unit_ok(slen == strlen(want), "data-to-sign length");
	free(sts);
	ct_digest_free(&d);
	free(text);

	text = unit_slurp(path_in(p, "cloudtrail-log-file-validation-digest-file-structure.block3.json"), &len);
	if (unit_ok(text && ct_digest_parse(text, len, &d, err, sizeof(err)) == CT_DIGEST_OK,
				"second documented digest (an hour without log files) parses"))
	{
		unit_ok(d.nlogs == 0 && !d.newest_event_time && !d.oldest_event_time && d.prev_signature,
				"no log files, null event times, a previous digest");
		ct_digest_free(&d);
	}
	free(text);
	{
		const char *start = "{\"digestStartTime\":\"2026-11-19T00:00:00Z\",\"digestEndTime\":\"2026-11-19T01:05:00Z\","
			"\"digestS3Bucket\":\"b\",\"digestS3Object\":\"k\",\"digestPublicKeyFingerprint\":\"f\","
			"\"previousDigestSignature\":null,\"previousDigestS3Object\":null,\"logFiles\":[]}";

		ct_digest_parse(start, strlen(start), &d, err, sizeof(err));
		sts = ct_digest_data_to_sign(&d, &slen);
		snprintf(want, sizeof(want), "2026-11-19T01:05:00Z\nb/k\n%s\nnull", d.sha256);
		unit_is(sts, want, "data-to-sign of a chain start ends in the word null");
		free(sts);
		ct_digest_free(&d);
	}

	/* malformed event times and a previous signature that is no hex: still a digest */
	text = unit_slurp(path_in(SHARED_DATA, "digests/otel-negative/cloudtrail_digest.json"), &len);
	if (unit_ok(text && ct_digest_parse(text, len, &d, err, sizeof(err)) == CT_DIGEST_OK,
				"third-party negative sample parses"))
	{
		unit_is(d.logs[0].oldest_event_time, "2025-10-21TT00:42:27Z", "its log file times, verbatim");
		unit_is(d.prev_signature, "hash-of-previous-digest", "its previous signature, verbatim");
		ct_digest_free(&d);
	}
	free(text);
}

static void
test_public_key_samples(void)
{
	char		err[256];
	size_t		len;
	char	   *text = unit_slurp(path_in(SHARED_DATA, "lookup-events/aws-cli/examples/list-public-keys.output.json"), &len);
	CtPublicKeyList l;
	const CtPublicKey *k;

	if (!unit_ok(text && ct_public_keys_parse(text, len, &l, err, sizeof(err)),
				 "aws-cli's ListPublicKeys example parses"))
		return;
	k = ct_public_keys_find(&l, "7f3f401420072e50a65a141430817ab3");
	unit_ok(l.nkeys == 1 && k && k->fingerprint_ok && k->der_len == 270,
			"its one key: 270 DER bytes whose MD5 is the fingerprint");
	unit_ok(k && k->valid_from == 1453076702 && k->valid_to == 1455668702, "its validity, from float seconds");
	unit_ok(!ct_public_keys_find(&l, "31e8b5433410dfb61a9dc45cc65b22ff") && !l.next_token,
			"no other key, no NextToken");
	unit_ok(k && ct_digest_verify("x", 1, "00ff", k->der, k->der_len) == CT_SIG_MISMATCH,
			"a real key loads (a short signature is a mismatch)");
	ct_public_keys_free(&l);
	free(text);
}

/* ---- parse errors */

static CtDigestStatus
parse_str(const char *s, char *err, size_t errlen)
{
	CtDigest	d;
	CtDigestStatus st = ct_digest_parse(s, strlen(s), &d, err, errlen);

	ct_digest_free(&d);
	return st;
}

#define GOOD_HEAD "{\"digestStartTime\":\"2026-11-19T00:00:00Z\",\"digestEndTime\":\"2026-11-19T01:05:00Z\"," \
	"\"digestS3Bucket\":\"b\",\"digestS3Object\":\"k\",\"digestPublicKeyFingerprint\":\"f\","
static void
test_parse_errors(void)
{
	char		err[256];
	static const char *const required[] = {
		"digestStartTime", "digestEndTime", "digestS3Bucket", "digestS3Object",
		"digestPublicKeyFingerprint", "previousDigestSignature", "logFiles"
	};
	const char *good = GOOD_HEAD "\"previousDigestSignature\":null,\"logFiles\":[]}";

	unit_ok(parse_str(good, err, sizeof(err)) == CT_DIGEST_OK, "a minimal digest parses");
	unit_ok(parse_str("this is not JSON {", err, sizeof(err)) == CT_DIGEST_NOT_JSON, "text is not JSON");
	unit_ok(parse_str("[1,2]", err, sizeof(err)) == CT_DIGEST_NOT_JSON, "an array is no digest");
	unit_ok(parse_str("", err, sizeof(err)) == CT_DIGEST_NOT_JSON, "nothing is no digest");
	unit_ok(parse_str(GOOD_HEAD "\"previousDigestSignature\":null,\"logFiles\":[]} x", err, sizeof(err))
			== CT_DIGEST_NOT_JSON, "data after the object");
	unit_ok(parse_str(GOOD_HEAD "\"previousDigestSignature\":null,\"logFiles\":[]} \n", err, sizeof(err))
			== CT_DIGEST_OK, "white space after the object is fine");
	unit_ok(parse_str(GOOD_HEAD "\"previousDigestSignature\":null,\"logFiles\":[],\"x\":\"\xff\"}", err,
					  sizeof(err)) == CT_DIGEST_NOT_JSON, "invalid UTF-8");
	for (int i = 0; i < 7; i++)
	{
		/* the good digest without one member */
		json_object *o = json_tokener_parse(good);
		char		name[128];

		json_object_object_del(o, required[i]);
		snprintf(name, sizeof(name), "without %s: missing key, named", required[i]);
		unit_ok(parse_str(json_object_to_json_string(o), err, sizeof(err)) == CT_DIGEST_MISSING_KEY &&
				strstr(err, required[i]) != NULL, name);
		json_object_put(o);
	}
	unit_ok(parse_str(GOOD_HEAD "\"previousDigestSignature\":5,\"logFiles\":[]}", err, sizeof(err))
			== CT_DIGEST_BAD_VALUE, "a previous signature that is a number");
	unit_ok(parse_str("{\"digestStartTime\":1,\"digestEndTime\":\"e\",\"digestS3Bucket\":\"b\","
					  "\"digestS3Object\":\"k\",\"digestPublicKeyFingerprint\":\"f\","
					  "\"previousDigestSignature\":null,\"logFiles\":[]}", err, sizeof(err))
			== CT_DIGEST_BAD_VALUE, "a start time that is a number");
	unit_ok(parse_str(GOOD_HEAD "\"previousDigestSignature\":null,\"logFiles\":{}}", err, sizeof(err))
			== CT_DIGEST_BAD_VALUE, "logFiles that is no array");
	unit_ok(parse_str(GOOD_HEAD "\"previousDigestSignature\":null,\"logFiles\":[{\"s3Bucket\":\"b\"}]}",
					  err, sizeof(err)) == CT_DIGEST_BAD_VALUE, "a log file without s3Object");
	unit_ok(parse_str(GOOD_HEAD "\"previousDigestSignature\":null,\"logFiles\":null}", err, sizeof(err))
			== CT_DIGEST_OK, "null logFiles: none");
	unit_ok(parse_str(GOOD_HEAD "\"digestS3Object\":\"k\\u0000x\",\"previousDigestSignature\":null,"
					  "\"logFiles\":[]}", err, sizeof(err)) == CT_DIGEST_BAD_VALUE,
			"a NUL inside a required string");
	{
		CtDigest	d;
		const char *s = "{\"digestStartTime\":\"2026-11-19 00:00\",\"digestEndTime\":\"e\","
			"\"digestS3Bucket\":\"b\",\"digestS3Object\":\"k\",\"digestPublicKeyFingerprint\":\"f\","
			"\"previousDigestSignature\":null,\"logFiles\":[]}";

		unit_ok(ct_digest_parse(s, strlen(s), &d, err, sizeof(err)) == CT_DIGEST_OK && !d.times_ok,
				"unparsable times: a digest still, times_ok false");
		ct_digest_free(&d);
	}
}

/* ---- inflating and hashing */

static void
test_inflate_and_loghash(void)
{
	const char *json = "{\"Records\":[{\"eventName\":\"X\"}]}";
	size_t		glen,
				g2len;
	char	   *gz = gzip_bytes(json, strlen(json), &glen);
	char	   *gz2 = gzip_bytes("{}", 2, &g2len);
	char	   *both = malloc(glen + g2len);
	CtBuf		out = CT_BUF_INIT;
	bool		trailing;
	char		err[256],
				want[65];
	CtLogHash  *lh;
	CtLogHashResult r;
	CtSha256   *h = ct_sha256_new();

	ct_sha256_update(h, json, strlen(json));
	ct_sha256_final(h, want);
	ct_sha256_free(h);
	memcpy(both, gz, glen);
	memcpy(both + glen, gz2, g2len);

	unit_ok(ct_digest_inflate(gz, glen, 0, &out, &trailing, err, sizeof(err)) == CT_DIGEST_OK &&
			out.len == strlen(json) && memcmp(out.data, json, out.len) == 0 && !trailing, "inflate");
	ct_buf_reset(&out);
	unit_ok(ct_digest_inflate(both, glen + g2len, 0, &out, &trailing, err, sizeof(err)) == CT_DIGEST_OK &&
			out.len == strlen(json) && trailing, "inflate: the first member, trailing data noted");
	ct_buf_reset(&out);
	unit_ok(ct_digest_inflate(gz, glen - 9, 0, &out, &trailing, err, sizeof(err)) == CT_DIGEST_NOT_GZIP,
			"inflate: truncated");
	ct_buf_reset(&out);
	unit_ok(ct_digest_inflate(json, strlen(json), 0, &out, &trailing, err, sizeof(err)) == CT_DIGEST_NOT_GZIP,
			"inflate: not gzip");
	ct_buf_reset(&out);
	unit_ok(ct_digest_inflate(gz, glen, 10, &out, &trailing, err, sizeof(err)) == CT_DIGEST_NOT_GZIP,
			"inflate: over the limit");
	ct_buf_free(&out);

	for (size_t step = 1; step <= glen; step = step * 3 + 1)
	{
		char		name[96];

		lh = ct_loghash_new(0);
		for (size_t i = 0; i < glen; i += step)
			ct_loghash_feed(lh, gz + i, i + step > glen ? glen - i : step);
		ct_loghash_finish(lh, &r);
		ct_loghash_free(lh);
		snprintf(name, sizeof(name), "log hash, fed %zu bytes at a time", step);
		unit_ok(r.state == CT_LOGHASH_OK && strcmp(r.hex, want) == 0 &&
				r.inflated == (long long) strlen(json) && r.trailing == 0, name);
	}
	lh = ct_loghash_new(0);
	ct_loghash_feed(lh, both, glen + 3);
	ct_loghash_feed(lh, both + glen + 3, g2len - 3);
	ct_loghash_finish(lh, &r);
	ct_loghash_free(lh);
	unit_ok(r.state == CT_LOGHASH_OK && strcmp(r.hex, want) == 0 && r.trailing == (long long) g2len,
			"log hash: a second member is trailing data, the hash is the first's");
	lh = ct_loghash_new(0);
	ct_loghash_feed(lh, gz, glen / 2);
	ct_loghash_finish(lh, &r);
	ct_loghash_free(lh);
	unit_ok(r.state == CT_LOGHASH_TRUNCATED && strcmp(r.hex, want) != 0, "log hash: truncated");
	lh = ct_loghash_new(0);
	unit_ok(!ct_loghash_feed(lh, json, strlen(json)), "log hash: feeding plain text fails");
	ct_loghash_finish(lh, &r);
	ct_loghash_free(lh);
	unit_ok(r.state == CT_LOGHASH_INVALID && r.err[0], "log hash: not gzip");
	lh = ct_loghash_new(0);
	ct_loghash_finish(lh, &r);
	ct_loghash_free(lh);
	unit_ok(r.state == CT_LOGHASH_INVALID, "log hash: an empty file");
	lh = ct_loghash_new(8);
	ct_loghash_feed(lh, gz, glen);
	ct_loghash_finish(lh, &r);
	ct_loghash_free(lh);
	unit_ok(r.state == CT_LOGHASH_TOO_LARGE, "log hash: over the limit");
	free(gz);
	free(gz2);
	free(both);
}

static void
test_base64_and_bodies(void)
{
	size_t		n;
	unsigned char *b;
	char	   *body;

	b = ct_base64_decode("aGVsbG8=", 8, &n);
	unit_ok(b && n == 5 && memcmp(b, "hello", 5) == 0, "base64 with padding");
	free(b);
	b = ct_base64_decode("aGk=", 4, &n);
	unit_ok(b && n == 2 && memcmp(b, "hi", 2) == 0, "base64, one byte of padding");
	free(b);
	unit_ok(!ct_base64_decode("aGVsbG8", 7, &n) && !ct_base64_decode("aG=sbG8=", 8, &n) &&
			!ct_base64_decode("aGVs bG8", 8, &n), "bad base64 is refused");
	body = ct_public_keys_body(1763510400, 1763604000, NULL);
	unit_is(body, "{\"StartTime\":1763510400,\"EndTime\":1763604000}", "ListPublicKeys body");
	free(body);
	{
		CtPublicKeyList l;
		char		err[128];
		const char *bad = "{\"PublicKeyList\":[{\"Value\":\"!!\",\"ValidityStartTime\":1,"
			"\"ValidityEndTime\":2,\"Fingerprint\":\"00000000000000000000000000000000\"}]}";
		const char *empty = "{\"PublicKeyList\":[],\"NextToken\":\"t\"}";

		unit_ok(!ct_public_keys_parse(bad, strlen(bad), &l, err, sizeof(err)) && strstr(err, "base64"),
				"a key that is no base64: the reply is refused");
		unit_ok(ct_public_keys_parse(empty, strlen(empty), &l, err, sizeof(err)) && l.nkeys == 0 &&
				l.next_token && strcmp(l.next_token, "t") == 0, "no keys, a NextToken");
		ct_public_keys_free(&l);
		unit_ok(!ct_public_keys_parse("{}", 2, &l, err, sizeof(err)), "no PublicKeyList");
	}
}

/* ---- a generated trail */

static json_object *
read_json(const char *path)
{
	size_t		len;
	char	   *t = unit_slurp(path, &len);
	json_object *o = t ? json_tokener_parse(t) : NULL;

	free(t);
	return o;
}

static const char *
jstr(json_object *o, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(o, name, &v) && v ? json_object_get_string(v) : NULL;
}

static bool
generate(void)
{
	char		cmd[4096];
	char		emu[1200];

	snprintf(emu, sizeof(emu), "%s/test/emulator", top);
	snprintf(dir, sizeof(dir), "/tmp/ctfdw-digest.XXXXXX");
	if (!mkdtemp(dir))
		return false;
	snprintf(cmd, sizeof(cmd),
			 "/usr/bin/python3 '%s/gentrail.py' --data '%s/emu' --records '%s/real-cloudtrail/records.ndjson' "
			 "--days 1 --events-per-day 40 --end 2026-11-20T00:00:00Z --accounts 111111111111 "
			 "--regions us-east-1 --organization-id o-unittest01 --rotate-key-at 12 --backfill 2 "
			 "--stop-logging 5:1 --seed 5 >/dev/null && "
			 "/usr/bin/python3 -c 'import sys, json, base64; sys.path.insert(0, sys.argv[1]); import testkey; "
			 "print(json.dumps({\"PublicKeyList\": [{\"Value\": base64.b64encode(testkey.public_der(k)).decode(), "
			 "\"ValidityStartTime\": 1.7e9, \"ValidityEndTime\": 1.9e9, \"Fingerprint\": testkey.fingerprint(k)} "
			 "for k in (0, testkey.ROTATED)]}))' '%s' >'%s/keys.json'",
			 emu, dir, SHARED_DATA, emu, dir);
	return system(cmd) == 0;
}

static char *
fetch(const char *key, size_t *len)
{
	char		p[2048];

	snprintf(p, sizeof(p), "%s/emu/s3/trail-bucket/%s", dir, key);
	return unit_slurp(p, len);
}

static char *
signature_of(const char *key)
{
	char		p[2048];
	json_object *m;
	char	   *sig;

	snprintf(p, sizeof(p), "%s/emu/meta/trail-bucket/%s.json", dir, key);
	m = read_json(p);
	sig = m && jstr(m, "signature") ? strdup(jstr(m, "signature")) : NULL;
	json_object_put(m);
	return sig;
}

static void
test_generated_trail(void)
{
	char		err[256];
	size_t		len;
	char	   *text;
	CtPublicKeyList keys;
	FILE	   *f;
	char		line[65536];
	int			ndigests = 0,
				verified = 0,
				located = 0,
				chained = 0,
				chain_starts = 0,
				backfills = 0,
				nlogs = 0,
				logs_ok = 0,
				tampered_caught = 0;
	char		fps[2][33] = {"", ""};

	if (!unit_ok(generate(), "the generator writes a trail (key rotation, backfill, stopped logging)"))
		return;
	text = unit_slurp(path_in(dir, "keys.json"), &len);
	if (!unit_ok(text && ct_public_keys_parse(text, len, &keys, err, sizeof(err)) && keys.nkeys == 2 &&
				 keys.keys[0].fingerprint_ok && keys.keys[1].fingerprint_ok,
				 "the emulator's two public keys, fingerprints their MD5"))
		return;
	free(text);

	f = fopen(path_in(dir, "emu/digests.ndjson"), "r");
	while (f && fgets(line, sizeof(line), f))
	{
		json_object *idx = json_tokener_parse(line);
		const char *key = jstr(idx, "key");
		const char *prev = jstr(idx, "previous");
		json_object *v;
		char	   *gz = fetch(key, &len);
		CtBuf		raw = CT_BUF_INIT;
		bool		trailing;
		CtDigest	d;
		char	   *sig = signature_of(key);
		const CtPublicKey *k;
		char	   *sts;
		size_t		slen;

		ndigests++;
		if (json_object_object_get_ex(idx, "backfill", &v) && json_object_get_boolean(v))
			backfills++;
		if (!gz || ct_digest_inflate(gz, len, 0, &raw, &trailing, err, sizeof(err)) != CT_DIGEST_OK ||
			ct_digest_parse(raw.data, raw.len, &d, err, sizeof(err)) != CT_DIGEST_OK)
		{
			printf("# %s: %s\n", key, err);
			goto next;
		}
		located += strcmp(d.s3_bucket, "trail-bucket") == 0 && strcmp(d.s3_object, key) == 0;
		if (strcmp(fps[0], d.fingerprint) != 0 && strcmp(fps[1], d.fingerprint) != 0)
			strcpy(fps[fps[0][0] ? 1 : 0], d.fingerprint);
		k = ct_public_keys_find(&keys, d.fingerprint);
		sts = ct_digest_data_to_sign(&d, &slen);
		if (k && sts && ct_digest_verify(sts, slen, sig, k->der, k->der_len) == CT_SIG_VERIFIED)
		{
			/* the other key, a changed byte, a bad header, a bad key: each caught */
			const CtPublicKey *other = &keys.keys[k == &keys.keys[0] ? 1 : 0];
			char	   *bad = strdup(sig);

			verified++;

			tampered_caught += ct_digest_verify(sts, slen, sig, other->der, other->der_len) == CT_SIG_MISMATCH;
			sts[slen / 2] ^= 1;
			tampered_caught += ct_digest_verify(sts, slen, sig, k->der, k->der_len) == CT_SIG_MISMATCH;
			sts[slen / 2] ^= 1;
			bad[0] = 'z';
			tampered_caught += ct_digest_verify(sts, slen, bad, k->der, k->der_len) == CT_SIG_MALFORMED;
			tampered_caught += ct_digest_verify(sts, slen, sig, k->der, k->der_len - 1) == CT_SIG_BAD_KEY;
			free(bad);
		}
		free(sts);
		if (!prev)
			chain_starts += d.prev_signature == NULL && d.prev_object == NULL;
		else
		{
			/* the older digest is what this one says it is */
			size_t		plen;
			char	   *pgz = fetch(prev, &plen);
			CtBuf		praw = CT_BUF_INIT;
			char	   *psig = signature_of(prev);
			CtSha256   *h = ct_sha256_new();
			char		hex[65];

			if (pgz && ct_digest_inflate(pgz, plen, 0, &praw, &trailing, err, sizeof(err)) == CT_DIGEST_OK)
			{
				ct_sha256_update(h, praw.data, praw.len);
				ct_sha256_final(h, hex);
				chained += strcmp(d.prev_object, prev) == 0 && strcmp(d.prev_hash, hex) == 0 &&
					psig && strcmp(d.prev_signature, psig) == 0;
			}
			ct_sha256_free(h);
			ct_buf_free(&praw);
			free(pgz);
			free(psig);
		}
		for (int i = 0; i < d.nlogs; i++)
		{
			size_t		loglen;
			char	   *log = fetch(d.logs[i].s3_object, &loglen);
			CtLogHash  *lh = ct_loghash_new(0);
			CtLogHashResult r;

			nlogs++;
			for (size_t o = 0; log && o < loglen; o += 1000)
				ct_loghash_feed(lh, log + o, loglen - o < 1000 ? loglen - o : 1000);
			ct_loghash_finish(lh, &r);
			ct_loghash_free(lh);
			logs_ok += log && r.state == CT_LOGHASH_OK && strcmp(r.hex, d.logs[i].hash_value) == 0;
			free(log);
		}
		ct_digest_free(&d);
next:
		ct_buf_free(&raw);
		free(gz);
		free(sig);
		json_object_put(idx);
	}
	if (f)
		fclose(f);
	printf("# %d digests (%d backfill), %d log files\n", ndigests, backfills, nlogs);
	unit_ok(ndigests > 30 && backfills == 2, "every hour has a digest, and two backfill digests");
	unit_ok(located == ndigests, "each digest names the key it is at");
	unit_ok(verified == ndigests, "every digest's signature verifies with the key of its fingerprint");
	unit_ok(fps[0][0] && fps[1][0], "two keys sign them (the rotation)");
	unit_ok(tampered_caught == 4 * ndigests,
			"and each: the other key, a changed byte, a bad header and a bad key are told apart");
	unit_ok(chain_starts == 3, "three chain starts: the first digest, after stopped logging, the first backfill");
	unit_ok(chained == ndigests - chain_starts,
			"every other digest names its predecessor's key, hash and signature");
	unit_ok(nlogs > 20 && logs_ok == nlogs, "every log file's hash, as its bytes arrive, is the digest's");
	ct_public_keys_free(&keys);
}

int
main(int argc, char **argv)
{
	char		cmd[600];

	if (getenv("CT_TOP"))
		snprintf(top, sizeof(top), "%s", getenv("CT_TOP"));
	else
	{
		/* .../test/unit/test_digest: the top of the tree is three up */
		const char *tail = "test/unit/test_digest";
		size_t		n = strlen(argv[0]);

		if (n >= strlen(tail) && strcmp(argv[0] + n - strlen(tail), tail) == 0)
			snprintf(top, sizeof(top), "%.*s.", (int) (n - strlen(tail)), argv[0]);
		else
			snprintf(top, sizeof(top), ".");
	}
	test_doc_samples();
	test_public_key_samples();
	test_parse_errors();
	test_inflate_and_loghash();
	test_base64_and_bodies();
	test_generated_trail();
	if (dir[0])
	{
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return unit_done();
}
