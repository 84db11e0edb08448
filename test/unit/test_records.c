/*
 * test_records.c
 *		The streaming gunzip + Records splitter, on the real log files in
 *		../shared/data/files and on broken input.
 *
 * Every record the splitter returns is compared, as parsed JSON, with the
 * same record taken from an independent whole-file parse (zlib gzread +
 * json-c), feeding the compressed bytes whole and one byte at a time.
 */
#include <json.h>
#include <zlib.h>

#include "ct_buf.h"
#include "ct_host.h"
#include "ct_rec.h"
#include "ct_records.h"
#include "unit.h"

static const char *real_files[] = {
	"files/aws-cloudtrail-processing-library/SerializerTestFileCompact.json.gz",
	"files/grafana-loki/cloudtrail-log-file.json.gz",
	"files/trailscraper/111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz",
	"files/otrf/ec2_proxy_s3_exfiltration.restored.Records.json.gz",
	"files/panther/panther_cloudtrail_test_events_complete.Records.json.gz",
	"files/streamalert/streamalert_cloudtrail_records.Records.json.gz",
	"files/cloud-custodian/custodian_cloudtrail_records.Records.json.gz",
	"files/cribl/cribl_cloudtrail_records.Records.json.gz",
	"files/awsdocs/awsdocs_example_records.Records.json.gz",
};

static char *
gunzip_file(const char *path)
{
	gzFile		f = gzopen(path, "rb");
	CtBuf		b = CT_BUF_INIT;
	char		chunk[65536];
	int			n;

	if (!f)
		return NULL;
	while ((n = gzread(f, chunk, sizeof(chunk))) > 0)
		ct_buf_append(&b, chunk, n);
	gzclose(f);
	return b.data;
}

/* Feed data in pieces of "step" bytes; return the number of matching records, -1 on mismatch. */
static int
read_all(const char *data, size_t len, size_t step, bool gz, json_object *want,
		 char *err, size_t errlen)
{
	CtRecordReader *rr = ct_rr_create(gz);
	size_t		pos = 0;
	int			n = 0;

	err[0] = '\0';
	for (;;)
	{
		const char *rec;
		size_t		rlen;
		CtRecordStatus st = ct_rr_next(rr, &rec, &rlen);

		if (st == CT_REC_RECORD)
		{
			json_object *got = json_tokener_parse(strndup(rec, rlen));

			if (want && (!got || !json_object_equal(got, json_object_array_get_idx(want, n))))
			{
				snprintf(err, errlen, "record %d differs", n);
				n = -1;
				json_object_put(got);
				break;
			}
			json_object_put(got);
			n++;
		}
		else if (st == CT_REC_NEED_INPUT)
		{
			size_t		k = len - pos < step ? len - pos : step;

			if (k == 0)
				ct_rr_set_eof(rr);
			else
				ct_rr_push(rr, data + pos, k);
			pos += k;
		}
		else if (st == CT_REC_END)
			break;
		else
		{
			snprintf(err, errlen, "%s", ct_rr_error(rr));
			n = -1;
			break;
		}
	}
	ct_rr_destroy(rr);
	return n;
}

static void
real_data(void)
{
	int			total = 0;

	for (size_t i = 0; i < sizeof(real_files) / sizeof(real_files[0]); i++)
	{
		char		path[512],
					label[600],
					err[256];
		size_t		len = 0;
		char	   *gz,
				   *plain;
		json_object *doc,
				   *recs;
		int			want,
					got;

		snprintf(path, sizeof(path), "%s/%s", SHARED_DATA, real_files[i]);
		gz = unit_slurp(path, &len);
		plain = gunzip_file(path);
		doc = plain ? json_tokener_parse(plain) : NULL;
		recs = doc ? json_object_object_get(doc, "Records") : NULL;
		snprintf(label, sizeof(label), "%s: reference parse", real_files[i]);
		if (!unit_ok(gz && recs, label))
			continue;
		want = (int) json_object_array_length(recs);
		got = read_all(gz, len, len, true, recs, err, sizeof(err));
		snprintf(label, sizeof(label), "%s: %d records, whole object (%s)", real_files[i], want, err);
		unit_ok(got == want, label);
		got = read_all(gz, len, 1, true, recs, err, sizeof(err));
		snprintf(label, sizeof(label), "%s: %d records, one byte at a time (%s)", real_files[i], want, err);
		unit_ok(got == want, label);
		total += want;
		json_object_put(doc);
		free(gz);
		free(plain);
	}
	unit_ok(total == 682, "real files: all 682 records compared");
}

static char *
gz(const char *s, size_t *len)
{
	uLongf		cap = compressBound(strlen(s)) + 64;
	char	   *out = malloc(cap);
	z_stream	zs = {0};

	deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (Bytef *) s;
	zs.avail_in = strlen(s);
	zs.next_out = (Bytef *) out;
	zs.avail_out = cap;
	deflate(&zs, Z_FINISH);
	*len = zs.total_out;
	deflateEnd(&zs);
	return out;
}

static void
expect_error(const char *name, const char *data, size_t len, bool isgz, const char *want_substr)
{
	char		err[256],
				label[512];
	int			n = read_all(data, len, 7, isgz, NULL, err, sizeof(err));

	snprintf(label, sizeof(label), "%s: error \"%s\"", name, err);
	unit_ok(n < 0 && strstr(err, want_substr) != NULL, label);
}

static void
bad_input(void)
{
	size_t		len,
				len2;
	char	   *ok = gz("{\"Records\":[{\"a\":1},{\"b\":\"}\\\"{\"}]}", &len);
	char	   *buf;
	char		err[256];

	unit_ok(read_all(ok, len, 3, true, NULL, err, sizeof(err)) == 2,
			"braces and escaped quotes inside strings do not split records");
	{
		/* runs of backslashes before quotes, cut at every possible place */
		const char *t = "{\"Records\":[{\"k\\\\\":\"v\\\\\\\"}{\\\\\"},{\"x\":\"\\\\\\\\\"}]}";
		size_t		tl = strlen(t);
		bool		all = true;

		for (size_t step = 1; step <= tl; step++)
			all &= read_all(t, tl, step, false, NULL, err, sizeof(err)) == 2;
		unit_ok(all, "backslash runs before quotes, split at every chunk size");
	}
	{
		char	   *other = gz("{\"x\":{\"y\":[1,2,\"]\"]},\"Records\":[],\"z\":null}", &len2);

		unit_ok(read_all(other, len2, 1, true, NULL, err, sizeof(err)) == 0,
				"other top-level members are skipped; empty Records gives no rows");
	}
	/* corrupt: flip bytes in the middle of the deflate data */
	buf = malloc(len);
	memcpy(buf, ok, len);
	for (size_t i = 12; i < 20 && i < len; i++)
		buf[i] ^= 0x5a;
	{
		/* garbage may inflate "successfully" until the CRC; either check may fire first */
		int			n = read_all(buf, len, 7, true, NULL, err, sizeof(err));
		char		label[512];

		snprintf(label, sizeof(label), "corrupt gzip: error \"%s\"", err);
		unit_ok(n < 0 && (strstr(err, "gzip") || strstr(err, "JSON")), label);
	}
	expect_error("truncated gzip", ok, len / 2, true, "truncated gzip");
	/* data after the gzip member */
	buf = malloc(len * 2);
	memcpy(buf, ok, len);
	memcpy(buf + len, ok, len);
	expect_error("two gzip members", buf, len * 2, true, "after end of compressed stream");
	expect_error("not gzip at all", "hello world, not gzip", 21, true, "gzip");
	{
		char	   *t;

		t = gz("not json", &len2);
		expect_error("not JSON", t, len2, true, "not a JSON object");
		t = gz("{\"Records\":[1,2]}", &len2);
		expect_error("entry not an object", t, len2, true, "not a JSON object");
		t = gz("{\"Records\":[{\"a\":1}]} trailing", &len2);
		expect_error("data after the document", t, len2, true, "after the end of the JSON");
		t = gz("{\"Records\":[{\"a\":1}", &len2);
		expect_error("truncated JSON", t, len2, true, "truncated JSON");
		t = gz("{\"digestStartTime\":\"x\",\"logFiles\":[]}", &len2);
		expect_error("a digest file", t, len2, true, "no \"Records\"");
		t = gz("", &len2);
		expect_error("empty file", t, len2, true, "empty");
		t = gz("{\"Records\":{}}", &len2);
		expect_error("Records not an array", t, len2, true, "not an array");
	}
	expect_error("plain mode: truncated", "{\"Records\":[{", 13, false, "truncated JSON");
}

/* The string value of member key of record text, or NULL. */
static char *
member_of(const char *text, const char *key, char *out, size_t outlen)
{
	CtRecIndex *idx = malloc(sizeof(CtRecIndex));
	CtSpan		v;
	CtBuf		b = CT_BUF_INIT;
	char		err[256];
	char	   *ret = NULL;

	if (ct_rec_index(text, strlen(text), idx, err, sizeof(err)) && ct_rec_member(idx, key, &v))
	{
		if (v.type == 's' && ct_span_string(&v, &b))
			snprintf(out, outlen, "%s", b.data);
		else
			snprintf(out, outlen, "%.*s", (int) v.len, v.p);
		ret = out;
	}
	ct_buf_free(&b);
	free(idx);
	return ret;
}

static void
record_members(void)
{
	CtBuf		r = CT_BUF_INIT;
	char		got[64];

	/* 300 members: every one is found, the last too */
	ct_buf_puts(&r, "{");
	for (int i = 0; i < 300; i++)
	{
		char		m[64];

		snprintf(m, sizeof(m), "%s\"k%d\": \"v%d\"", i ? ", " : "", i, i);
		ct_buf_puts(&r, m);
	}
	ct_buf_puts(&r, ", \"k5\": \"again\" }");
	unit_is(member_of(r.data, "k0", got, sizeof(got)), "v0", "wide record: the first member");
	unit_is(member_of(r.data, "k127", got, sizeof(got)), "v127", "wide record: member 128");
	unit_is(member_of(r.data, "k128", got, sizeof(got)), "v128", "wide record: member 129");
	unit_is(member_of(r.data, "k299", got, sizeof(got)), "v299", "wide record: member 300");
	unit_ok(member_of(r.data, "k300", got, sizeof(got)) == NULL, "wide record: a missing member");
	unit_is(member_of(r.data, "k5", got, sizeof(got)), "again",
			"wide record: a name repeated past member 128 takes the later value");
	ct_buf_free(&r);

	unit_is(member_of("{\"a\":1,\"b\":2,\"a\":{\"x\":3}}", "a", got, sizeof(got)), "{\"x\":3}",
			"a repeated name takes its last value, as jsonb does");
	unit_is(member_of("{\"eventName\":\"A\",\"event\\u004eame\":\"B\"}", "eventName", got, sizeof(got)),
			"B", "a name written with escapes is the same name");
	unit_is(member_of("{\"event\\u004eame\":\"B\",\"eventName\":\"A\"}", "eventName", got, sizeof(got)),
			"A", "and the last of the two still wins");
}

static void
record_text(void)
{
	static const struct
	{
		const char *text;
		size_t		bad;		/* offset of the first bad byte; (size_t) -1: none */
	}			cases[] = {
		{"plain ASCII, longer than eight bytes", (size_t) -1},
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", (size_t) -1},
		{"abc\xff", 3},
		{"abcdefghij\xc3", 10},	/* cut short */
		{"\xc0\xaf", 0},			/* overlong */
		{"\xed\xa0\x80", 0},		/* a surrogate */
		{"\xf4\x90\x80\x80", 0},	/* past U+10FFFF */
		{"\xe2\x82", 0},
	};
	char		err[256];
	CtRecIndex *idx = malloc(sizeof(CtRecIndex));
	const char *bad = "{\"a\":1,\"requestParameters\":{\"bucketName\":\"b\xff\"}}";
	const char nul[] = "{\"eventName\":\"Ev\0il\"}";

	for (int i = 0; i < (int) (sizeof(cases) / sizeof(cases[0])); i++)
	{
		size_t		n = strlen(cases[i].text);
		size_t		want = cases[i].bad == (size_t) -1 ? n : cases[i].bad;
		char		label[128];

		snprintf(label, sizeof(label), "UTF-8 check, case %d: first bad byte at %zu", i, want);
		unit_ok(ct_utf8_invalid_at(cases[i].text, n) == want, label);
	}
	unit_ok(ct_utf8_invalid_at("abcdefgh\0abc", 12) == 8, "a NUL byte is invalid text");
	unit_ok(!ct_rec_index(bad, strlen(bad), idx, err, sizeof(err)) &&
			strcmp(err, "invalid UTF-8 in field \"requestParameters.bucketName\" (byte 43 of the record)") == 0,
			"a record with invalid UTF-8 is malformed, naming the field");
	printf("# %s\n", err);
	unit_ok(!ct_rec_index(nul, sizeof(nul) - 1, idx, err, sizeof(err)) &&
			strstr(err, "a NUL byte in field \"eventName\"") != NULL,
			"so is one with a raw NUL byte");
	printf("# %s\n", err);
	unit_ok(ct_rec_index("{\"a\":\"x\\u0000\"}", 15, idx, err, sizeof(err)) && idx->nul_escape &&
			ct_span_has_nul_escape("\"x\\u0000\"", 9) && !ct_span_has_nul_escape("\"\\\\u0000\"", 9),
			"\\u0000 is valid JSON, noted for the columns to refuse");
	free(idx);
}

static bool stop_now;

static bool
stop_asked(void)
{
	return stop_now;
}

/* Read a whole gzipped text with the given limit; the last status. */
static CtRecordStatus
read_limited(const char *z, size_t zlen, long long max, char *err, size_t errlen)
{
	CtRecordReader *rr = ct_rr_create(true);
	const char *rec;
	size_t		rlen;
	CtRecordStatus st;

	ct_rr_set_max_size(rr, max);
	ct_rr_push(rr, z, zlen);
	ct_rr_set_eof(rr);
	while ((st = ct_rr_next(rr, &rec, &rlen)) == CT_REC_RECORD)
		;
	snprintf(err, errlen, "%s", ct_rr_error(rr));
	ct_rr_destroy(rr);
	return st;
}

static void
inflation_limits(void)
{
	size_t		n = 64 * 1024 * 1024,
				zlen;
	char	   *text = malloc(n + 64);
	char	   *z;
	char		err[256];
	static const CtHost host = {stop_asked, NULL};
	CtRecordReader *rr;
	const char *rec;
	size_t		rlen;

	/* 64 MB of white space inside Records: 64 kB compressed */
	strcpy(text, "{\"Records\":[");
	memset(text + 12, ' ', n);
	strcpy(text + 12 + n, "{\"a\":1}]}");
	z = gz(text, &zlen);
	unit_ok(read_limited(z, zlen, 0, err, sizeof(err)) == CT_REC_END, "64 MB of white space: no limit, read to the end");
	unit_ok(read_limited(z, zlen, 128LL << 20, err, sizeof(err)) == CT_REC_END, "under max_object_size: read to the end");
	unit_ok(read_limited(z, zlen, 1 << 20, err, sizeof(err)) == CT_REC_ERROR &&
			strstr(err, "more than max_object_size (1048576 bytes)") != NULL,
			"over max_object_size: an error saying so");

	/* the host asks to stop: the reader returns after a chunk, and goes on later */
	ct_set_host(&host);
	rr = ct_rr_create(true);
	ct_rr_push(rr, z, zlen);
	ct_rr_set_eof(rr);
	stop_now = true;
	unit_ok(ct_rr_next(rr, &rec, &rlen) == CT_REC_NEED_INPUT,
			"an interrupt stops inflating before the object is done");
	stop_now = false;
	unit_ok(ct_rr_next(rr, &rec, &rlen) == CT_REC_RECORD && ct_rr_next(rr, &rec, &rlen) == CT_REC_END,
			"and the next call carries on where it stopped");
	ct_rr_destroy(rr);
	ct_set_host(NULL);
	free(text);
	free(z);
}

int
main(void)
{
	real_data();
	bad_input();
	record_members();
	inflation_limits();
	record_text();
	return unit_done();
}
