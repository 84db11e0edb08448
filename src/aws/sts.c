/*-------------------------------------------------------------------------
 *
 * sts.c
 *		STS AssumeRole (query protocol) and signed POST requests.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/sts.c
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "ct_json.h"
#include "ct_sts.h"

static void
form_pair(CtBuf *b, const char *k, const char *v)
{
	if (b->len)
		ct_buf_putc(b, '&');
	ct_buf_puts(b, k);
	ct_buf_putc(b, '=');
	ct_uri_encode(b, v, strlen(v), false);
}

char *
ct_sts_assume_role_body(const char *role_arn, const char *session_name,
						const char *external_id, int duration)
{
	CtBuf		b = CT_BUF_INIT;
	char		d[16];

	form_pair(&b, "Action", "AssumeRole");
	snprintf(d, sizeof(d), "%d", duration);
	form_pair(&b, "DurationSeconds", d);
	if (external_id)
		form_pair(&b, "ExternalId", external_id);
	form_pair(&b, "RoleArn", role_arn);
	form_pair(&b, "RoleSessionName", session_name);
	form_pair(&b, "Version", "2011-06-15");
	if (b.failed)
	{
		ct_buf_free(&b);
		return NULL;
	}
	return b.data;
}

/*
 * ISO 8601 to epoch seconds: "2026-11-21T18:00:00Z", with fractions of a
 * second and a numeric offset ("+01:00") allowed.
 */
static bool
parse_iso(const char *s, long long *out)
{
	int			y,
				mo,
				d,
				h,
				mi,
				sec,
				n = 0;
	const char *z;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n == 0)
		return false;
	*out = ct_timegm(y, mo, d, h, mi, sec);
	z = s + n;
	if (*z == '.')
		for (z++; *z >= '0' && *z <= '9'; z++)
			;
	if ((*z == '+' || *z == '-') && strlen(z) >= 6 && z[3] == ':')
	{
		int			oh = atoi(z + 1),
					om = atoi(z + 4);

		*out -= (*z == '+' ? 1 : -1) * (oh * 3600LL + om * 60LL);
	}
	return true;
}

char *
ct_sts_web_identity_body(const char *role_arn, const char *session_name, const char *token)
{
	CtBuf		b = CT_BUF_INIT;

	form_pair(&b, "Action", "AssumeRoleWithWebIdentity");
	form_pair(&b, "RoleArn", role_arn);
	form_pair(&b, "RoleSessionName", session_name);
	form_pair(&b, "Version", "2011-06-15");
	form_pair(&b, "WebIdentityToken", token);
	if (b.failed)
	{
		ct_buf_free(&b);
		return NULL;
	}
	return b.data;
}

/*
 * Credentials as the ECS container endpoint and EC2 instance metadata give
 * them: {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}.
 */
bool
ct_parse_json_credentials(const char *body, size_t len, CtCredentials *out,
						  long long *expiration, char *err, size_t errlen)
{
	CtJson	   *doc = ct_json_parse(body, len, err, errlen);
	const char *akid,
			   *secret,
			   *token,
			   *exp;

	memset(out, 0, sizeof(*out));
	if (!doc)
		return false;
	akid = ct_json_string(doc, "AccessKeyId");
	secret = ct_json_string(doc, "SecretAccessKey");
	token = ct_json_string(doc, "Token");
	exp = ct_json_string(doc, "Expiration");
	if (!akid || !secret || !token || !exp || !parse_iso(exp, expiration))
	{
		snprintf(err, errlen, "the reply lacks AccessKeyId, SecretAccessKey, Token or Expiration");
		ct_json_free_doc(doc);
		return false;
	}
	out->access_key_id = ct_strdup(akid);
	out->secret_access_key = ct_strdup(secret);
	out->session_token = ct_strdup(token);
	ct_json_free_doc(doc);
	return true;
}

/*
 * What a credential_process prints: {"Version": 1, "AccessKeyId",
 * "SecretAccessKey", "SessionToken"?, "Expiration"?}.  Without an
 * Expiration, *expiration is LLONG_MAX.
 */
bool
ct_parse_process_credentials(const char *body, size_t len, CtCredentials *out,
							 long long *expiration, char *err, size_t errlen)
{
	CtJson	   *doc = ct_json_parse(body, len, err, errlen);
	const char *akid,
			   *secret,
			   *token,
			   *exp;
	long long	version;

	memset(out, 0, sizeof(*out));
	if (!doc)
		return false;
	akid = ct_json_string(doc, "AccessKeyId");
	secret = ct_json_string(doc, "SecretAccessKey");
	token = ct_json_string(doc, "SessionToken");
	exp = ct_json_string(doc, "Expiration");
	*expiration = LLONG_MAX;
	if (!ct_json_int(doc, "Version", &version) || version != 1)
		snprintf(err, errlen, "the output's \"Version\" is not 1");
	else if (!akid || !secret)
		snprintf(err, errlen, "the output lacks AccessKeyId or SecretAccessKey");
	else if (exp && !parse_iso(exp, expiration))
		snprintf(err, errlen, "the output's Expiration is not an ISO 8601 time");
	else
	{
		out->access_key_id = ct_strdup(akid);
		out->secret_access_key = ct_strdup(secret);
		out->session_token = token ? ct_strdup(token) : NULL;
		ct_json_free_doc(doc);
		return true;
	}
	ct_json_free_doc(doc);
	return false;
}

void
ct_credentials_free(CtCredentials *c)
{
	if (c->secret_access_key)
		OPENSSL_cleanse(c->secret_access_key, strlen(c->secret_access_key));
	if (c->session_token)
		OPENSSL_cleanse(c->session_token, strlen(c->session_token));
	free(c->access_key_id);
	free(c->secret_access_key);
	free(c->session_token);
	memset(c, 0, sizeof(*c));
}

bool
ct_sts_parse(const char *xml, size_t len, CtCredentials *out, long long *expiration,
			 char *err, size_t errlen)
{
	char	   *exp;

	memset(out, 0, sizeof(*out));
	out->access_key_id = ct_xml_value(xml, len, "AccessKeyId", NULL);
	out->secret_access_key = ct_xml_value(xml, len, "SecretAccessKey", NULL);
	out->session_token = ct_xml_value(xml, len, "SessionToken", NULL);
	exp = ct_xml_value(xml, len, "Expiration", NULL);
	if (!out->access_key_id || !out->secret_access_key || !out->session_token || !exp ||
		!parse_iso(exp, expiration))
	{
		snprintf(err, errlen, "the AssumeRole reply has no complete Credentials element");
		ct_credentials_free(out);
		free(exp);
		return false;
	}
	free(exp);
	return true;
}

/* A SigV4-signed POST of body to the endpoint's root. */
bool
ct_post_prepare(CtPrepared *out, const CtEndpoint *ep, const char *service,
				const char *content_type, const char *target, const char *body,
				const char *region, const CtCredentials *cred, long long now)
{
	CtBuf		host = CT_BUF_INIT,
				path = CT_BUF_INIT;
	char		amzdate[17],
				phash[65];
	CtHeader	h[4];
	int			nh = 0;
	CtSignRequest r;
	bool		ok;

	memset(out, 0, sizeof(*out));
	ct_endpoint_host(&host, ep, NULL);
	ct_buf_puts(&path, ep->base_path && *ep->base_path ? ep->base_path : "");
	ct_buf_putc(&path, '/');
	ct_amz_date(amzdate, now);
	ct_sha256_hex(phash, body, strlen(body));
	h[nh++] = (CtHeader)
	{
		"content-type", content_type
	};
	h[nh++] = (CtHeader)
	{
		"host", host.data
	};
	h[nh++] = (CtHeader)
	{
		"x-amz-date", amzdate
	};
	if (target)
		h[nh++] = (CtHeader)
	{
		"x-amz-target", target
	};
	r = (CtSignRequest)
	{
		"POST", path.data, "", h, nh, phash, region, service, amzdate, false
	};
	ct_buf_printf(&out->url, "%s://%s%s", ep->scheme, host.data, path.data);
	ct_sign_into(out, &r, cred);
	ok = !(host.failed || path.failed) && ct_prepared_ok(out);
	ct_buf_free(&host);
	ct_buf_free(&path);
	return ok;
}
