/*-------------------------------------------------------------------------
 *
 * digest.c
 *		CloudTrail digest files and log-file integrity: parse a digest, build
 *		its data-to-sign, check its RSA signature, hash log files as their
 *		bytes arrive, read ListPublicKeys replies.
 *
 * The rules follow what `aws cloudtrail validate-logs` accepts, so that the
 * verdicts agree: the same required members, the first gzip member of a
 * file, the JSON values verbatim in the signed string.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/digest.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <zlib.h>

#include "ct_digest.h"
#include "ct_json.h"
#include "ct_s3.h"

#define DIGEST_MAX_INFLATED (64 * 1024 * 1024)
#define CHUNK 16384

/* ---------------------------------------------------------------- inflate */

CtDigestStatus
ct_digest_inflate(const void *gz, size_t len, size_t max_len, CtBuf *out, bool *trailing,
				  char *err, size_t errlen)
{
	z_stream	zs;
	int			z = Z_OK;

	*trailing = false;
	if (max_len == 0)
		max_len = DIGEST_MAX_INFLATED;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
	{
		snprintf(err, errlen, "out of memory");
		return CT_DIGEST_NO_MEMORY;
	}
	zs.next_in = (unsigned char *) gz;
	zs.avail_in = (uInt) len;
	if ((size_t) zs.avail_in != len)
	{
		inflateEnd(&zs);
		snprintf(err, errlen, "digest file too large");
		return CT_DIGEST_NOT_GZIP;
	}
	while (z == Z_OK)
	{
		if (!ct_buf_reserve(out, CHUNK))
		{
			inflateEnd(&zs);
			snprintf(err, errlen, "out of memory");
			return CT_DIGEST_NO_MEMORY;
		}
		zs.next_out = (unsigned char *) out->data + out->len;
		zs.avail_out = CHUNK;
		z = inflate(&zs, Z_NO_FLUSH);
		out->len += CHUNK - zs.avail_out;
		out->data[out->len] = '\0';
		if (out->len > max_len)
		{
			inflateEnd(&zs);
			snprintf(err, errlen, "digest file inflates to more than %zu bytes", max_len);
			return CT_DIGEST_NOT_GZIP;
		}
		if (z == Z_BUF_ERROR && zs.avail_in == 0)
			break;				/* input ended inside the member */
	}
	inflateEnd(&zs);
	if (z == Z_STREAM_END)
	{
		*trailing = zs.avail_in > 0;
		return CT_DIGEST_OK;
	}
	if (z == Z_MEM_ERROR)
	{
		snprintf(err, errlen, "out of memory");
		return CT_DIGEST_NO_MEMORY;
	}
	snprintf(err, errlen, "%s", z == Z_BUF_ERROR || z == Z_OK ? "truncated gzip data" :
			 zs.msg ? zs.msg : "not gzip data");
	return CT_DIGEST_NOT_GZIP;
}

/* ---------------------------------------------------------------- parse */

const char *
ct_digest_status_name(CtDigestStatus s)
{
	switch (s)
	{
		case CT_DIGEST_OK:
			return "ok";
		case CT_DIGEST_NOT_GZIP:
			return "not gzip";
		case CT_DIGEST_NOT_JSON:
			return "not JSON";
		case CT_DIGEST_MISSING_KEY:
			return "missing key";
		case CT_DIGEST_BAD_VALUE:
			return "bad value";
		case CT_DIGEST_NO_MEMORY:
			return "out of memory";
	}
	return "?";
}

/* UTF-8 as Python's strict decoder takes it (aws-cli decodes before parsing). */
static bool
valid_utf8(const unsigned char *s, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		unsigned char c = s[i];
		int			n;
		unsigned int cp;

		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, cp = c & 0x07;
		else
			return false;
		if (i + n >= len)
			return false;
		for (int k = 1; k <= n; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
			(cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

/* What a member is: absent, null, a string without NUL, something else. */
enum member
{
	M_ABSENT, M_NULL, M_STRING, M_OTHER
};

static enum member
member(json_object *o, const char *name, const char **s)
{
	json_object *v;

	*s = NULL;
	if (!json_object_object_get_ex(o, name, &v))
		return M_ABSENT;
	if (v == NULL)
		return M_NULL;
	if (!json_object_is_type(v, json_type_string))
		return M_OTHER;
	*s = json_object_get_string(v);
	if (strlen(*s) != (size_t) json_object_get_string_len(v))
		return M_OTHER;
	return M_STRING;
}

/* The digest's JSON text as one object into *doc, or why it is not one. */
static CtDigestStatus
parse_document(const char *json, size_t len, json_object **doc, char *err, size_t errlen)
{
	json_tokener *tok;
	json_object *o = NULL;
	size_t		end;

	*doc = NULL;
	if (!valid_utf8((const unsigned char *) json, len))
	{
		snprintf(err, errlen, "digest is not valid UTF-8");
		return CT_DIGEST_NOT_JSON;
	}
	if (len > (size_t) INT32_MAX)
	{
		snprintf(err, errlen, "digest is too large");
		return CT_DIGEST_NOT_JSON;
	}
	tok = json_tokener_new();
	if (!tok)
	{
		snprintf(err, errlen, "out of memory");
		return CT_DIGEST_NO_MEMORY;
	}
	o = json_tokener_parse_ex(tok, json, (int) len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success)
	{
		enum json_tokener_error e = json_tokener_get_error(tok);

		json_tokener_free(tok);
		json_object_put(o);
		snprintf(err, errlen, "digest is not JSON: %s",
				 e == json_tokener_continue ? "unexpected end" : json_tokener_error_desc(e));
		return CT_DIGEST_NOT_JSON;
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (end < len && json[end] && strchr(" \t\r\n", json[end]))
		end++;
	if (end != len)
	{
		json_object_put(o);
		snprintf(err, errlen, "digest is not JSON: data after the object");
		return CT_DIGEST_NOT_JSON;
	}
	if (!json_object_is_type(o, json_type_object))
	{
		json_object_put(o);
		snprintf(err, errlen, "digest is not a JSON object");
		return CT_DIGEST_NOT_JSON;
	}
	*doc = o;
	return CT_DIGEST_OK;
}

/* An optional string member: a copy, or NULL when absent, null or not a string. */
static bool
opt_string(json_object *o, const char *name, char **out)
{
	const char *s;

	*out = NULL;
	if (member(o, name, &s) != M_STRING)
		return true;
	*out = ct_strdup(s);
	return *out != NULL;
}

static bool
parse_time(const char *s, long long *out)
{
	int			y,
				mo,
				d,
				h,
				mi,
				sec,
				n = 0;

	if (!s || strlen(s) != 20 ||
		sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 20 ||
		mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return false;
	*out = ct_timegm(y, mo, d, h, mi, sec);
	return true;
}

static void
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];

	EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
	ct_hex(out, md, 32);
}

#define FAIL(status, ...) do { snprintf(err, errlen, __VA_ARGS__); rc = (status); goto done; } while (0)
#define COPY(field, name) do { if (!opt_string(o, name, &out->field)) FAIL(CT_DIGEST_NO_MEMORY, "out of memory"); } while (0)

CtDigestStatus
ct_digest_parse(const char *json, size_t len, CtDigest *out, char *err, size_t errlen)
{
	static const char *const required[] = {
		"digestStartTime", "digestEndTime", "digestS3Bucket", "digestS3Object",
		"digestPublicKeyFingerprint"
	};
	json_object *o = NULL,
			   *logs;
	CtDigestStatus rc = CT_DIGEST_OK;
	const char *s;
	int			n;

	memset(out, 0, sizeof(*out));
	if ((rc = parse_document(json, len, &o, err, errlen)) != CT_DIGEST_OK)
		return rc;

	for (int i = 0; i < (int) (sizeof(required) / sizeof(required[0])); i++)
	{
		enum member m = member(o, required[i], &s);

		if (m == M_ABSENT)
			FAIL(CT_DIGEST_MISSING_KEY, "digest has no %s", required[i]);
		if (m != M_STRING)
			FAIL(CT_DIGEST_BAD_VALUE, "digest's %s is not a string", required[i]);
	}
	switch (member(o, "previousDigestSignature", &s))
	{
		case M_ABSENT:
			FAIL(CT_DIGEST_MISSING_KEY, "digest has no previousDigestSignature");
		case M_OTHER:
			FAIL(CT_DIGEST_BAD_VALUE, "digest's previousDigestSignature is not a string");
		default:
			break;
	}
	COPY(aws_account_id, "awsAccountId");
	COPY(start_time, "digestStartTime");
	COPY(end_time, "digestEndTime");
	COPY(s3_bucket, "digestS3Bucket");
	COPY(s3_object, "digestS3Object");
	COPY(fingerprint, "digestPublicKeyFingerprint");
	COPY(signature_algorithm, "digestSignatureAlgorithm");
	COPY(newest_event_time, "newestEventTime");
	COPY(oldest_event_time, "oldestEventTime");
	COPY(prev_bucket, "previousDigestS3Bucket");
	COPY(prev_object, "previousDigestS3Object");
	COPY(prev_hash, "previousDigestHashValue");
	COPY(prev_hash_algorithm, "previousDigestHashAlgorithm");
	COPY(prev_signature, "previousDigestSignature");
	out->times_ok = parse_time(out->start_time, &out->start) && parse_time(out->end_time, &out->end);

	if (!json_object_object_get_ex(o, "logFiles", &logs))
		FAIL(CT_DIGEST_MISSING_KEY, "digest has no logFiles");
	if (logs != NULL && !json_object_is_type(logs, json_type_array))
		FAIL(CT_DIGEST_BAD_VALUE, "digest's logFiles is not an array");
	n = logs ? (int) json_object_array_length(logs) : 0;
	if (n > 0)
	{
		out->logs = calloc(n, sizeof(CtDigestLog));
		if (!out->logs)
			FAIL(CT_DIGEST_NO_MEMORY, "out of memory");
	}
	for (int i = 0; i < n; i++)
	{
		json_object *e = json_object_array_get_idx(logs, i);
		CtDigestLog *l = &out->logs[i];

		if (!json_object_is_type(e, json_type_object))
			FAIL(CT_DIGEST_BAD_VALUE, "digest's logFiles[%d] is not an object", i);
		if (member(e, "s3Bucket", &s) != M_STRING || member(e, "s3Object", &s) != M_STRING)
			FAIL(CT_DIGEST_BAD_VALUE, "digest's logFiles[%d] has no s3Bucket or s3Object", i);
		out->nlogs = i + 1;
		if (!opt_string(e, "s3Bucket", &l->s3_bucket) || !opt_string(e, "s3Object", &l->s3_object) ||
			!opt_string(e, "hashValue", &l->hash_value) ||
			!opt_string(e, "hashAlgorithm", &l->hash_algorithm) ||
			!opt_string(e, "newestEventTime", &l->newest_event_time) ||
			!opt_string(e, "oldestEventTime", &l->oldest_event_time))
			FAIL(CT_DIGEST_NO_MEMORY, "out of memory");
	}
	sha256_hex(json, len, out->sha256);
done:
	json_object_put(o);
	if (rc != CT_DIGEST_OK)
		ct_digest_free(out);
	return rc;
}

void
ct_digest_free(CtDigest *d)
{
	char	  **fields[] = {
		&d->aws_account_id, &d->start_time, &d->end_time, &d->s3_bucket, &d->s3_object,
		&d->fingerprint, &d->signature_algorithm, &d->newest_event_time, &d->oldest_event_time,
		&d->prev_bucket, &d->prev_object, &d->prev_hash, &d->prev_hash_algorithm,
		&d->prev_signature
	};

	for (int i = 0; i < (int) (sizeof(fields) / sizeof(fields[0])); i++)
		free(*fields[i]);
	for (int i = 0; i < d->nlogs; i++)
	{
		CtDigestLog *l = &d->logs[i];

		free(l->s3_bucket);
		free(l->s3_object);
		free(l->hash_value);
		free(l->hash_algorithm);
		free(l->newest_event_time);
		free(l->oldest_event_time);
	}
	free(d->logs);
	memset(d, 0, sizeof(*d));
}

char *
ct_digest_data_to_sign(const CtDigest *d, size_t *len)
{
	CtBuf		b = CT_BUF_INIT;

	/* "null", not empty, for a chain's first digest: what CloudTrail signs */
	ct_buf_printf(&b, "%s\n%s/%s\n%s\n%s", d->end_time, d->s3_bucket, d->s3_object, d->sha256,
				  d->prev_signature ? d->prev_signature : "null");
	if (b.failed || !b.data)
	{
		ct_buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return b.data;
}

/* ---------------------------------------------------------------- signatures */

const char *
ct_sig_result_name(CtSigResult r)
{
	switch (r)
	{
		case CT_SIG_VERIFIED:
			return "verified";
		case CT_SIG_MISMATCH:
			return "signature mismatch";
		case CT_SIG_MALFORMED:
			return "malformed signature";
		case CT_SIG_BAD_KEY:
			return "bad public key";
		case CT_SIG_ERROR:
			return "error";
	}
	return "?";
}

/* PKCS#1 RSAPublicKey or SubjectPublicKeyInfo of an RSA key, every byte used. */
static EVP_PKEY *
load_key(const unsigned char *der, size_t der_len)
{
	const unsigned char *p = der;
	EVP_PKEY   *k;

	if (der_len == 0 || der_len > 16384)
		return NULL;
	k = d2i_PUBKEY(NULL, &p, (long) der_len);
	if (k && (p != der + der_len || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA))
	{
		EVP_PKEY_free(k);
		k = NULL;
	}
	if (!k)
	{
		p = der;
		k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long) der_len);
		if (k && p != der + der_len)
		{
			EVP_PKEY_free(k);
			k = NULL;
		}
	}
	return k;
}

CtSigResult
ct_digest_verify(const void *data, size_t len, const char *sig_hex,
				 const unsigned char *der, size_t der_len)
{
	size_t		hexlen = sig_hex ? strlen(sig_hex) : 0;
	unsigned char *sig;
	EVP_PKEY   *key;
	EVP_MD_CTX *ctx;
	CtSigResult r;

	if (hexlen == 0 || hexlen % 2 != 0 || hexlen > 8192)
		return CT_SIG_MALFORMED;
	for (size_t i = 0; i < hexlen; i++)
		if (ct_hexval(sig_hex[i]) < 0)
			return CT_SIG_MALFORMED;
	key = load_key(der, der_len);
	if (!key)
	{
		ERR_clear_error();
		return CT_SIG_BAD_KEY;
	}
	sig = malloc(hexlen / 2);
	ctx = EVP_MD_CTX_new();
	if (!sig || !ctx)
		r = CT_SIG_ERROR;
	else
	{
		for (size_t i = 0; i < hexlen / 2; i++)
			sig[i] = (unsigned char) (ct_hexval(sig_hex[2 * i]) << 4 | ct_hexval(sig_hex[2 * i + 1]));
		if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) != 1)
			r = CT_SIG_ERROR;
		else
			r = EVP_DigestVerify(ctx, sig, hexlen / 2, data, len) == 1 ?
				CT_SIG_VERIFIED : CT_SIG_MISMATCH;
	}
	/* nothing of ours may stay on the thread's queue: libcurl's TLS reads it */
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	free(sig);
	return r;
}

void
ct_key_fingerprint(const unsigned char *der, size_t der_len, char out[33])
{
	unsigned char md[16];

	EVP_Digest(der, der_len, md, NULL, EVP_md5(), NULL);
	ct_hex(out, md, 16);
}

static int
b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

unsigned char *
ct_base64_decode(const char *s, size_t len, size_t *out_len)
{
	unsigned char *out;
	size_t		n = 0;

	if (len == 0 || len % 4 != 0)
		return NULL;
	out = malloc(len / 4 * 3);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 4)
	{
		int			v[4];
		int			pad = 0;

		for (int k = 0; k < 4; k++)
		{
			v[k] = b64val(s[i + k]);
			if (s[i + k] == '=' && i + 4 == len && k >= 2)
			{
				v[k] = 0;
				pad++;
			}
			else if (v[k] < 0 || pad)
			{
				free(out);
				return NULL;
			}
		}
		out[n++] = (unsigned char) (v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[n++] = (unsigned char) ((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[n++] = (unsigned char) ((v[2] & 3) << 6 | v[3]);
	}
	*out_len = n;
	return out;
}

/* ---------------------------------------------------------------- hashing */

struct CtSha256
{
	EVP_MD_CTX *ctx;
};

CtSha256 *
ct_sha256_new(void)
{
	CtSha256   *h = calloc(1, sizeof(CtSha256));

	if (!h)
		return NULL;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
	{
		ct_sha256_free(h);
		return NULL;
	}
	return h;
}

bool
ct_sha256_update(CtSha256 *h, const void *data, size_t len)
{
	return len == 0 || EVP_DigestUpdate(h->ctx, data, len) == 1;
}

bool
ct_sha256_final(CtSha256 *h, char hex[65])
{
	unsigned char md[32];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
		return false;
	ct_hex(hex, md, 32);
	return true;
}

void
ct_sha256_free(CtSha256 *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

struct CtLogHash
{
	z_stream	zs;
	bool		zs_ready;
	CtSha256   *sha;
	CtLogHashState state;
	bool		ended;			/* the first member's end was seen */
	bool		fed;
	long long	inflated;
	long long	trailing;
	long long	max_inflated;
	char		err[128];
	unsigned char out[CHUNK];
};

CtLogHash *
ct_loghash_new(long long max_inflated)
{
	CtLogHash  *lh = calloc(1, sizeof(CtLogHash));

	if (!lh)
		return NULL;
	lh->max_inflated = max_inflated;
	lh->sha = ct_sha256_new();
	if (!lh->sha || inflateInit2(&lh->zs, 16 + MAX_WBITS) != Z_OK)
	{
		ct_loghash_free(lh);
		return NULL;
	}
	lh->zs_ready = true;
	return lh;
}

bool
ct_loghash_feed(CtLogHash *lh, const void *data, size_t len)
{
	const unsigned char *p = data;

	if (lh->state != CT_LOGHASH_OK)
		return false;
	if (len)
		lh->fed = true;
	while (len > 0)
	{
		size_t		take = len > (1u << 30) ? (1u << 30) : len;
		size_t		used;
		int			z;

		if (lh->ended)
		{
			lh->trailing += (long long) len;
			return true;
		}
		lh->zs.next_in = (unsigned char *) p;
		lh->zs.avail_in = (uInt) take;
		do
		{
			size_t		got;

			lh->zs.next_out = lh->out;
			lh->zs.avail_out = CHUNK;
			z = inflate(&lh->zs, Z_NO_FLUSH);
			got = CHUNK - lh->zs.avail_out;
			lh->inflated += (long long) got;
			if (!ct_sha256_update(lh->sha, lh->out, got))
			{
				lh->state = CT_LOGHASH_ERROR;
				snprintf(lh->err, sizeof(lh->err), "SHA-256 failed");
				return false;
			}
			if (lh->max_inflated > 0 && lh->inflated > lh->max_inflated)
			{
				lh->state = CT_LOGHASH_TOO_LARGE;
				snprintf(lh->err, sizeof(lh->err), "inflates to more than %lld bytes",
						 lh->max_inflated);
				return false;
			}
			if (z == Z_STREAM_END)
			{
				lh->ended = true;
				break;
			}
			if (z == Z_MEM_ERROR)
			{
				lh->state = CT_LOGHASH_ERROR;
				snprintf(lh->err, sizeof(lh->err), "out of memory");
				return false;
			}
			if (z == Z_BUF_ERROR)
				break;			/* needs more input */
			if (z != Z_OK)
			{
				lh->state = CT_LOGHASH_INVALID;
				snprintf(lh->err, sizeof(lh->err), "%s",
						 lh->zs.msg ? lh->zs.msg : "not gzip data");
				return false;
			}
		} while (lh->zs.avail_in > 0 || lh->zs.avail_out == 0);
		used = take - lh->zs.avail_in;
		p += used;
		len -= used;
		if (!lh->ended && used == 0)
			break;				/* cannot happen: inflate consumes or errs */
	}
	return true;
}

void
ct_loghash_finish(CtLogHash *lh, CtLogHashResult *out)
{
	memset(out, 0, sizeof(*out));
	out->inflated = lh->inflated;
	out->state = lh->state;
	snprintf(out->err, sizeof(out->err), "%s", lh->err);
	if (lh->state == CT_LOGHASH_OK && !lh->ended)
	{
		out->state = lh->fed ? CT_LOGHASH_TRUNCATED : CT_LOGHASH_INVALID;
		snprintf(out->err, sizeof(out->err), "%s",
				 lh->fed ? "the gzip data ends early" : "empty file");
	}
	if (out->state == CT_LOGHASH_OK)
		out->trailing = lh->trailing;
	if (out->state != CT_LOGHASH_ERROR && !ct_sha256_final(lh->sha, out->hex))
	{
		out->state = CT_LOGHASH_ERROR;
		snprintf(out->err, sizeof(out->err), "SHA-256 failed");
	}
	lh->state = CT_LOGHASH_ERROR;	/* fed no more */
}

void
ct_loghash_free(CtLogHash *lh)
{
	if (!lh)
		return;
	if (lh->zs_ready)
		inflateEnd(&lh->zs);
	ct_sha256_free(lh->sha);
	free(lh);
}

/* ---------------------------------------------------------------- ListPublicKeys */

char *
ct_public_keys_body(long long start, long long end, const char *next_token)
{
	json_object *o = json_object_new_object();
	char	   *out;

	if (!o)
		return NULL;
	json_object_object_add(o, "StartTime", json_object_new_int64(start));
	json_object_object_add(o, "EndTime", json_object_new_int64(end));
	if (next_token)
		json_object_object_add(o, "NextToken", json_object_new_string(next_token));
	out = ct_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
												   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}

/* A JSON 1.1 timestamp: epoch seconds as any JSON number. */
static bool
epoch_member(json_object *o, const char *name, long long *out)
{
	json_object *v;
	double		d;

	if (!json_object_object_get_ex(o, name, &v) ||
		!(json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double)))
		return false;
	d = json_object_get_double(v);
	if (!(d > -1e12 && d < 1e12))
		return false;
	*out = (long long) d;
	return true;
}

bool
ct_public_keys_parse(const char *body, size_t len, CtPublicKeyList *out, char *err, size_t errlen)
{
	json_object *o,
			   *list;
	const char *s;
	int			n;
	bool		ok = false;

	memset(out, 0, sizeof(*out));
	o = (json_object *) ct_json_parse(body, len, err, errlen);
	if (!o)
		return false;
	if (!json_object_object_get_ex(o, "PublicKeyList", &list) ||
		(list && !json_object_is_type(list, json_type_array)))
	{
		snprintf(err, errlen, "ListPublicKeys reply has no PublicKeyList array");
		goto done;
	}
	n = list ? (int) json_object_array_length(list) : 0;
	if (n > 0 && !(out->keys = calloc(n, sizeof(CtPublicKey))))
	{
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	for (int i = 0; i < n; i++)
	{
		json_object *e = json_object_array_get_idx(list, i);
		CtPublicKey *k = &out->keys[i];
		char		fp[33];

		if (!json_object_is_type(e, json_type_object) || member(e, "Value", &s) != M_STRING)
		{
			snprintf(err, errlen, "ListPublicKeys reply: key %d has no Value", i);
			goto done;
		}
		out->nkeys = i + 1;
		k->der = ct_base64_decode(s, strlen(s), &k->der_len);
		if (!k->der)
		{
			snprintf(err, errlen, "ListPublicKeys reply: key %d's Value is not base64", i);
			goto done;
		}
		if (!epoch_member(e, "ValidityStartTime", &k->valid_from) ||
			!epoch_member(e, "ValidityEndTime", &k->valid_to))
		{
			snprintf(err, errlen, "ListPublicKeys reply: key %d has no validity times", i);
			goto done;
		}
		if (member(e, "Fingerprint", &s) != M_STRING || strlen(s) != 32)
		{
			snprintf(err, errlen, "ListPublicKeys reply: key %d has no fingerprint", i);
			goto done;
		}
		memcpy(k->fingerprint, s, 33);
		ct_key_fingerprint(k->der, k->der_len, fp);
		k->fingerprint_ok = strcmp(fp, k->fingerprint) == 0;
	}
	if (member(o, "NextToken", &s) == M_STRING && !(out->next_token = ct_strdup(s)))
	{
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	ok = true;
done:
	json_object_put(o);
	if (!ok)
		ct_public_keys_free(out);
	return ok;
}

void
ct_public_keys_free(CtPublicKeyList *l)
{
	for (int i = 0; i < l->nkeys; i++)
		free(l->keys[i].der);
	free(l->keys);
	free(l->next_token);
	memset(l, 0, sizeof(*l));
}

const CtPublicKey *
ct_public_keys_find(const CtPublicKeyList *l, const char *fingerprint)
{
	for (int i = 0; fingerprint && i < l->nkeys; i++)
		if (strcmp(l->keys[i].fingerprint, fingerprint) == 0)
			return &l->keys[i];
	return NULL;
}
