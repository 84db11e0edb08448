/*-------------------------------------------------------------------------
 *
 * request.c
 *		What every AWS request shares: endpoints, prepared (signed)
 *		requests, the small XML scanner and AWS error bodies.
 *
 * S3, STS and the JSON APIs are prepared into a CtPrepared (URL and header
 * lines) and signed with SigV4 here.  Replies of the XML services are
 * small, flat documents; a scanner for <Tag>value</Tag> pairs reads them
 * without an XML library, and an error body of any service (XML or JSON)
 * becomes a CtAwsError.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/request.c
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

#include "ct_request.h"

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

/* Decode the five XML entities and numeric character references. */
char *
ct_xml_decode(const char *s, size_t len)
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
					return ct_xml_decode(s, e - s);
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
