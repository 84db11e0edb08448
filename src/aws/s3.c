/*-------------------------------------------------------------------------
 *
 * s3.c
 *		S3 requests: endpoints and addressing, signing, ListObjectsV2 replies
 *		and AWS error bodies.
 *
 * S3 replies are small, flat XML documents; a scanner for <Tag>value</Tag>
 * pairs reads them without an XML library.  Values are entity-decoded, and
 * keys listed with encoding-type=url are percent-decoded.
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

#include <json.h>

#include "ct_s3.h"

#define CT_HTTP_MAX_SIGNED 8

void
ct_free_endpoint(CtEndpoint *ep)
{
	free(ep->scheme);
	free(ep->host);
	free(ep->base_path);
	memset(ep, 0, sizeof(*ep));
}

/* Parse "scheme://host[:port][/path]". */
bool
ct_parse_endpoint(const char *url, CtEndpoint *ep, char *err, size_t errlen)
{
	const char *p = strstr(url, "://");
	const char *host,
			   *end,
			   *colon;

	memset(ep, 0, sizeof(*ep));
	if (!p || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
	{
		snprintf(err, errlen, "endpoint must start with https:// or http://");
		return false;
	}
	for (const unsigned char *c = (const unsigned char *) url; *c; c++)
		if (*c <= 0x20 || *c == 0x7f)
		{
			snprintf(err, errlen, "endpoint must not hold spaces or control characters");
			return false;
		}
	ep->scheme = ct_strndup(url, p - url);
	host = p + 3;
	end = host + strcspn(host, "/?#");
	if (*end == '?' || *end == '#' || strchr(host, '@'))
	{
		snprintf(err, errlen, "endpoint must not have a query, fragment or user name");
		ct_free_endpoint(ep);
		return false;
	}
	colon = memchr(host, ':', end - host);
	if (host[0] == '[')
		colon = memchr(host, ']', end - host) ? strchr(memchr(host, ']', end - host), ':') : NULL;
	if (colon && colon < end)
	{
		char	   *e;
		long		port = strtol(colon + 1, &e, 10);

		if (e != end || port <= 0 || port > 65535)
		{
			snprintf(err, errlen, "endpoint has an invalid port");
			ct_free_endpoint(ep);
			return false;
		}
		ep->port = (int) port;
		ep->host = ct_strndup(host, colon - host);
	}
	else
		ep->host = ct_strndup(host, end - host);
	if (!ep->host || !*ep->host)
	{
		snprintf(err, errlen, "endpoint has no host");
		ct_free_endpoint(ep);
		return false;
	}
	ep->base_path = ct_strdup(end);
	if (ep->base_path && strlen(ep->base_path) > 0 &&
		ep->base_path[strlen(ep->base_path) - 1] == '/')
		ep->base_path[strlen(ep->base_path) - 1] = '\0';
	return true;
}

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

void
ct_prepared_free(CtPrepared *p)
{
	ct_buf_free(&p->url);
	for (int i = 0; i < p->nheaders; i++)
		free(p->headers[i]);
	p->nheaders = 0;
}

void
ct_prepared_header(CtPrepared *p, const char *name, const char *value)
{
	CtBuf		b = CT_BUF_INIT;

	ct_buf_printf(&b, "%s: %s", name, value);
	p->headers[p->nheaders++] = b.data;
}

bool
ct_prepared_ok(const CtPrepared *p)
{
	if (p->url.failed || !p->url.data)
		return false;
	for (int i = 0; i < p->nheaders; i++)
		if (p->headers[i] == NULL)
			return false;
	return true;
}

/*
 * Sign r (adding the session token header, when there is one) and add to
 * out every header signed -- but Host, which libcurl sends from the URL --
 * and Authorization.  What is sent is exactly what was signed.
 */
void
ct_sign_into(CtPrepared *out, CtSignRequest *r, const CtCredentials *cred)
{
	CtHeader	all[CT_HTTP_MAX_SIGNED];
	CtBuf		authz = CT_BUF_INIT;
	int			n = 0;

	for (int i = 0; i < r->nheaders && n < CT_HTTP_MAX_SIGNED - 1; i++)
		all[n++] = r->headers[i];
	if (cred->session_token)
		all[n++] = (CtHeader)
	{
		"x-amz-security-token", cred->session_token
	};
	r->headers = all;
	r->nheaders = n;
	ct_sigv4_authorization(&authz, cred, r);
	for (int i = 0; i < n; i++)
		if (strcmp(all[i].name, "host") != 0)
			ct_prepared_header(out, all[i].name, all[i].value);
	ct_prepared_header(out, "Authorization", authz.data ? authz.data : "");
	if (authz.failed)
		out->url.failed = true;
	ct_buf_free(&authz);
}

/* The Host header value: [label.]host[:port], the port only if not the default. */
void
ct_endpoint_host(CtBuf *out, const CtEndpoint *ep, const char *label)
{
	if (label)
		ct_buf_printf(out, "%s.", label);
	ct_buf_puts(out, ep->host);
	if (ep->port && !((ep->port == 443 && strcmp(ep->scheme, "https") == 0) ||
					  (ep->port == 80 && strcmp(ep->scheme, "http") == 0)))
		ct_buf_printf(out, ":%d", ep->port);
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

/* Decode the five XML entities and numeric character references. */
static char *
xml_decode(const char *s, size_t len)
{
	char	   *out = malloc(len + 1);
	size_t		o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++)
	{
		if (s[i] == '&')
		{
			static const struct
			{
				const char *ent;
				char		c;
			}			ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'},
			{"&quot;", '"'}, {"&apos;", '\''}};
			bool		done = false;

			for (int k = 0; k < 5 && !done; k++)
			{
				size_t		el = strlen(ents[k].ent);

				if (i + el <= len && memcmp(s + i, ents[k].ent, el) == 0)
				{
					out[o++] = ents[k].c;
					i += el - 1;
					done = true;
				}
			}
			if (!done && i + 2 < len && s[i + 1] == '#')
			{
				char	   *e;
				long		cp = s[i + 2] == 'x' ? strtol(s + i + 3, &e, 16) : strtol(s + i + 2, &e, 10);

				if (*e == ';' && cp > 0 && cp < 0x80)
				{
					out[o++] = (char) cp;
					i = (size_t) (e - s);
					done = true;
				}
			}
			if (!done)
				out[o++] = s[i];
		}
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

/*
 * Value of the next <tag>...</tag> at or after xml; *next is set past it.
 * Returns a malloc'd string or NULL when there is none.
 */
char *
ct_xml_value(const char *xml, size_t len, const char *tag, const char **next)
{
	char		open[64],
				close[64];
	const char *end = xml + len;
	const char *p = xml;
	size_t		ol,
				cl;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	ol = strlen(open);
	cl = strlen(close);
	while (p < end)
	{
		const char *s = memchr(p, '<', end - p);
		const char *e;

		if (!s)
			break;
		if ((size_t) (end - s) >= ol && memcmp(s, open, ol) == 0)
		{
			s += ol;
			for (e = s; e + cl <= end; e++)
				if (*e == '<' && memcmp(e, close, cl) == 0)
				{
					if (next)
						*next = e + cl;
					return xml_decode(s, e - s);
				}
			return NULL;
		}
		/* an empty element <tag/> */
		if ((size_t) (end - s) >= ol + 1 && memcmp(s + 1, tag, ol - 2) == 0 &&
			memcmp(s + ol - 1, "/>", 2) == 0)
		{
			if (next)
				*next = s + ol + 1;
			return ct_strdup("");
		}
		p = s + 1;
	}
	return NULL;
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
url_decoded(char *v)
{
	size_t		len,
				o = 0;
	char	   *d;

	if (!v)
		return NULL;
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
	page->next_token = ct_xml_value(xml, len, "NextContinuationToken", NULL);
	if (page->truncated && !page->next_token)
	{
		snprintf(err, errlen, "truncated reply has no NextContinuationToken");
		return false;
	}
	while (xml_element(p, end, "Contents", &in, &in_end))
	{
		char	   *key = url_decoded(ct_xml_value(in, in_end - in, "Key", NULL));
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
		char	   *pre = url_decoded(ct_xml_value(in, in_end - in, "Prefix", NULL));

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

static void
copy_into(char *dst, size_t cap, char *src)
{
	if (src)
	{
		snprintf(dst, cap, "%s", src);
		free(src);
	}
}

/*
 * S3 and STS errors are XML (<Error><Code>..), CloudTrail's are JSON
 * ({"__type": "ns#Code", "message": ...}).  Whatever the body, e->code ends
 * up non-empty only if the reply said so.
 */
void
ct_parse_aws_error(const char *body, size_t len, CtAwsError *e)
{
	size_t		i = 0;

	memset(e, 0, sizeof(*e));
	if (!body || len == 0)
		return;
	while (i < len && isspace((unsigned char) body[i]))
		i++;
	if (i < len && body[i] == '{')
	{
		json_tokener *tok = json_tokener_new();
		json_object *o = json_tokener_parse_ex(tok, body, (int) len);
		json_object *v;

		json_tokener_free(tok);
		if (o && json_object_is_type(o, json_type_object))
		{
			if (json_object_object_get_ex(o, "__type", &v) ||
				json_object_object_get_ex(o, "code", &v))
			{
				const char *t = json_object_get_string(v);
				const char *hash = strrchr(t, '#');
				const char *colon;

				t = hash ? hash + 1 : t;
				colon = strchr(t, ':');
				snprintf(e->code, sizeof(e->code), "%.*s",
						 (int) (colon ? (size_t) (colon - t) : strlen(t)), t);
			}
			if (json_object_object_get_ex(o, "message", &v) ||
				json_object_object_get_ex(o, "Message", &v))
				snprintf(e->message, sizeof(e->message), "%s", json_object_get_string(v));
		}
		json_object_put(o);
		return;
	}
	copy_into(e->code, sizeof(e->code), ct_xml_value(body, len, "Code", NULL));
	copy_into(e->message, sizeof(e->message), ct_xml_value(body, len, "Message", NULL));
	copy_into(e->region, sizeof(e->region), ct_xml_value(body, len, "Region", NULL));
	copy_into(e->request_id, sizeof(e->request_id), ct_xml_value(body, len, "RequestId", NULL));
}
