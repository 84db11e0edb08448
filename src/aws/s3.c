/*-------------------------------------------------------------------------
 *
 * s3.c
 *		S3 requests: addressing, signed GETs and listings, ListObjectsV2
 *		replies.
 *
 * Listing replies are read with the XML scanner of request.c; values are
 * entity-decoded, and keys listed with encoding-type=url are
 * percent-decoded.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/s3.c
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* memmem */
#endif
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_s3.h"

/*
 * Can this bucket be addressed as <bucket>.<host>?  Not with an IP address
 * endpoint, and not for names with dots under TLS (the wildcard certificate
 * covers one label only).
 */
bool
ct_bucket_virtual_ok(const CtEndpoint *ep, const char *bucket)
{
	bool		ip = true;

	for (const char *c = ep->host; *c; c++)
		if (!isdigit((unsigned char) *c) && *c != '.')
			ip = false;
	if (ip || ep->host[0] == '[')
		return false;
	if (strchr(bucket, '.') && strcmp(ep->scheme, "https") == 0)
		return false;
	for (const char *c = bucket; *c; c++)
		if (!(islower((unsigned char) *c) || isdigit((unsigned char) *c) || *c == '-' || *c == '.'))
			return false;
	return true;
}

/*
 * Build a signed GET for the bucket (key NULL) or an object.  query is the
 * raw query string ("" for none); range an optional "bytes=N-".
 */
bool
ct_s3_prepare(CtPrepared *out, const CtEndpoint *ep, bool virtual_host,
			  const char *bucket, const char *key, const char *query,
			  const char *region, const CtCredentials *cred,
			  long long now, const char *range)
{
	CtBuf		host = CT_BUF_INIT,
				path = CT_BUF_INIT;
	char		amzdate[17];
	CtHeader	h[4];
	int			nh = 0;
	CtSignRequest r;
	bool		ok;

	memset(out, 0, sizeof(*out));
	ct_endpoint_host(&host, ep, virtual_host ? bucket : NULL);

	ct_buf_puts(&path, ep->base_path ? ep->base_path : "");
	if (!virtual_host)
	{
		ct_buf_putc(&path, '/');
		ct_uri_encode(&path, bucket, strlen(bucket), false);
	}
	ct_buf_putc(&path, '/');
	if (key)
		ct_uri_encode(&path, key, strlen(key), true);

	ct_amz_date(amzdate, now);
	h[nh++] = (CtHeader)
	{
		"host", host.data
	};
	h[nh++] = (CtHeader)
	{
		"x-amz-content-sha256", CT_EMPTY_SHA256
	};
	h[nh++] = (CtHeader)
	{
		"x-amz-date", amzdate
	};
	if (range)
		h[nh++] = (CtHeader)
	{
		"range", range
	};
	r = (CtSignRequest)
	{
		"GET", path.data, query ? query : "", h, nh, CT_EMPTY_SHA256,
			region, "s3", amzdate, true
	};
	ct_buf_printf(&out->url, "%s://%s%s%s%s", ep->scheme, host.data, path.data,
				  query && *query ? "?" : "", query ? query : "");
	ct_sign_into(out, &r, cred);
	/* no Accept-Encoding: objects are gunzipped here, never by the HTTP layer */
	ok = !(host.failed || path.failed) && ct_prepared_ok(out);
	ct_buf_free(&host);
	ct_buf_free(&path);
	return ok;
}

void
ct_s3_list_query(CtBuf *out, const char *prefix, const char *delimiter,
				 const char *start_after, const char *token, int max_keys)
{
	/* parameters in canonical (sorted) order; values percent-encoded */
	if (token)
	{
		ct_buf_puts(out, "continuation-token=");
		ct_uri_encode(out, token, strlen(token), false);
		ct_buf_putc(out, '&');
	}
	if (delimiter)
	{
		ct_buf_puts(out, "delimiter=");
		ct_uri_encode(out, delimiter, strlen(delimiter), false);
		ct_buf_putc(out, '&');
	}
	ct_buf_puts(out, "encoding-type=url&list-type=2");
	if (max_keys > 0)
		ct_buf_printf(out, "&max-keys=%d", max_keys);
	ct_buf_puts(out, "&prefix=");
	ct_uri_encode(out, prefix, strlen(prefix), false);
	if (start_after && !token)
	{
		ct_buf_puts(out, "&start-after=");
		ct_uri_encode(out, start_after, strlen(start_after), false);
	}
}

/* Bounds of the next <tag>...</tag> element, for walking repeated groups. */
static bool
xml_element(const char *xml, const char *end, const char *tag,
			const char **inner, const char **inner_end)
{
	char		open[64],
				close[64];
	const char *s,
			   *e;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	for (s = xml; s + strlen(open) <= end; s++)
		if (*s == '<' && memcmp(s, open, strlen(open)) == 0)
			break;
	if (s + strlen(open) > end)
		return false;
	s += strlen(open);
	for (e = s; e + strlen(close) <= end; e++)
		if (*e == '<' && memcmp(e, close, strlen(close)) == 0)
		{
			*inner = s;
			*inner_end = e;
			return true;
		}
	return false;
}

void
ct_s3_free_list(CtS3ListPage *page)
{
	for (int i = 0; i < page->nobjects; i++)
		free(page->objects[i].key);
	for (int i = 0; i < page->nprefixes; i++)
		free(page->prefixes[i]);
	free(page->objects);
	free(page->prefixes);
	free(page->next_token);
	memset(page, 0, sizeof(*page));
}

/*
 * Percent-decode a listed key or prefix, except what would decode to a
 * control character: "%00" would cut the key short (and name another
 * object), "%0A" put a line feed in it.  Those stay as they are, so such a
 * key is never a CloudTrail key name and is not fetched.
 */
static char *
url_decoded(char *v, bool encoded)
{
	size_t		len,
				o = 0;
	char	   *d;

	if (!v || !encoded)
		return v;
	len = strlen(v);
	d = malloc(len + 1);
	if (d)
	{
		for (size_t i = 0; i < len; i++)
		{
			int			hi = i + 2 < len && v[i] == '%' ? ct_hexval(v[i + 1]) : -1;
			int			lo = hi >= 0 ? ct_hexval(v[i + 2]) : -1;

			if (lo >= 0 && hi * 16 + lo >= 0x20 && hi * 16 + lo != 0x7f)
			{
				d[o++] = (char) (hi * 16 + lo);
				i += 2;
			}
			else
				d[o++] = v[i];
		}
		d[o] = '\0';
	}
	free(v);
	return d;
}

bool
ct_s3_parse_list(const char *xml, size_t len, CtS3ListPage *page,
				 char *err, size_t errlen)
{
	const char *end = xml + len;
	const char *p = xml,
			   *in,
			   *in_end;
	char	   *v;
	int			cap = 0,
				pcap = 0;
	bool		encoded;

	memset(page, 0, sizeof(*page));
	if (!memmem(xml, len, "<ListBucketResult", 17))
	{
		snprintf(err, errlen, "reply is not a ListBucketResult document");
		return false;
	}
	v = ct_xml_value(xml, len, "IsTruncated", NULL);
	if (!v)
	{
		snprintf(err, errlen, "reply has no IsTruncated element");
		return false;
	}
	page->truncated = strcmp(v, "true") == 0;
	free(v);
	/* keys are percent-encoded only if the reply says so (some stores ignore encoding-type) */
	v = ct_xml_value(xml, len, "EncodingType", NULL);
	encoded = v && strcmp(v, "url") == 0;
	free(v);
	page->next_token = ct_xml_value(xml, len, "NextContinuationToken", NULL);
	if (page->truncated && !page->next_token)
	{
		snprintf(err, errlen, "truncated reply has no NextContinuationToken");
		return false;
	}
	while (xml_element(p, end, "Contents", &in, &in_end))
	{
		char	   *key = url_decoded(ct_xml_value(in, in_end - in, "Key", NULL), encoded);
		char	   *size = ct_xml_value(in, in_end - in, "Size", NULL);

		if (!key)
		{
			free(size);
			snprintf(err, errlen, "a Contents element has no Key");
			ct_s3_free_list(page);
			return false;
		}
		if (page->nobjects == cap)
		{
			CtS3Object *more = realloc(page->objects, (cap ? cap * 2 : 64) * sizeof(CtS3Object));

			if (!more)
			{
				free(key);
				free(size);
				snprintf(err, errlen, "out of memory");
				ct_s3_free_list(page);
				return false;
			}
			page->objects = more;
			cap = cap ? cap * 2 : 64;
		}
		page->objects[page->nobjects].key = key;
		page->objects[page->nobjects].size = size ? atoll(size) : -1;
		page->nobjects++;
		free(size);
		p = in_end;
	}
	p = xml;
	while (xml_element(p, end, "CommonPrefixes", &in, &in_end))
	{
		char	   *pre = url_decoded(ct_xml_value(in, in_end - in, "Prefix", NULL), encoded);

		if (pre)
		{
			if (page->nprefixes == pcap)
			{
				char	  **more = realloc(page->prefixes, (pcap ? pcap * 2 : 16) * sizeof(char *));

				if (!more)
				{
					free(pre);
					snprintf(err, errlen, "out of memory");
					ct_s3_free_list(page);
					return false;
				}
				page->prefixes = more;
				pcap = pcap ? pcap * 2 : 16;
			}
			page->prefixes[page->nprefixes++] = pre;
		}
		p = in_end;
	}
	return true;
}

