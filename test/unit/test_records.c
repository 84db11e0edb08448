/*
 * test_records.c
 *		The streaming gunzip + Records splitter, on the real log files in
 *		../shared/data/files and on broken input.
 *
 * Every record the splitter returns is compared, as parsed JSON, with the
 * same record taken from an independent whole-file parse (zlib gzread +
 * json-c), feeding the compressed bytes whole and one byte at a time.
 * Every case that inflates runs once per inflater the build has (zlib, and
 * ISA-L when it was found), and errors must be worded the same by both.
 */
#include <json.h>
#include <zlib.h>

#include "ct_buf.h"
#include "ct_host.h"
#include "ct_recscan.h"
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

/* the inflater under test, and a label prefix naming it */
static CtInflater inflater = CT_INFLATE_ZLIB;
static char inf_label[32];

static int
iok(int cond, const char *name)
{
	char		label[1024];

	snprintf(label, sizeof(label), "%s: %s", inf_label, name);
	return unit_ok(cond, label);
}

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

/*
 * Feed data in pieces of "step" bytes, the first of them "first" bytes when
 * that is not 0 (a transfer that broke there and went on from that byte, as
 * the scanner resumes one); return the number of matching records, -1 on
 * mismatch or error.
 */
static int
read_pieces(const char *data, size_t len, size_t first, size_t step, bool gz, json_object *want,
			char *err, size_t errlen)
{
	CtRecordReader *rr = ct_rr_create_with(gz, inflater);
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
			size_t		k = pos == 0 && first ? first : step;

			k = len - pos < k ? len - pos : k;
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

static int
read_all(const char *data, size_t len, size_t step, bool gz, json_object *want,
		 char *err, size_t errlen)
{
	return read_pieces(data, len, 0, step, gz, want, err, errlen);
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
		if (!iok(gz && recs, label))
			continue;
		want = (int) json_object_array_length(recs);
		got = read_all(gz, len, len, true, recs, err, sizeof(err));
		snprintf(label, sizeof(label), "%s: %d records, whole object (%s)", real_files[i], want, err);
		iok(got == want, label);
		got = read_all(gz, len, 1, true, recs, err, sizeof(err));
		snprintf(label, sizeof(label), "%s: %d records, one byte at a time (%s)", real_files[i], want, err);
		iok(got == want, label);
		total += want;
		json_object_put(doc);
		free(gz);
		free(plain);
	}
	iok(total == 682, "real files: all 682 records compared");
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
	iok(n < 0 && strstr(err, want_substr) != NULL, label);
}

static void
bad_input(void)
{
	size_t		len,
				len2;
	char	   *ok = gz("{\"Records\":[{\"a\":1},{\"b\":\"}\\\"{\"}]}", &len);
	char	   *buf;
	char		err[256];

	iok(read_all(ok, len, 3, true, NULL, err, sizeof(err)) == 2,
			"braces and escaped quotes inside strings do not split records");
	{
		/* runs of backslashes before quotes, cut at every possible place */
		const char *t = "{\"Records\":[{\"k\\\\\":\"v\\\\\\\"}{\\\\\"},{\"x\":\"\\\\\\\\\"}]}";
		size_t		tl = strlen(t);
		bool		all = true;

		for (size_t step = 1; step <= tl; step++)
			all &= read_all(t, tl, step, false, NULL, err, sizeof(err)) == 2;
		iok(all, "backslash runs before quotes, split at every chunk size");
	}
	{
		char	   *other = gz("{\"x\":{\"y\":[1,2,\"]\"]},\"Records\":[],\"z\":null}", &len2);

		iok(read_all(other, len2, 1, true, NULL, err, sizeof(err)) == 0,
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
		iok(n < 0 && (strstr(err, "gzip") || strstr(err, "JSON")), label);
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

static void
put_le32(unsigned char *p, uLong v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char) (v >> (8 * i));
}

/*
 * A gzip member of s made by hand: a header with flags flg and every field
 * they call for (FEXTRA, FNAME, FCOMMENT, FHCRC), raw deflate, the trailer.
 */
static char *
gz_framed(const char *s, int flg, size_t *len)
{
	size_t		n = strlen(s),
				o = 10;
	size_t		cap = compressBound(n) + 64;
	unsigned char *out = calloc(1, cap);
	z_stream	zs = {0};

	memcpy(out, "\x1f\x8b\x08", 3);
	out[3] = (unsigned char) flg;
	out[9] = 3;
	if (flg & 4)
	{
		memcpy(out + o, "\x05\x00" "AB\0CD", 7);
		o += 7;
	}
	if (flg & 8)
	{
		memcpy(out + o, "x.json", 7);
		o += 7;
	}
	if (flg & 16)
	{
		memcpy(out + o, "a comment", 10);
		o += 10;
	}
	if (flg & 2)
	{
		uLong		h = crc32(0L, out, (uInt) o);

		out[o++] = (unsigned char) h;
		out[o++] = (unsigned char) (h >> 8);
	}
	deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (Bytef *) s;
	zs.avail_in = (uInt) n;
	zs.next_out = out + o;
	zs.avail_out = (uInt) (cap - o - 8);
	deflate(&zs, Z_FINISH);
	o += zs.total_out;
	deflateEnd(&zs);
	put_le32(out + o, crc32(0L, (const Bytef *) s, (uInt) n));
	put_le32(out + o + 4, (uLong) n);
	*len = o + 8;
	return (char *) out;
}

/* Read a copy of z whose byte at "at" is xor'ed with "flip"; the error text must be "want". */
static void
expect_exact(const char *name, const char *z, size_t len, size_t at, int flip, const char *want)
{
	char	   *b = malloc(len);
	char		err[256],
				label[600];
	bool		same = true;
	size_t		steps[] = {1, 7, len};

	memcpy(b, z, len);
	b[at] ^= (char) flip;
	for (int i = 0; i < 3; i++)
		same &= read_all(b, len, steps[i], true, NULL, err, sizeof(err)) < 0 && strcmp(err, want) == 0;
	snprintf(label, sizeof(label), "%s: \"%s\" (got \"%s\")", name, want, err);
	iok(same, label);
	free(b);
}

/* The gzip wrapper: optional header fields, checks, what may follow, cuts. */
static void
gzip_framing(void)
{
	const char *doc = "{\"Records\":[{\"eventName\":\"A\"},{\"eventName\":\"B\"}]}";
	static const int flags[] = {0, 1, 2, 4, 8, 16, 0x1e, 0x1f};
	char		err[256];
	size_t		len;
	char	   *z;
	bool		all = true;

	for (int i = 0; i < (int) (sizeof(flags) / sizeof(flags[0])); i++)
	{
		z = gz_framed(doc, flags[i], &len);
		for (size_t step = 1; step <= len; step++)
			all &= read_all(z, len, step, true, NULL, err, sizeof(err)) == 2;
		free(z);
	}
	iok(all, "header fields FTEXT, FHCRC, FEXTRA, FNAME, FCOMMENT, alone and together, at every chunk size");

	z = gz_framed(doc, 0x1e, &len);
	expect_exact("wrong magic", z, len, 0, 0x01, "invalid gzip data: incorrect header check");
	expect_exact("not deflate", z, len, 2, 0x0f, "invalid gzip data: unknown compression method");
	expect_exact("a reserved flag", z, len, 3, 0x20, "invalid gzip data: unknown header flags set");
	expect_exact("header CRC", z, len, 10 + 7 + 7 + 10, 0x40, "invalid gzip data: header crc mismatch");
	expect_exact("CRC-32 of the data", z, len, len - 8, 0x01, "invalid gzip data: incorrect data check");
	expect_exact("length in the trailer", z, len, len - 2, 0x01, "invalid gzip data: incorrect length check");
	{
		/* a stored block whose length and its complement disagree */
		size_t		at = 10 + 7 + 7 + 10 + 2;
		char	   *b = malloc(len);
		int			n;

		memcpy(b, z, len);
		b[at] = 0x07;			/* BFINAL, block type 3: reserved */
		n = read_all(b, len, 5, true, NULL, err, sizeof(err));
		iok(n < 0 && strncmp(err, "invalid gzip data: invalid ", 27) == 0, "a reserved block type is invalid gzip data");
		printf("# %s\n", err);
		free(b);
	}

	/* anything after the member, however it is cut into reads */
	all = true;
	for (size_t extra = 1; extra <= 17; extra++)
	{
		char	   *b = malloc(len + extra);

		memcpy(b, z, len);
		for (size_t k = 0; k < extra; k++)
			b[len + k] = k % 3 == 0 ? ' ' : k % 3 == 1 ? '\x1f' : '\x8b';
		for (size_t step = 1; step <= len + extra; step++)
			all &= read_all(b, len + extra, step, true, NULL, err, sizeof(err)) < 0 &&
				strcmp(err, "unexpected data after end of compressed stream") == 0;
		free(b);
	}
	iok(all, "1 to 17 bytes after the member (white space too), at every chunk size: \"unexpected data after end of compressed stream\"");

	/* cut anywhere: truncated, never a record too many or a crash */
	all = true;
	for (size_t cut = 1; cut < len; cut++)
		for (size_t step = 1; step <= cut; step += 3)
			all &= read_all(z, cut, step, true, NULL, err, sizeof(err)) < 0 &&
				strcmp(err, "truncated gzip data (unexpected end of file)") == 0;
	iok(all, "cut at every byte, read at several chunk sizes: \"truncated gzip data (unexpected end of file)\"");
	free(z);
}

/* A transfer that breaks at any byte and goes on from there loses and repeats nothing. */
static void
resume(void)
{
	char		path[512],
				err[256];
	size_t		len = 0;
	char	   *z,
			   *plain;
	json_object *doc;
	json_object *recs;
	int			want;
	bool		all = true;

	snprintf(path, sizeof(path), "%s/%s", SHARED_DATA, real_files[1]);
	z = unit_slurp(path, &len);
	plain = gunzip_file(path);
	doc = plain ? json_tokener_parse(plain) : NULL;
	recs = doc ? json_object_object_get(doc, "Records") : NULL;
	if (!iok(z && recs, "resume: reference parse"))
		return;
	want = (int) json_object_array_length(recs);
	for (size_t cut = 1; cut < len; cut += 1 + len / 200)
		for (size_t step = 1; step <= 4096; step *= 64)
			all &= read_pieces(z, len, cut, step, true, recs, err, sizeof(err)) == want;
	snprintf(path, sizeof(path), "resume: broken at 200 places and read on in 1, 64 and 4096-byte pieces, %d records each time (%s)",
			 want, err);
	iok(all, path);
	json_object_put(doc);
	free(plain);
	free(z);
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
	CtRecordReader *rr = ct_rr_create_with(true, inflater);
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
	iok(read_limited(z, zlen, 0, err, sizeof(err)) == CT_REC_END, "64 MB of white space: no limit, read to the end");
	iok(read_limited(z, zlen, 128LL << 20, err, sizeof(err)) == CT_REC_END, "under max_object_size: read to the end");
	iok(read_limited(z, zlen, 1 << 20, err, sizeof(err)) == CT_REC_ERROR &&
			strstr(err, "more than max_object_size (1048576 bytes)") != NULL,
			"over max_object_size: an error saying so");

	/* the host asks to stop: the reader returns after a chunk, and goes on later */
	ct_set_host(&host);
	rr = ct_rr_create_with(true, inflater);
	ct_rr_push(rr, z, zlen);
	ct_rr_set_eof(rr);
	stop_now = true;
	iok(ct_rr_next(rr, &rec, &rlen) == CT_REC_NEED_INPUT,
			"an interrupt stops inflating before the object is done");
	stop_now = false;
	iok(ct_rr_next(rr, &rec, &rlen) == CT_REC_RECORD && ct_rr_next(rr, &rec, &rlen) == CT_REC_END,
			"and the next call carries on where it stopped");
	ct_rr_destroy(rr);
	ct_set_host(NULL);
	free(text);
	free(z);
}

/* Do two indexes of the same record text (at a and b) say the same? */
static bool
same_index(const CtRecIndex *x, const char *a, const CtRecIndex *y, const char *b)
{
	if (x->n != y->n || x->nul_escape != y->nul_escape ||
		(x->more ? x->more - a : -1) != (y->more ? y->more - b : -1))
		return false;
	for (int i = 0; i < x->n; i++)
		if (x->m[i].key - a != y->m[i].key - b || x->m[i].klen != y->m[i].klen ||
			x->m[i].v.p - a != y->m[i].v.p - b || x->m[i].v.len != y->m[i].v.len ||
			x->m[i].v.type != y->m[i].v.type)
			return false;
	return true;
}

/*
 * The reader scans each record as it splits it, and ct_rec_index() takes
 * that index: it must be the one a scan of a copy of the text makes, and a
 * record the reader could not index (malformed, or cut in two by the
 * pieces it came in) must be refused, or indexed, as a copy is.
 */
static void
record_index_ahead(void)
{
	static const char text[] =
		"{\"Records\":[{\"eventName\":\"A\",\"n\":[1,{\"x\":\"}\"}]},"
		"{\"eventName\":tru},"
		"{\"eventName\":\"B\\\"\"},"
		"{\"eventName\":\"b\xff\"},"
		"{\"eventName\":\"\\x\"},"
		"{\"eventName\":\"C\",\"k\":\"\\u0000\"}]}";
	static const char *want[] = {
		NULL,
		"invalid value at byte 13 of the record",
		NULL,
		"invalid UTF-8 in field \"eventName\" (byte 15 of the record)",
		"invalid escape in a string at byte 15 of the record",
		NULL
	};
	CtRecIndex *mine = malloc(sizeof(CtRecIndex));
	CtRecIndex *fresh = malloc(sizeof(CtRecIndex));

	for (size_t step = 0; step < 3; step++)
	{
		CtRecordReader *rr = ct_rr_create(false);
		size_t		off = 0,
					piece = step == 0 ? sizeof(text) - 1 : step == 1 ? 1 : 7;
		int			n = 0,
					ahead = 0;
		bool		ok = true;
		const char *rec;
		size_t		len;
		CtRecordStatus st;
		char		label[128];

		while ((st = ct_rr_next(rr, &rec, &len)) != CT_REC_END && st != CT_REC_ERROR)
		{
			char		e1[256],
						e2[256];
			char	   *copy;
			bool		r1,
						r2;

			if (st == CT_REC_NEED_INPUT)
			{
				size_t		k = sizeof(text) - 1 - off < piece ? sizeof(text) - 1 - off : piece;

				if (k == 0)
					ct_rr_set_eof(rr);
				ct_rr_push(rr, text + off, k);
				off += k;
				continue;
			}
			copy = strndup(rec, len);
			e1[0] = e2[0] = '\0';
			r1 = ct_rec_index(rec, len, mine, e1, sizeof(e1));
			ahead += r1 && mine->m != mine->own;
			r2 = ct_rec_index(copy, len, fresh, e2, sizeof(e2));
			ok = ok && n < 6 && r1 == r2 && strcmp(e1, e2) == 0 &&
				(r1 ? want[n] == NULL && same_index(mine, rec, fresh, copy) : want[n] && strcmp(e1, want[n]) == 0);
			if (!ok && n < 6)
				printf("# record %d: %s / %s\n", n, e1, want[n] ? want[n] : "(valid)");
			free(copy);
			n++;
		}
		snprintf(label, sizeof(label), "records indexed as they are split, in pieces of %zu bytes: "
				 "the same index and the same errors as a copy", piece);
		unit_ok(st == CT_REC_END && n == 6 && ok, label);
		if (step == 0)
			unit_ok(ahead == 3, "whole, every valid record is indexed by the reader");
		ct_rr_destroy(rr);
	}
	free(mine);
	free(fresh);
}

int
main(void)
{
	static const CtInflater all[] = {CT_INFLATE_ZLIB, CT_INFLATE_ISAL};

	unit_ok(ct_rr_inflater(CT_INFLATE_DEFAULT) != NULL, ct_rr_inflater(CT_INFLATE_DEFAULT) ?
			ct_rr_inflater(CT_INFLATE_DEFAULT) : "no inflater");
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
	{
		CtRecordReader *rr = ct_rr_create_with(true, all[i]);

		if (!rr)
		{
			printf("# %s: not in this build\n", all[i] == CT_INFLATE_ISAL ? "ISA-L" : "zlib");
			continue;
		}
		ct_rr_destroy(rr);
		inflater = all[i];
		snprintf(inf_label, sizeof(inf_label), "%s", ct_rr_inflater(inflater));
		real_data();
		bad_input();
		gzip_framing();
		resume();
		inflation_limits();
	}
	record_members();
	record_text();
	record_index_ahead();
	return unit_done();
}
