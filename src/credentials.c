/*-------------------------------------------------------------------------
 *
 * credentials.c
 *		The AWS credentials a scan signs with.
 *
 * The user mapping's keys, or (credential_source 'default', superuser only)
 * the database server's own identity through the AWS SDKs' default chain:
 * environment, web identity token file, ECS container endpoint, EC2
 * instance metadata (IMDSv2).  Then, with role_arn (user mapping or
 * server), temporary credentials from STS AssumeRole obtained with those:
 * the way to read other accounts.  Assumed credentials are cached in the
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
#include "storage/fd.h"
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
cache_key(CtFdwOptions *o, const CtCredentials *base, char key[65])
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfo(&b, "%s\n%s\n%s\n%s\n%s\n%s\n%d\n%s\n%s", base->access_key_id,
					 base->secret_access_key, base->session_token ? base->session_token : "",
					 o->role_arn, o->external_id ? o->external_id : "",
					 o->role_session_name, o->duration, o->sts_endpoint ? o->sts_endpoint : "",
					 o->region);
	ct_sha256_hex(key, b.data, b.len);
	pfree(b.data);
}

/*
 * One request, waited for (interruptibly).  Returns the HTTP status (0 if
 * the transfer failed, with the reason in curl_err); the body is palloc'd.
 */
static long
http_call(CtFdwOptions *o, const char *method, const char *url, const char *const *headers,
		  int nheaders, const char *post, long connect_ms, char **body, char *curl_err)
{
	CtHttpConfig cfg = {0};
	CtHttp	   *volatile http = NULL;
	CtHttpReq  *volatile req = NULL;
	long		status = 0;

	*body = NULL;
	PG_TRY();
	{
		cfg.connect_timeout_ms = connect_ms;
		cfg.stall_timeout_s = 5;
		cfg.verify_tls = o->verify_tls;
		cfg.ca_file = o->ca_file;
		http = ct_http_create(&cfg);
		req = http ? ct_http_request(url) : NULL;
		if (!req)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		req->method = method;
		for (int i = 0; i < nheaders; i++)
			ct_http_add_header(req, headers[i]);
		if (post)
		{
			req->post_body = ct_strdup(post);
			req->post_len = strlen(post);
		}
		if (!ct_http_start(http, req))
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("could not start an HTTP request")));
		while (!req->done)
		{
			if (ct_http_poll(http, 100) < 0)
				CHECK_FOR_INTERRUPTS();
			(void) ct_http_next_done(http);
		}
		status = req->curl_code ? 0 : req->status;
		snprintf(curl_err, 256, "%s", req->curl_code ? req->curl_error : "");
		*body = pnstrdup(req->body.data ? req->body.data : "", req->body.len);
	}
	PG_FINALLY();
	{
		if (req)
			ct_http_free(req);
		ct_http_destroy(http);
	}
	PG_END_TRY();
	return status;
}

static char *
slurp(const char *path)
{
	FILE	   *f = AllocateFile(path, "r");
	StringInfoData b;
	char		chunk[4096];
	size_t		n;

	if (!f)
		return NULL;
	initStringInfo(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		appendBinaryStringInfo(&b, chunk, n);
	FreeFile(f);
	while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	return b.data;
}

static char *
sts_url(CtFdwOptions *o)
{
	return o->sts_endpoint ? o->sts_endpoint :
		psprintf("https://sts.%s.amazonaws.com%s", o->region,
				 strncmp(o->region, "cn-", 3) == 0 ? ".cn" : "");
}

/* The default chain, as the AWS SDKs order it.  Returns false if no source answers. */
static bool
default_chain(CtFdwOptions *o, CtCredentials *out, long long *exp, StringInfo tried)
{
	char		err[256],
				cerr[256];
	const char *v;
	char	   *body;
	long		status;

	/* 1. environment of the database server */
	if (getenv("AWS_ACCESS_KEY_ID") && getenv("AWS_SECRET_ACCESS_KEY"))
	{
		const char *tok = getenv("AWS_SESSION_TOKEN") ? getenv("AWS_SESSION_TOKEN") : getenv("AWS_SECURITY_TOKEN");

		out->access_key_id = ct_strdup(getenv("AWS_ACCESS_KEY_ID"));
		out->secret_access_key = ct_strdup(getenv("AWS_SECRET_ACCESS_KEY"));
		out->session_token = tok && *tok ? ct_strdup(tok) : NULL;
		*exp = LLONG_MAX;
		return true;
	}
	appendStringInfoString(tried, "environment");

	/* 2. web identity token file -> AssumeRoleWithWebIdentity (unsigned) */
	if ((v = getenv("AWS_WEB_IDENTITY_TOKEN_FILE")) != NULL && getenv("AWS_ROLE_ARN"))
	{
		char	   *token = slurp(v);
		char	   *form;
		const char *h[1] = {"Content-Type: application/x-www-form-urlencoded; charset=utf-8"};

		if (!token)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read web identity token file \"%s\": %m", v)));
		form = ct_sts_web_identity_body(getenv("AWS_ROLE_ARN"),
										getenv("AWS_ROLE_SESSION_NAME") ? getenv("AWS_ROLE_SESSION_NAME") : o->role_session_name,
										token);
		status = http_call(o, NULL, sts_url(o), h, 1, form, o->connect_timeout_ms, &body, cerr);
		free(form);
		if (status == 200 && ct_sts_parse(body, strlen(body), out, exp, err, sizeof(err)))
			return true;
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("could not assume role \"%s\" with the web identity token", getenv("AWS_ROLE_ARN")),
				 errdetail("HTTP status %ld%s%s.", status, cerr[0] ? ": " : "", cerr)));
	}
	appendStringInfoString(tried, ", web identity");

	/* 3. ECS container endpoint */
	if (getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"))
	{
		char	   *url = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ?
			psprintf("http://169.254.170.2%s", getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) :
			pstrdup(getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI"));
		char	   *auth = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") ?
			slurp(getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) :
			(getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN") ? pstrdup(getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")) : NULL);
		const char *h[1];

		if (auth)
			h[0] = psprintf("Authorization: %s", auth);
		status = http_call(o, NULL, url, h, auth ? 1 : 0, NULL, 2000, &body, cerr);
		if (status == 200 && ct_parse_json_credentials(body, strlen(body), out, exp, err, sizeof(err)))
			return true;
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("could not get credentials from the container endpoint"),
				 errdetail("HTTP status %ld%s%s.", status, cerr[0] ? ": " : "", cerr)));
	}
	appendStringInfoString(tried, ", container endpoint");

	/* 4. EC2 instance metadata, IMDSv2 */
	if (!((v = getenv("AWS_EC2_METADATA_DISABLED")) && pg_strcasecmp(v, "true") == 0))
	{
		const char *base = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT") ?
			getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT") : "http://169.254.169.254/";
		const char *slash = base[strlen(base) - 1] == '/' ? "" : "/";
		const char *ttl[1] = {"X-aws-ec2-metadata-token-ttl-seconds: 21600"};
		const char *h[1];
		char	   *token,
				   *role;

		status = http_call(o, "PUT", psprintf("%s%slatest/api/token", base, slash), ttl, 1, NULL,
						   1000, &token, cerr);
		if (status == 200)
		{
			h[0] = psprintf("X-aws-ec2-metadata-token: %s", token);
			status = http_call(o, NULL, psprintf("%s%slatest/meta-data/iam/security-credentials/", base, slash),
							   h, 1, NULL, 1000, &role, cerr);
			if (status == 200 && role[0])
			{
				role[strcspn(role, "\r\n")] = '\0';
				status = http_call(o, NULL, psprintf("%s%slatest/meta-data/iam/security-credentials/%s", base, slash, role),
								   h, 1, NULL, 1000, &body, cerr);
				if (status == 200 && ct_parse_json_credentials(body, strlen(body), out, exp, err, sizeof(err)))
					return true;
			}
		}
	}
	appendStringInfoString(tried, ", EC2 instance metadata");
	return false;
}

/* Call STS AssumeRole with the base credentials; ERROR on failure. */
static void
assume_role(CtFdwOptions *o, const CtCredentials *basep, CtCredentials *out, long long *expiration)
{
	CtCredentials base = *basep;
	CtEndpoint	ep;
	CtPrepared	prep;
	char		err[256];
	char	   *url = sts_url(o);
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
	{
		char	   *reply;
		char		cerr[256];
		long		status;
		CtAwsError e;
		/* palloc'd copies, so that nothing malloc'd is lost if the call errors out */
		char	   *purl = pstrdup(prep.url.data);
		char	   *pbody = pstrdup(body);
		const char **headers = palloc(sizeof(char *) * Max(prep.nheaders, 1));
		int			nheaders = prep.nheaders;

		for (int i = 0; i < nheaders; i++)
			headers[i] = pstrdup(prep.headers[i]);
		ct_prepared_free(&prep);
		free(body);
		status = http_call(o, NULL, purl, headers, nheaders, pbody, o->connect_timeout_ms, &reply, cerr);
		if (status == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("could not assume role \"%s\"", o->role_arn),
					 errdetail_internal("%s", cerr)));
		if (status != 200)
		{
			ct_parse_aws_error(reply, strlen(reply), &e);
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("could not assume role \"%s\"", o->role_arn),
					 e.code[0] ? errdetail("AWS error %s (HTTP %ld, request id %s): %s", e.code, status,
										   e.request_id[0] ? e.request_id : "none", e.message) :
					 errdetail("HTTP status %ld.", status)));
		}
		if (!ct_sts_parse(reply, strlen(reply), out, expiration, err, sizeof(err)))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
					 errmsg("could not assume role \"%s\": %s", o->role_arn, err)));
	}
}

static CachedCredentials *
cache_find(const char *key)
{
	for (int i = 0; i < ncache; i++)
		if (strcmp(cache[i].key, key) == 0)
			return &cache[i];
	if (ncache == maxcache)
	{
		maxcache = maxcache ? maxcache * 2 : 4;
		cache = cache ? repalloc(cache, sizeof(CachedCredentials) * maxcache) :
			MemoryContextAlloc(TopMemoryContext, sizeof(CachedCredentials) * maxcache);
	}
	memset(&cache[ncache], 0, sizeof(CachedCredentials));
	strlcpy(cache[ncache].key, key, sizeof(cache[ncache].key));
	return &cache[ncache++];
}

static bool
stale(CachedCredentials *c, bool expired)
{
	return c->cred.access_key_id == NULL || expired ||
		(long long) time(NULL) >= c->expiration - REFRESH_MARGIN;
}

/*
 * Fill *out with the credentials to sign with, copied into cxt.  "expired"
 * says AWS just rejected the cached ones.
 */
void
ctfdw_credentials(CtFdwOptions *o, CtCredentials *out, bool expired, MemoryContext cxt)
{
	CtCredentials base;
	const CtCredentials *use;
	char		key[65];

	if (o->default_chain)
	{
		CachedCredentials *c;

		ct_sha256_hex(key, "default chain", 13);
		c = cache_find(key);
		if (stale(c, expired && o->role_arn == NULL))
		{
			CtCredentials fresh = {0};
			long long	exp;
			StringInfoData tried;

			initStringInfo(&tried);
			if (!default_chain(o, &fresh, &exp, &tried))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
						 errmsg("no AWS credentials found for the database server"),
						 errdetail("Tried: %s.", tried.data),
						 errhint("Set credentials in the server's environment, or give the user mapping access_key_id and secret_access_key.")));
			ct_credentials_free(&c->cred);
			c->cred = fresh;
			c->expiration = exp;
		}
		base = c->cred;
	}
	else
	{
		if (o->access_key_id == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("no AWS credentials for this foreign table"),
					 errhint("Give the user mapping the options access_key_id and secret_access_key.")));
		base.access_key_id = o->access_key_id;
		base.secret_access_key = o->secret_access_key;
		base.session_token = o->session_token;
	}
	use = &base;
	if (o->role_arn)
	{
		CachedCredentials *c;

		cache_key(o, &base, key);
		c = cache_find(key);
		if (stale(c, expired))
		{
			CtCredentials fresh;
			long long	exp;

			assume_role(o, &base, &fresh, &exp);
			ct_credentials_free(&c->cred);
			c->cred = fresh;
			c->expiration = exp;
		}
		use = &c->cred;
	}
	out->access_key_id = MemoryContextStrdup(cxt, use->access_key_id);
	out->secret_access_key = MemoryContextStrdup(cxt, use->secret_access_key);
	out->session_token = use->session_token ? MemoryContextStrdup(cxt, use->session_token) : NULL;
}

/* Did AWS reject a request because assumed credentials expired? */
bool
ctfdw_credentials_expired(CtFdwOptions *o, const char *aws_code)
{
	return (o->role_arn != NULL || o->default_chain) &&
		(strcmp(aws_code, "ExpiredToken") == 0 || strcmp(aws_code, "ExpiredTokenException") == 0);
}
