/*-------------------------------------------------------------------------
 *
 * credentials.c
 *		The AWS credentials a scan signs with.
 *
 * The user mapping's keys, or, with role_arn (user mapping or server),
 * temporary credentials from STS AssumeRole obtained with those keys: the
 * way to read other accounts.  Assumed credentials are cached in the
 * backend, keyed by a hash of everything that determines them -- so ALTER
 * USER MAPPING takes effect at once -- and fetched again five minutes
 * before they expire or when AWS says ExpiredToken.  They are never
 * fetched per request.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/credentials.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include "cloudtrail_fdw.h"
#include "ct_http.h"
#include "ct_sts.h"

#define REFRESH_MARGIN 300		/* seconds before expiry to fetch anew */

typedef struct CachedCredentials
{
	char		key[65];		/* sha256 of what determines them */
	CtCredentials cred;			/* malloc'd, outlive queries */
	long long	expiration;
} CachedCredentials;

static CachedCredentials *cache;	/* in TopMemoryContext */
static int	ncache;
static int	maxcache;

static void
cache_key(CtFdwOptions *o, char key[65])
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfo(&b, "%s\n%s\n%s\n%s\n%s\n%s\n%d\n%s\n%s", o->access_key_id,
					 o->secret_access_key, o->session_token ? o->session_token : "",
					 o->role_arn, o->external_id ? o->external_id : "",
					 o->role_session_name, o->duration, o->sts_endpoint ? o->sts_endpoint : "",
					 o->region);
	ct_sha256_hex(key, b.data, b.len);
	pfree(b.data);
}

/* Call STS AssumeRole with the user mapping's keys; ERROR on failure. */
static void
assume_role(CtFdwOptions *o, CtCredentials *out, long long *expiration)
{
	CtCredentials base = {o->access_key_id, o->secret_access_key, o->session_token};
	CtEndpoint	ep;
	CtPrepared	prep;
	CtHttpConfig cfg = {0};
	CtHttp	   *volatile http = NULL;
	CtHttpReq  *volatile req = NULL;
	char		err[256];
	char	   *url = o->sts_endpoint ? o->sts_endpoint :
		psprintf("https://sts.%s.amazonaws.com%s", o->region,
				 strncmp(o->region, "cn-", 3) == 0 ? ".cn" : "");
	char	   *body = ct_sts_assume_role_body(o->role_arn, o->role_session_name,
											   o->external_id, o->duration);

	if (!body)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (!ct_parse_endpoint(url, &ep, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid STS endpoint \"%s\": %s", url, err)));
	if (!ct_post_prepare(&prep, &ep, "sts", "application/x-www-form-urlencoded; charset=utf-8",
						 NULL, body, o->region, &base, (long long) time(NULL)))
	{
		ct_free_endpoint(&ep);
		free(body);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	ct_free_endpoint(&ep);

	PG_TRY();
	{
		cfg.connect_timeout_ms = o->connect_timeout_ms;
		cfg.stall_timeout_s = o->request_timeout_s;
		cfg.verify_tls = o->verify_tls;
		cfg.ca_file = o->ca_file;
		http = ct_http_create(&cfg);
		req = http ? ct_http_request(prep.url.data) : NULL;
		if (!req)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		for (int i = 0; i < prep.nheaders; i++)
			ct_http_add_header(req, prep.headers[i]);
		req->post_body = body;
		req->post_len = strlen(body);
		body = NULL;
		if (!ct_http_start(http, req))
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("could not start an HTTP request")));
		while (!req->done)
		{
			if (ct_http_poll(http, 100) < 0)
				CHECK_FOR_INTERRUPTS();
			(void) ct_http_next_done(http);
		}
		if (req->curl_code != 0 || req->status != 200)
		{
			CtHttpReq  *r = req;

			req = NULL;			/* ctfdw_fail_request frees it */
			ctfdw_fail_request(r, psprintf("assume role \"%s\"", o->role_arn));
		}
		if (!ct_sts_parse(req->body.data, req->body.len, out, expiration, err, sizeof(err)))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
					 errmsg("could not assume role \"%s\": %s", o->role_arn, err)));
	}
	PG_FINALLY();
	{
		ct_prepared_free(&prep);
		free(body);
		if (req)
			ct_http_free(req);
		ct_http_destroy(http);
	}
	PG_END_TRY();
}

/*
 * Fill *out with the credentials to sign with, copied into cxt.  "expired"
 * says AWS just rejected the cached ones.
 */
void
ctfdw_credentials(CtFdwOptions *o, CtCredentials *out, bool expired, MemoryContext cxt)
{
	char		key[65];
	CachedCredentials *c = NULL;
	long long	now = (long long) time(NULL);

	if (o->access_key_id == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("no AWS credentials for this foreign table"),
				 errhint("Give the user mapping the options access_key_id and secret_access_key.")));
	if (o->role_arn == NULL)
	{
		out->access_key_id = MemoryContextStrdup(cxt, o->access_key_id);
		out->secret_access_key = MemoryContextStrdup(cxt, o->secret_access_key);
		out->session_token = o->session_token ? MemoryContextStrdup(cxt, o->session_token) : NULL;
		return;
	}
	cache_key(o, key);
	for (int i = 0; i < ncache; i++)
		if (strcmp(cache[i].key, key) == 0)
			c = &cache[i];
	if (c == NULL || expired || now >= c->expiration - REFRESH_MARGIN)
	{
		CtCredentials fresh;
		long long	exp;

		assume_role(o, &fresh, &exp);
		if (c == NULL)
		{
			if (ncache == maxcache)
			{
				maxcache = maxcache ? maxcache * 2 : 4;
				cache = cache ? repalloc(cache, sizeof(CachedCredentials) * maxcache) :
					MemoryContextAlloc(TopMemoryContext, sizeof(CachedCredentials) * maxcache);
			}
			c = &cache[ncache++];
			memset(c, 0, sizeof(*c));
			memcpy(c->key, key, sizeof(c->key));
		}
		ct_credentials_free(&c->cred);
		c->cred = fresh;
		c->expiration = exp;
	}
	out->access_key_id = MemoryContextStrdup(cxt, c->cred.access_key_id);
	out->secret_access_key = MemoryContextStrdup(cxt, c->cred.secret_access_key);
	out->session_token = MemoryContextStrdup(cxt, c->cred.session_token);
}

/* Did AWS reject a request because assumed credentials expired? */
bool
ctfdw_credentials_expired(CtFdwOptions *o, const char *aws_code)
{
	return o->role_arn != NULL &&
		(strcmp(aws_code, "ExpiredToken") == 0 || strcmp(aws_code, "ExpiredTokenException") == 0);
}
