/*-------------------------------------------------------------------------
 *
 * sigv4.c
 *		AWS Signature Version 4 signing.
 *
 * Follows the published algorithm: canonical request, string to sign,
 * derived signing key, HMAC-SHA256.  Tested against the official AWS test
 * suite and the S3 documentation examples (test/unit/test_sigv4.c).
 *
 * Nothing here logs: the secret and the signature never leave this file
 * except inside the Authorization header value the caller asked for.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/sigv4.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>

#include "ct_sigv4.h"

void
ct_sha256_hex(char hex[65], const void *data, size_t len)
{
	unsigned char md[32];

	EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL);
	ct_hex(hex, md, 32);
}

void
ct_amz_date(char out[17], long long epoch)
{
	time_t		t = (time_t) epoch;
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

/* Remove "." and ".." segments and empty segments, keep a trailing slash. */
static void
normalize_path(CtBuf *out, const char *path)
{
	const char *segs[256];
	size_t		lens[256];
	int			n = 0;
	const char *p = path;
	size_t		plen = strlen(path);

	while (*p)
	{
		const char *e = strchr(p, '/');
		size_t		l = e ? (size_t) (e - p) : strlen(p);

		if (l == 0 || (l == 1 && p[0] == '.'))
			;
		else if (l == 2 && p[0] == '.' && p[1] == '.')
		{
			if (n > 0)
				n--;
		}
		else if (n < 256)
		{
			segs[n] = p;
			lens[n++] = l;
		}
		p += l;
		if (*p == '/')
			p++;
	}
	for (int i = 0; i < n; i++)
	{
		ct_buf_putc(out, '/');
		ct_buf_append(out, segs[i], lens[i]);
	}
	if (n == 0 || (plen > 0 && path[plen - 1] == '/'))
		ct_buf_putc(out, '/');
}

typedef struct QueryPair
{
	char	   *key;
	char	   *value;
} QueryPair;

static int
cmp_pair(const void *a, const void *b)
{
	const QueryPair *x = a,
			   *y = b;
	int			c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->value, y->value);
}

static void
canonical_query(CtBuf *out, const char *query)
{
	QueryPair  *pairs;
	int			n = 0,
				cap = 1;
	const char *p;

	if (!query || !*query)
		return;
	for (p = query; *p; p++)
		cap += (*p == '&');
	pairs = calloc(cap, sizeof(QueryPair));
	if (!pairs)
	{
		out->failed = true;
		return;
	}
	p = query;
	while (*p)
	{
		const char *amp = strchr(p, '&');
		size_t		l = amp ? (size_t) (amp - p) : strlen(p);
		const char *eq = memchr(p, '=', l);
		char	   *k,
				   *v;
		CtBuf		kb = CT_BUF_INIT,
					vb = CT_BUF_INIT;

		if (l > 0)
		{
			k = ct_uri_decode(p, eq ? (size_t) (eq - p) : l);
			v = eq ? ct_uri_decode(eq + 1, l - (eq - p) - 1) : ct_strdup("");
			if (k && v)
			{
				ct_uri_encode(&kb, k, strlen(k), false);
				ct_uri_encode(&vb, v, strlen(v), false);
				pairs[n].key = kb.data ? kb.data : ct_strdup("");
				pairs[n].value = vb.data ? vb.data : ct_strdup("");
				n++;
			}
			free(k);
			free(v);
		}
		p += l;
		if (*p == '&')
			p++;
	}
	qsort(pairs, n, sizeof(QueryPair), cmp_pair);
	for (int i = 0; i < n; i++)
	{
		if (i)
			ct_buf_putc(out, '&');
		ct_buf_printf(out, "%s=%s", pairs[i].key, pairs[i].value);
		free(pairs[i].key);
		free(pairs[i].value);
	}
	free(pairs);
}

typedef struct CanonHeader
{
	char	   *name;			/* lowercased */
	const char *value;
	int			order;			/* keeps repeated headers in request order */
} CanonHeader;

static int
cmp_header(const void *a, const void *b)
{
	const CanonHeader *x = a,
			   *y = b;
	int			c = strcmp(x->name, y->name);

	return c ? c : x->order - y->order;
}

/* Trim, and fold each run of whitespace (including line breaks) to a space. */
static void
put_trimmed(CtBuf *out, const char *v)
{
	bool		space = false;
	bool		any = false;

	for (; *v; v++)
	{
		if (isspace((unsigned char) *v))
			space = any;
		else
		{
			if (space)
				ct_buf_putc(out, ' ');
			ct_buf_putc(out, *v);
			space = false;
			any = true;
		}
	}
}

/*
 * Canonical headers and the signed-headers list, from the request's headers
 * sorted by lowercase name; repeated names are joined with ','.
 */
static void
canonical_headers(CtBuf *canon, CtBuf *signed_list, const CtSignRequest *r)
{
	CanonHeader *h = calloc(r->nheaders ? r->nheaders : 1, sizeof(CanonHeader));

	if (!h)
	{
		canon->failed = true;
		return;
	}
	for (int i = 0; i < r->nheaders; i++)
	{
		h[i].name = ct_strdup(r->headers[i].name);
		for (char *c = h[i].name; c && *c; c++)
			*c = (char) tolower((unsigned char) *c);
		h[i].value = r->headers[i].value;
		h[i].order = i;
	}
	qsort(h, r->nheaders, sizeof(CanonHeader), cmp_header);
	for (int i = 0; i < r->nheaders; i++)
	{
		bool		same = i > 0 && strcmp(h[i].name, h[i - 1].name) == 0;

		if (same)
			ct_buf_putc(canon, ',');
		else
		{
			if (i > 0)
			{
				ct_buf_putc(canon, '\n');
				ct_buf_putc(signed_list, ';');
			}
			ct_buf_printf(canon, "%s:", h[i].name);
			ct_buf_puts(signed_list, h[i].name);
		}
		put_trimmed(canon, h[i].value);
	}
	if (r->nheaders)
		ct_buf_putc(canon, '\n');
	for (int i = 0; i < r->nheaders; i++)
		free(h[i].name);
	free(h);
}

void
ct_sigv4_canonical_request(CtBuf *out, const CtSignRequest *r)
{
	CtBuf		headers = CT_BUF_INIT,
				signed_list = CT_BUF_INIT,
				path = CT_BUF_INIT;

	ct_buf_printf(out, "%s\n", r->method);
	if (r->no_normalize || strcmp(r->service, "s3") == 0)
	{
		/* S3: no normalisation, each byte encoded once */
		char	   *raw = ct_uri_decode(r->path, strlen(r->path));

		if (raw)
			ct_uri_encode(out, raw, strlen(raw), true);
		else
			out->failed = true;
		free(raw);
	}
	else
	{
		normalize_path(&path, r->path);
		if (path.data)
			ct_uri_encode(out, path.data, path.len, true);
	}
	ct_buf_putc(out, '\n');
	canonical_query(out, r->query);
	ct_buf_putc(out, '\n');
	canonical_headers(&headers, &signed_list, r);
	if (headers.data)
		ct_buf_append(out, headers.data, headers.len);
	ct_buf_putc(out, '\n');
	if (signed_list.data)
		ct_buf_append(out, signed_list.data, signed_list.len);
	ct_buf_putc(out, '\n');
	ct_buf_puts(out, r->payload_hash);
	if (headers.failed || signed_list.failed || path.failed)
		out->failed = true;
	ct_buf_free(&headers);
	ct_buf_free(&signed_list);
	ct_buf_free(&path);
}

void
ct_sigv4_string_to_sign(CtBuf *out, const CtSignRequest *r, const char *creq)
{
	char		hash[65];

	ct_sha256_hex(hash, creq, strlen(creq));
	ct_buf_printf(out, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s",
				  r->amz_date, r->amz_date, r->region, r->service, hash);
}

static void
hmac_sha256(unsigned char out[32], const void *key, size_t keylen,
			const char *data)
{
	unsigned int len = 32;

	HMAC(EVP_sha256(), key, (int) keylen, (const unsigned char *) data,
		 strlen(data), out, &len);
}

void
ct_sigv4_signature(char hex[65], const char *secret, const CtSignRequest *r,
				   const char *sts)
{
	unsigned char k[32];
	char		date[9];
	size_t		slen = strlen(secret);
	char	   *kinit = malloc(slen + 5);

	if (!kinit)
	{
		hex[0] = '\0';
		return;
	}
	memcpy(kinit, "AWS4", 4);
	memcpy(kinit + 4, secret, slen + 1);
	memcpy(date, r->amz_date, 8);
	date[8] = '\0';
	hmac_sha256(k, kinit, slen + 4, date);
	OPENSSL_cleanse(kinit, slen + 4);
	free(kinit);
	hmac_sha256(k, k, 32, r->region);
	hmac_sha256(k, k, 32, r->service);
	hmac_sha256(k, k, 32, "aws4_request");
	hmac_sha256(k, k, 32, sts);
	ct_hex(hex, k, 32);
	OPENSSL_cleanse(k, sizeof(k));
}

void
ct_sigv4_authorization(CtBuf *out, const CtCredentials *cred,
					   const CtSignRequest *r)
{
	CtBuf		creq = CT_BUF_INIT,
				sts = CT_BUF_INIT,
				hdr = CT_BUF_INIT,
				signed_list = CT_BUF_INIT;
	char		sig[65];

	ct_sigv4_canonical_request(&creq, r);
	ct_sigv4_string_to_sign(&sts, r, creq.data ? creq.data : "");
	ct_sigv4_signature(sig, cred->secret_access_key, r, sts.data ? sts.data : "");
	canonical_headers(&hdr, &signed_list, r);
	ct_buf_printf(out, "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, "
				  "SignedHeaders=%s, Signature=%s",
				  cred->access_key_id, r->amz_date, r->region, r->service,
				  signed_list.data ? signed_list.data : "", sig);
	if (creq.failed || sts.failed || hdr.failed || signed_list.failed)
		out->failed = true;
	OPENSSL_cleanse(sig, sizeof(sig));
	ct_buf_free(&creq);
	ct_buf_free(&sts);
	ct_buf_free(&hdr);
	ct_buf_free(&signed_list);
}
